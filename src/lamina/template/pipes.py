"""EventBridge Pipes of an expanded template (``AWS::Pipes::Pipe``) -> ``PipeSpec``.

CloudFormation's properties are CreatePipe's members of the same names, so a pipe is kept as
those members; the Pipes service checks and runs them as it does the API's (what it cannot run
is refused there, naming it). The physical name is ``Name``, else generated as ``Ref`` resolves
it. A property Lamina does not know is named in a warning rather than skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson
from lamina.model.pipes import PipeSpec
from lamina.template.resources import Resources

PIPE_TYPE = "AWS::Pipes::Pipe"
_MEMBERS = (
    "Description",
    "DesiredState",
    "Enrichment",
    "EnrichmentParameters",
    "KmsKeyIdentifier",
    "LogConfiguration",
    "RoleArn",
    "Source",
    "SourceParameters",
    "Tags",
    "Target",
    "TargetParameters",
)
_REQUIRED = ("RoleArn", "Source", "Target")
_OBJECTS = ("EnrichmentParameters", "LogConfiguration", "SourceParameters", "Tags")


@dataclass
class Found:
    pipes: list[PipeSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _pipe(reader: Resources, logical_id: str, warnings: list[str]) -> PipeSpec:
    original = reader.original_id(logical_id)
    for name in reader.properties(logical_id):
        if name not in _MEMBERS and name != "Name":
            warnings.append(
                f"pipe {original}: property {name} is not supported by Lamina and is ignored"
            )
    members: dict[str, Any] = {}
    for name in _REQUIRED:
        members[name] = reader.string(logical_id, name)
    for name in _MEMBERS:
        value = reader.get(logical_id, name)
        if value is None or name in _REQUIRED:
            continue
        if (name in _OBJECTS or name == "TargetParameters") and not isinstance(value, dict):
            raise reader.fail(logical_id, name, f"{name} must be an object")
        members[name] = value
    if "Tags" in members:
        members["Tags"] = {str(k): str(v) for k, v in members["Tags"].items()}
    return PipeSpec(original, reader.ref(logical_id), fastjson.dumps_text(members))


def find(reader: Resources) -> Found:
    """Every active pipe, in template order."""
    found = Found()
    for logical_id in reader.of_type(PIPE_TYPE):
        found.pipes.append(_pipe(reader, logical_id, found.warnings))
    return found
