"""Local state machine definitions read into a template before SAM's translator sees it.

The translator only accepts a ``DefinitionUri`` in S3 (``'DefinitionUri' is not a valid S3
Uri``), so a local one (JSON or YAML, relative to the template) is read into ``Definition``, as
``sam package`` would have uploaded it; a ``DefinitionS3Location`` given as a local path (what
``aws cloudformation package`` takes) is read into ``DefinitionString`` the same way. A file
that cannot be read is a ``TemplateError`` at the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lamina import fastjson
from lamina.errors import TemplateError
from lamina.template.loader import Template

MACHINE_TYPE = "AWS::StepFunctions::StateMachine"
SAM_MACHINE_TYPE = "AWS::Serverless::StateMachine"


def inline_local_definitions(data: dict[str, Any], template: Template) -> None:
    """Local ``DefinitionUri``/``DefinitionS3Location`` files read into the template."""
    base = template.file.parent
    for logical_id, resource in (data.get("Resources") or {}).items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        props = resource["Properties"]
        kind = resource.get("Type")
        if kind == SAM_MACHINE_TYPE and _is_local(props.get("DefinitionUri")):
            path = ("Resources", logical_id, "Properties", "DefinitionUri")
            props["Definition"] = _read(template, base, str(props.pop("DefinitionUri")), path)
        elif kind == MACHINE_TYPE and _is_local(props.get("DefinitionS3Location")):
            path = ("Resources", logical_id, "Properties", "DefinitionS3Location")
            given = str(props.pop("DefinitionS3Location"))
            props["DefinitionString"] = fastjson.dumps_text(_read(template, base, given, path))


def _is_local(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("s3://")


def _read(template: Template, base: Path, given: str, path: tuple[str, ...]) -> Any:
    local = (base / given).resolve()
    try:
        text = local.read_text()
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(
            f"{path[-1]} {given} cannot be read ({local}): {exc}",
            file=str(template.file),
            line=template.line_of(*path),
            resource=path[1],
            field=path[-1],
        ) from None
