"""Projecting an item onto document paths (ProjectionExpression, AttributesToGet, UPDATED_*).

Nested paths keep their structure: ``a.b`` yields ``{"a": {"M": {"b": ...}}}``; list elements
keep their relative order and are packed (``l[1], l[3]`` yields a two-element list), as on AWS.
"""

from __future__ import annotations

from typing import Any

from lamina.services.dynamodb.expressions.ast import Path
from lamina.services.dynamodb.expressions.evaluate import resolve
from lamina.services.dynamodb.types import Item

# A tree of what was asked: element -> subtree, or the value itself at a leaf.
_Tree = dict[Any, Any]
_LEAF = object()


def project(item: Item, paths: list[Path]) -> Item:
    if all(len(p.elements) == 1 for p in paths):
        names = [str(p.elements[0]) for p in paths]
        return {name: item[name] for name in names if name in item}
    tree: _Tree = {}
    for path in paths:
        value = resolve(item, path)
        if value is None:
            continue
        node = tree
        for element in path.elements[:-1]:
            node = node.setdefault(element, {})
        node[path.elements[-1]] = (_LEAF, value)
    return {str(name): _build(sub) for name, sub in tree.items()}


def _build(node: Any) -> Any:
    if isinstance(node, tuple) and node and node[0] is _LEAF:
        return node[1]
    if all(isinstance(k, int) for k in node):
        return {"L": [_build(node[k]) for k in sorted(node)]}
    return {"M": {k: _build(v) for k, v in node.items()}}
