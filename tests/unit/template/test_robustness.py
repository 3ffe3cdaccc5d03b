"""Any template, however mangled, either loads or raises TemplateError: never a crash."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.errors import TemplateError
from lamina.template import load_stack
from lamina.template.loader import load

from .conftest import FIXTURES

BASES = {name: load(FIXTURES / name).data for name in ("app", "intrinsics", "plain-json")}
JUNK: list[Any] = [
    None,
    0,
    7,
    "x",
    "",
    True,
    [],
    {},
    [1, 2],
    {"a": 1},
    {"Ref": "Nowhere"},
    {"Ref": "Stage"},
    {"Fn::GetAtt": "x"},
    {"Fn::Sub": 3},
    {"Fn::If": [1]},
    {"Fn::Join": 1},
    {"Fn::Select": ["a", "b"]},
    "s3://bucket/key",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


PATHS = sorted((name, path) for name, data in BASES.items() for path in _paths(data))


def _mangled(name: str, changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    data = copy.deepcopy(BASES[name])
    for path, value in changes:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)
    return data


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mangled_templates_load_or_raise_template_error(
    data: st.DataObject, tmp_path: Path
) -> None:
    """Replacing values anywhere in the fixture templates with junk yields a Stack or a
    TemplateError; no other exception escapes load_stack."""
    name, first = data.draw(st.sampled_from(PATHS))
    same_file = [path for other, path in PATHS if other == name]
    more = data.draw(st.lists(st.sampled_from(same_file), max_size=2))
    values = data.draw(
        st.lists(st.sampled_from(JUNK), min_size=1 + len(more), max_size=1 + len(more))
    )
    changes: list[tuple[tuple[Any, ...], Any]] = []
    for path, value in zip([first, *more], values, strict=True):
        # A later change may sit inside a value an earlier one replaced: skip those.
        if not any(path[: len(done)] == done for done, _ in changes):
            changes.append((path, value))
    app = tmp_path / name
    if not app.exists():
        shutil.copytree(FIXTURES / name, app)
    template = next(p for p in app.iterdir() if p.name.startswith("template."))
    template.write_text(json.dumps(_mangled(name, changes)))
    with contextlib.suppress(TemplateError):
        load_stack(app, stack_name="fuzz")
