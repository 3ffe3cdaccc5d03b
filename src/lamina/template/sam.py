"""SAM -> CloudFormation with aws-sam-translator, keeping local code paths usable.

The translator only accepts code in S3 (``'CodeUri' is not a valid S3 Uri``). SAM CLI gets around
that by running only the translator's plugins; we want the full expansion (AutoPublishAlias ->
Version + Alias, Globals, layers' renamed logical ids), so every local ``CodeUri``/``ContentUri``
(and plain CloudFormation's ``Code: ./dir``) is swapped for ``s3://lamina-local-code/<n>`` before
translating, and ``Code: {S3Bucket: lamina-local-code, S3Key: <n>}`` in the output maps back to the
local path. As in SAM CLI, a function without CodeUri runs the template's directory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina.errors import TemplateError
from lamina.template import localdefinitions, translator
from lamina.template.intrinsics import KeyPath, is_intrinsic
from lamina.template.loader import Template

LOCAL_BUCKET = "lamina-local-code"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
# Resolves an intrinsic before translation (parameters only), or returns it unchanged.
EarlyResolve = Callable[[Any, KeyPath], Any]


@dataclass(frozen=True, slots=True)
class Expanded:
    """The CloudFormation template to run, with what is needed to map it back to the user's."""

    data: dict[str, Any]
    # S3Key placeholder -> the local file or directory it stands for.
    local_code: Mapping[str, Path]
    # Logical ids the translator changed (layers get a content hash appended) -> original ids.
    original_ids: Mapping[str, str]


def transforms(data: Mapping[str, Any]) -> list[str]:
    transform = data.get("Transform") or []
    if isinstance(transform, str):
        return [transform]
    return [t for t in transform if isinstance(t, str)] if isinstance(transform, list) else []


class _Localizer:
    """Replaces local code paths with placeholders and remembers what they stood for."""

    def __init__(self, template: Template, resolve: EarlyResolve) -> None:
        self._template = template
        self._resolve = resolve
        self._base = template.file.parent
        self.local_code: dict[str, Path] = {}

    def __call__(self, value: Any, *, resource: str | None, field: str, path: KeyPath) -> Any:
        """The placeholder key for a local path, else None (code in S3, an image, ...)."""
        if is_intrinsic(value):
            value = self._resolve(value, path)
        if not isinstance(value, str) or value.startswith("s3://"):
            return None
        local = (self._base / value).resolve()
        if not local.exists():
            raise TemplateError(
                f"{field} {value} does not exist (looked for {local})",
                file=str(self._template.file),
                line=self._template.line_of(*path),
                resource=resource,
                field=field,
            )
        key = str(len(self.local_code))
        self.local_code[key] = local
        return key


def _localize(data: dict[str, Any], localize: _Localizer, sam: bool) -> None:
    globals_ = data.get("Globals")
    function_globals: dict[str, Any] = {}
    if isinstance(globals_, dict) and isinstance(globals_.get("Function"), dict):
        function_globals = globals_["Function"]
    if sam and "CodeUri" in function_globals:
        globals_path = ("Globals", "Function", "CodeUri")
        key = localize(
            function_globals["CodeUri"], resource=None, field="CodeUri", path=globals_path
        )
        if key is not None:
            function_globals["CodeUri"] = f"s3://{LOCAL_BUCKET}/{key}"
    for logical_id, resource in data["Resources"].items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties", {}), dict):
            continue
        props = resource.setdefault("Properties", {})
        type_ = resource.get("Type")
        if type_ == "AWS::Serverless::Function":
            image = props.get("PackageType") == "Image" or "ImageUri" in props
            if image or "InlineCode" in props:
                continue
            if "CodeUri" not in props and "CodeUri" not in function_globals:
                props["CodeUri"] = "."
            uri_field, s3_form = "CodeUri", True
        elif type_ == "AWS::Serverless::LayerVersion":
            uri_field, s3_form = "ContentUri", True
        elif type_ == "AWS::Lambda::Function":
            uri_field, s3_form = "Code", False
        elif type_ == "AWS::Lambda::LayerVersion":
            uri_field, s3_form = "Content", False
        else:
            continue
        if uri_field not in props:
            continue
        path = ("Resources", logical_id, "Properties", uri_field)
        key = localize(props[uri_field], resource=logical_id, field=uri_field, path=path)
        if key is not None:
            props[uri_field] = (
                f"s3://{LOCAL_BUCKET}/{key}"
                if s3_form
                else {"S3Bucket": LOCAL_BUCKET, "S3Key": key}
            )


