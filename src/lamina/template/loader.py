"""Reading a template file: YAML (with CloudFormation's short-form tags) or JSON, plus a source map.

The source map records, for every mapping key, the 1-based line it sits on, keyed by the path of
keys and list indexes leading to it, e.g. ``("Resources", "HelloFunction", "Properties",
"Runtime")``. Short-form tags appear in the path in their long form (``!GetAtt`` is
``"Fn::GetAtt"``), so a path into the loaded data is also a path into the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lamina import fastjson
from lamina.errors import TemplateError

KeyPath = tuple[str | int, ...]

# Short form -> long form. ``!Ref`` and ``!Condition`` keep their bare name, as in JSON templates.
_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            *("Sub", "Join", "Select", "Split", "If", "Equals", "And", "Or", "Not", "FindInMap"),
            *("Base64", "ImportValue", "GetAZs", "Cidr", "Transform", "Length", "ToJsonString"),
        )
    },
    "GetAtt": "Fn::GetAtt",
}


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: its data, where it came from, and the line of every mapping key."""

    data: dict[str, Any]
    file: Path
    lines: Mapping[KeyPath, int]

    def line_of(self, *path: str | int) -> int | None:
        """The line of the longest prefix of ``path`` that the file spells out (Globals and
        generated values have no line of their own; their resource's line is the best we have)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(
        self, message: str, *, resource: str | None = None, field: str | None = None
    ) -> TemplateError:
        """A ``TemplateError`` located at ``Resources.<resource>.Properties.<field>``."""
        if resource is None:
            return TemplateError(message, file=str(self.file), field=field)
        path: KeyPath = ("Resources", resource)
        if field is not None:
            path += ("Properties", *(int(p) if p.isdigit() else p for p in field.split(".")))
        error = self.error_at(message, path)
        error.field = field
        return error

    def error_at(self, message: str, path: KeyPath) -> TemplateError:
        """A ``TemplateError`` for the value at ``path``: its resource and field are read off the
        path (up to the first intrinsic function), its line off the source map."""
        resource = field = None
        if len(path) >= 2 and path[0] in ("Resources", "Parameters", "Conditions"):
            if path[0] == "Resources":
                resource = str(path[1])
            else:
                field = f"{path[0]}.{path[1]}"
        if resource is not None and len(path) >= 4 and path[2] == "Properties":
            parts = []
            for part in path[3:]:
                if isinstance(part, str) and (part == "Ref" or part.startswith("Fn::")):
                    break
                parts.append(str(part))
            field = ".".join(parts) or None
        return TemplateError(
            message, file=str(self.file), line=self.line_of(*path), resource=resource, field=field
        )


class _Loader(yaml.SafeLoader):
    """SafeLoader that knows CloudFormation's tags, keeps dates as strings, refuses duplicates."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: Node) -> dict[str, Any]:
    name = _TAGS.get(suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown tag !{suffix}", node.start_mark
        )
    value: Any
    if isinstance(node, ScalarNode):
        value = loader.construct_scalar(node)
        # !GetAtt A.B is the short form of [A, B]; the attribute itself may contain dots.
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


def _construct_mapping(loader: yaml.SafeLoader, node: MappingNode) -> dict[Any, Any]:
    # Checked before merge keys are flattened: a key that overrides a merged one is no duplicate.
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if key_node.value in seen:
            # CloudFormation refuses duplicate keys; PyYAML would silently keep the last one.
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
            )
        seen.add(key_node.value)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=True)


_Loader.add_multi_constructor("!", _construct_tag)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# ``AWSTemplateFormatVersion: 2010-09-09`` must stay the string CloudFormation sees.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}


def _record_lines(node: Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if node.tag.startswith("!"):
        name = _TAGS.get(node.tag[1:])
        if name is None:
            return
        path += (name,)
        lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            key_path = (*path, key_node.value)
            lines.setdefault(key_path, key_node.start_mark.line + 1)
            _record_lines(value_node, key_path, lines)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _record_lines(item, (*path, index), lines)


def _parse_yaml(text: str, file: Path) -> tuple[Any, dict[KeyPath, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise TemplateError(f"invalid YAML: {problem}", file=str(file), line=line) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"invalid YAML: {exc}", file=str(file)) from exc
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    _record_lines(node, (), lines)
    return data, lines


def _json_lines(text: str) -> dict[KeyPath, int]:
    """Lines of a JSON template, best effort: JSON is nearly always valid YAML, and when it is
    not, errors simply carry no line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return lines


def parse(text: str, file: Path) -> Template:
    """Parse template text; ``file`` only names it in errors and decides nothing else.

    Text whose first non-blank character is ``{`` is JSON, anything else YAML.
    """
    if text.lstrip().startswith("{"):
        try:
            data = fastjson.loads(text)
        except fastjson.JSONDecodeError as exc:
            raise TemplateError(
                f"invalid JSON: {exc.msg}", file=str(file), line=exc.lineno
            ) from exc
        lines = _json_lines(text)
    else:
        data, lines = _parse_yaml(text, file)
    if data is None:
        raise TemplateError("the template is empty", file=str(file), line=1)
    if not isinstance(data, dict):
        raise TemplateError(
            "the template must be a mapping at its top level", file=str(file), line=1
        )
    if not isinstance(data.get("Resources"), dict) or not data["Resources"]:
        raise TemplateError(
            "the template needs a non-empty Resources section",
            file=str(file),
            line=lines.get(("Resources",), 1),
        )
    return Template(data=data, file=file, lines=lines)


def find_template(path: Path) -> Path:
    """``path`` itself when it is a file, else the ``template.yaml|yml|json`` inside it."""
    if path.is_dir():
        for name in ("template.yaml", "template.yml", "template.json"):
            if (path / name).is_file():
                return path / name
        raise TemplateError(f"no template.yaml, template.yml or template.json in {path}")
    if not path.is_file():
        raise TemplateError(f"template {path} does not exist")
    return path


def load(path: Path) -> Template:
    """Read and parse the template at ``path`` (a file, or a directory holding one)."""
    file = find_template(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read the template: {exc}", file=str(file)) from exc
    return parse(text, file)
