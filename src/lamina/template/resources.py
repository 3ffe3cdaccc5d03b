"""The one reader of an expanded template's resources, for every module that turns them into specs.

``Resources`` reads a resource's properties with every intrinsic function resolved and checks
their types, and builds errors located at what the user wrote: a resource SAM renamed (layers
get a content hash appended) is named by its original logical id, and one SAM generated
(``ServerlessRestApi``, ``MyFnUrl``) by the resource it stems from, with the generated id in the
message. A property that cannot be resolved is a ``TemplateError`` at the exact value (``field``
``Environment.Variables.X``), a value of the wrong type one at the property.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lamina.errors import TemplateError
from lamina.template.intrinsics import NO_VALUE, ResolveError, Resolver
from lamina.template.loader import Template
from lamina.template.sam import LOCAL_BUCKET, Expanded


class Resources:
    """The active resources of ``expanded`` (the template after the SAM expansion)."""

    def __init__(
        self,
        template: Template,
        expanded: Expanded,
        active: Mapping[str, Mapping[str, Any]],
        resolver: Resolver,
    ) -> None:
        self.template = template
        self.expanded = expanded
        self.resources = active
        self.resolver = resolver

    def original_id(self, logical_id: str) -> str:
        """The logical id the user wrote for ``logical_id``."""
        return self.expanded.original_ids.get(logical_id, logical_id)

    def of_type(self, *types: str) -> list[str]:
        return [i for i, r in self.resources.items() if r.get("Type") in types]

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        properties = self.resources[logical_id].get("Properties") or {}
        if not isinstance(properties, Mapping):
            raise self.fail(logical_id, None, "Properties must be a mapping")
        return properties

    def get(self, logical_id: str, name: str, default: Any = None) -> Any:
        """Property ``name`` resolved; ``default`` when it is absent or ``AWS::NoValue``."""
        properties = self.properties(logical_id)
        if name not in properties:
            return default
        path = ("Resources", logical_id, "Properties", name)
        value = self.resolve(logical_id, properties[name], path)
        return default if value is NO_VALUE else value

    def required(self, logical_id: str, name: str) -> Any:
        if name not in self.properties(logical_id):
            raise self.fail(logical_id, name, f"{name} is required")
        return self.get(logical_id, name)

    def string(self, logical_id: str, name: str) -> str:
        """A required property that must be a string (numbers are taken as their text)."""
        value = self.required(logical_id, name)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(
                logical_id, name, f"{name} must be a string, got {type(value).__name__}"
            )
        return str(value)

    def integer(
        self, logical_id: str, name: str, default: int | None, low: int, high: int
    ) -> int | None:
        value = self.get(logical_id, name, default)
        if value is None:
            return None
        try:
            number = int(str(value))
        except ValueError:
            raise self.fail(logical_id, name, f"{name} must be an integer, got {value!r}") from None
        if not low <= number <= high:
            raise self.fail(
                logical_id, name, f"{name} must be between {low} and {high}, got {number}"
            )
        return number

    def mapping(self, logical_id: str, name: str) -> dict[str, Any]:
        value = self.get(logical_id, name, {})
        if not isinstance(value, dict):
            raise self.fail(logical_id, name, f"{name} must be a mapping")
        return value

    def listing(self, logical_id: str, name: str) -> list[Any]:
        value = self.get(logical_id, name, [])
        if not isinstance(value, list):
            raise self.fail(logical_id, name, f"{name} must be a list")
        return value

    def ref(self, logical_id: str, attribute: str | None = None) -> str:
        """What ``!Ref logical_id`` (or ``!GetAtt logical_id.attribute``) resolves to."""
        value = {"Fn::GetAtt": [logical_id, attribute]} if attribute else {"Ref": logical_id}
        return str(self.resolve(logical_id, value, ("Resources", logical_id)))

    def local_code(self, code: Any) -> Path | None:
        """The local file or directory a resolved ``Code``/``Content`` stands for (SAM's
        expansion points it at a placeholder bucket), None for code really in S3."""
        if isinstance(code, dict) and code.get("S3Bucket") == LOCAL_BUCKET:
            return self.expanded.local_code.get(str(code.get("S3Key")))
        return None

    def resolve(self, logical_id: str, value: Any, path: tuple[str | int, ...]) -> Any:
        """``value`` (found at ``path``) resolved, or the ``TemplateError`` located there."""
        try:
            return self.resolver.resolve(value, path)
        except ResolveError as exc:
            raise self._unresolved(logical_id, exc) from None

    def fail(self, logical_id: str, field: str | None, message: str) -> TemplateError:
        """An error at ``field`` of ``logical_id``, located where the user can find it."""
        original: str | None = self.original_id(logical_id)
        if original not in self.template.data["Resources"]:
            message = f"{logical_id}: {message}"
            original, field = self._sam_owner(logical_id), None
        return self.template.error(message, resource=original, field=field)

    def _unresolved(self, logical_id: str, exc: ResolveError) -> TemplateError:
        path = exc.path
        if len(path) >= 2 and path[0] == "Resources":
            path = ("Resources", self.original_id(str(path[1])), *path[2:])
            if path[1] in self.template.data["Resources"]:
                return self.template.error_at(exc.message, path)
        field = str(exc.path[3]) if len(exc.path) >= 4 else None
        return self.fail(logical_id, field, exc.message)

    def _sam_owner(self, logical_id: str) -> str | None:
        """The user's resource a generated one stems from (``MyFnUrl`` -> ``MyFn``)."""
        for candidate in self.template.data["Resources"]:
            if logical_id.startswith(str(candidate)):
                return str(candidate)
        return None