def _cause_error(template: Template, cause: Mapping[str, Any], sam_ids: set[str]) -> TemplateError:
    logical_id = cause["logical_id"]
    if isinstance(logical_id, str) and logical_id not in sam_ids:
        # A renamed layer: the translator appended a 10-character hash.
        logical_id = next((i for i in sam_ids if logical_id.startswith(i)), logical_id)
    return template.error(cause["message"], resource=logical_id, field=cause["field"])


def _translate(
    template: Template,
    data: dict[str, Any],
    parameters: Mapping[str, Any],
    region: str,
    elsewhere: bool,
    translations: Path | None,
) -> dict[str, Any]:
    sam_ids = {i for i, r in data["Resources"].items() if isinstance(r, dict)}
    outcome = (
        translator.translate_elsewhere(data, parameters, region, translations)
        if elsewhere
        else None
    )
    if outcome is None:
        outcome = translator.translate(data, parameters, region)
    if "result" in outcome:
        result: dict[str, Any] = outcome["result"]
        return result
    if "causes" in outcome:
        causes = outcome["causes"]
        error = _cause_error(template, causes[0], sam_ids)
        if len(causes) > 1:
            others = "; ".join(c["message"] for c in causes[1:])
            error.message += f" (and {len(causes) - 1} more: {others})"
        raise error
    if "message" in outcome:
        raise TemplateError(outcome["message"], file=str(template.file))
    raise TemplateError(
        f"the SAM translator could not expand this template ({outcome['crash']})",
        file=str(template.file),
    )


def expand(
    template: Template,
    *,
    parameters: Mapping[str, Any],
    region: str,
    resolve: EarlyResolve,
    translate_elsewhere: bool = False,
    translations: Path | None = None,
) -> Expanded:
    """The template as CloudFormation, SAM resources expanded when it declares the SAM transform.

    ``parameters`` holds parameter and pseudo parameter values (the translator resolves a few
    references itself, e.g. AutoPublishAlias). Raises ``TemplateError`` naming the resource for
    anything the translator refuses, and for a local code path that does not exist.
    ``translate_elsewhere`` runs the translator in a process of its own (``translator``): a
    long-running caller then never holds its 18 MB; ``translations`` (a directory) keeps what it
    translated, for the next time the same document is translated that way.
    """
    data = copy.deepcopy(template.data)
    sam = SAM_TRANSFORM in transforms(data)
    for logical_id, resource in data["Resources"].items():
        if str(logical_id).startswith("Fn::ForEach"):
            raise template.error(
                "Fn::ForEach (AWS::LanguageExtensions) is not supported yet", resource=logical_id
            )
        if not isinstance(logical_id, str) or not logical_id.isalnum() or not logical_id.isascii():
            raise template.error(
                f"Resource name {logical_id} is non alphanumeric.", resource=str(logical_id)
            )
        type_ = resource.get("Type") if isinstance(resource, dict) else None
        if not isinstance(type_, str):
            raise template.error("every resource needs a Type", resource=logical_id)
        if type_.startswith("AWS::Serverless::") and not sam:
            raise template.error(
                f"Unrecognized resource types: [{type_}] (add 'Transform: {SAM_TRANSFORM}')",
                resource=logical_id,
            )
    localize = _Localizer(template, resolve)
    _localize(data, localize, sam)
    localdefinitions.inline_local_definitions(data, template)
    if not sam:
        return Expanded(data=data, local_code=localize.local_code, original_ids={})
    # Nested applications come from the Serverless Application Repository (a network call); they
    # are reported as unsupported, and set aside so the translator leaves them alone.
    applications = {
        i: r for i, r in data["Resources"].items() if r["Type"] == "AWS::Serverless::Application"
    }
    for logical_id in applications:
        del data["Resources"][logical_id]
    if not data["Resources"]:
        out: dict[str, Any] = {k: v for k, v in data.items() if k not in ("Transform", "Globals")}
    else:
        out = _translate(template, data, parameters, region, translate_elsewhere, translations)
    out["Resources"].update(applications)
    original_ids = {}
    for new_id in out["Resources"]:
        if new_id in template.data["Resources"]:
            continue
        # SAM names a layer version <LogicalId><10 hex digits of its content hash>.
        candidate = new_id[:-10]
        source = template.data["Resources"].get(candidate)
        if isinstance(source, dict) and source.get("Type") == "AWS::Serverless::LayerVersion":
            original_ids[new_id] = candidate
    return Expanded(data=out, local_code=localize.local_code, original_ids=original_ids)
