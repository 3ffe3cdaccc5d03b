"""Custom domain names of an expanded template -> the ``BasePathMapping``s of each API.

REST: ``AWS::ApiGateway::BasePathMapping`` (``DomainName``, ``RestApiId``, ``Stage``,
``BasePath``); HTTP APIs (and REST APIs on a regional domain): ``AWS::ApiGatewayV2::ApiMapping``
(``DomainName``, ``ApiId``, ``Stage``, ``ApiMappingKey``, which may have several levels such as
``orders/v2``). SAM's ``Domain`` property of ``AWS::Serverless::Api`` and ``HttpApi`` expands
into these. The ``DomainName`` resources themselves carry only certificates and endpoint
settings, which have no local effect: Lamina serves plain HTTP, and a mapping's domain is the
``Host`` it answers to on the gateway port.

A mapping to an API or a stage the template does not deploy, or two mappings of one base path
on one domain, is a ``TemplateError`` at the mapping, as CloudFormation would fail the stack.
"""

from __future__ import annotations

from dataclasses import replace

from lamina.model.apis import Api, BasePathMapping
from lamina.template.resources import Resources

REST_MAPPING = "AWS::ApiGateway::BasePathMapping"
V2_MAPPING = "AWS::ApiGatewayV2::ApiMapping"
# (API property, stage property, base path property) by mapping type.
_FIELDS = {
    REST_MAPPING: ("RestApiId", "Stage", "BasePath"),
    V2_MAPPING: ("ApiId", "Stage", "ApiMappingKey"),
}


def base_path(text: str) -> str:
    """A base path as API Gateway stores it: no slashes at either end; ``(none)`` and ``/``
    (how the console and SAM spell the root) are ""."""
    stripped = text.strip().strip("/")
    return "" if stripped == "(none)" else stripped


def with_domains(reader: Resources, apis: list[Api]) -> list[Api]:
    """``apis`` with the custom domain mappings of the template attached to the API each names."""
    by_id = {api.id: api for api in apis}
    mappings: dict[str, list[BasePathMapping]] = {}
    seen: dict[tuple[str, str], str] = {}
    for type_, (api_field, stage_field, path_field) in _FIELDS.items():
        for logical_id in reader.of_type(type_):
            domain = reader.string(logical_id, "DomainName").lower().rstrip(".")
            api_id = reader.string(logical_id, api_field)
            api = by_id.get(api_id)
            if api is None:
                raise reader.fail(
                    logical_id, api_field, f"{api_field} {api_id} is not an API of this template"
                )
            stage = reader.get(logical_id, stage_field)
            stage = None if stage in (None, "") else str(stage)
            if stage is None and type_ == V2_MAPPING:
                raise reader.fail(logical_id, stage_field, f"{stage_field} is required")
            if stage is not None and stage not in {s.name for s in api.stages}:
                raise reader.fail(
                    logical_id,
                    stage_field,
                    f"Invalid stage identifier specified: {stage} is not a stage of {api_id}",
                )
            path = base_path(str(reader.get(logical_id, path_field) or ""))
            other = seen.setdefault((domain, path), logical_id)
            if other != logical_id:
                raise reader.fail(
                    logical_id,
                    path_field,
                    f"Base path already exists for this domain name: {domain}/{path} "
                    f"is mapped by {reader.original_id(other)} too",
                )
            mappings.setdefault(api_id, []).append(BasePathMapping(domain, path, stage))
    return [
        replace(api, base_paths=tuple(mappings[api.id])) if api.id in mappings else api
        for api in apis
    ]
