"""OpenAPI definitions kept in local files, inlined before the SAM expansion.

``Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}`` anywhere in the
template, and a local ``DefinitionUri`` of ``AWS::Serverless::Api``/``HttpApi``, become the
file's content (as ``aws cloudformation package`` uploads them and CloudFormation reads them
back), so the translator sees the real definition and can add the routes of function events.
Definitions in S3 are left alone (they cannot be fetched) and reported by the API reader.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from lamina import fastjson
from lamina.template.loader import KeyPath, Template

_SAM_APIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")


def _read(template: Template, location: str, path: KeyPath) -> Any:
    file = (template.file.parent / location).resolve()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise template.error_at(f"cannot read {location} ({file}): {exc}", path) from None
    try:
        # Included snippets may only use the long form of intrinsic functions, so a plain
        # YAML loader reads them; JSON is YAML too.
        return fastjson.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise template.error_at(f"{location} is not valid YAML or JSON: {exc}", path) from None


def _is_local(location: Any) -> bool:
    return isinstance(location, str) and not location.startswith(("s3://", "https://", "http://"))


def _inline(template: Template, value: Any, path: KeyPath) -> Any:
    if isinstance(value, dict):
        transform = value.get("Fn::Transform")
        if (
            len(value) == 1
            and isinstance(transform, dict)
            and transform.get("Name") == "AWS::Include"
        ):
            location = (transform.get("Parameters") or {}).get("Location")
            if _is_local(location):
                return _read(template, str(location), (*path, "Fn::Transform"))
            return value
        return {k: _inline(template, v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline(template, v, (*path, i)) for i, v in enumerate(value)]
    return value


def inline(template: Template) -> Template:
    """The template with local includes and local ``DefinitionUri`` files read in.

    Raises ``TemplateError`` (resource, field, line) for a file that is missing or unreadable."""
    data = _inline(template, template.data, ())
    for logical_id, resource in data.get("Resources", {}).items():
        if not isinstance(resource, dict) or resource.get("Type") not in _SAM_APIS:
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict) or "DefinitionBody" in properties:
            continue
        uri = properties.get("DefinitionUri")
        if _is_local(uri):
            path = ("Resources", logical_id, "Properties", "DefinitionUri")
            properties["DefinitionBody"] = _read(template, str(uri), path)
            del properties["DefinitionUri"]
    if data == template.data:
        return template
    return dataclasses.replace(template, data=data)
