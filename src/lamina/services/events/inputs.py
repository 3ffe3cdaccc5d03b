"""What a target receives: the event, or its ``Input``, ``InputPath`` or ``InputTransformer``.

``InputPath`` and the paths of ``InputPathsMap`` are JSONPath of the simple form API Gateway and
EventBridge document (``$.detail.order.id``, ``$.resources[0]``). An ``InputTemplate`` replaces
``<name>`` with the path's value: inside quotes as text (JSON string escaping), elsewhere as the
JSON value; a missing path gives ``null`` (or nothing inside quotes), and ``<aws.events.event>``
is the whole event, ``<aws.events.event.json>`` too, ``<aws.events.rule-arn>`` the rule.
"""

from __future__ import annotations

import re
from typing import Any

from lamina import fastjson

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']+)'\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


class InputError(ValueError):
    pass


def select(document: Any, path: str) -> Any:
    """The value at ``path`` (None when absent)."""
    if path == "$":
        return document
    if not path.startswith("$"):
        raise InputError(f"{path} is not a JSONPath")
    value = document
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise InputError(f"{path} is not a JSONPath Lamina reads")
        name, index, quoted = step.groups()
        if index is not None:
            value = (
                value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
            )
        else:
            key = name if name is not None else quoted
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
        position = step.end()
    return value


def render(
    event: dict[str, Any],
    rule_arn: str,
    input_text: str | None,
    input_path: str | None,
    transformer: dict[str, Any] | None,
) -> str:
    if input_text is not None:
        return input_text
    if input_path is not None:
        return fastjson.dumps_text(select(event, input_path))
    if transformer is None:
        return fastjson.dumps_text(event)
    values = {
        name: select(event, str(path))
        for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values["aws.events.event"] = event
    values["aws.events.event.json"] = event
    values["aws.events.rule-arn"] = rule_arn
    template = str(transformer.get("InputTemplate", ""))
    return _fill(template, values)


def _fill(template: str, values: dict[str, Any]) -> str:
    out = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in values:
            continue
        out.append(template[position : match.start()])
        value = values[name]
        quoted = _inside_quotes(template, match.start())
        if quoted:
            text = (
                value
                if isinstance(value, str)
                else ("" if value is None else fastjson.dumps_text(value))
            )
            out.append(fastjson.dumps_text(text)[1:-1])
        else:
            out.append(fastjson.dumps_text(value))
        position = match.end()
    out.append(template[position:])
    return "".join(out)


def _inside_quotes(template: str, index: int) -> bool:
    """Whether ``index`` is inside a JSON string of ``template`` (escapes respected)."""
    inside = False
    escaped = False
    for char in template[:index]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            inside = not inside
    return inside
