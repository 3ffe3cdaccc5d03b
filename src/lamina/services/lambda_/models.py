"""The Lambda API's view of one function: its versions, aliases and settings, as one document.

A ``FunctionDoc`` is what the registry keeps (and stores as JSON) per function. ``runtime()``
turns it into the ``LambdaFunction`` the engine runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina import ids, timestamps
from lamina.model.lambdas import LATEST, AliasSpec, EventInvokeConfig, LambdaFunction
from lamina.model.specs import FunctionSpec
from lamina.services.lambda_.specjson import spec_from_json, to_json

API = "api"
TEMPLATE = "template"


def timestamp(now: float) -> str:
    """Lambda's LastModified for ``now`` (epoch seconds): ``2024-05-01T12:00:00.000+0000``."""
    return timestamps.iso_millis(now, "+0000")


def revision() -> str:
    return ids.request_id()


@dataclass
class Meta:
    """What Lambda reports about one version besides what runs it."""

    code_sha256: str
    code_size: int
    last_modified: str  # ``timestamp`` of the registry's clock
    role: str = "arn:aws:iam::123456789012:role/lamina"
    revision_id: str = field(default_factory=revision)
    layers: list[str] = field(default_factory=list)
    tracing: str = "PassThrough"
    # True when the code directory never changes (an extracted zip): versions share it.
    immutable_code: bool = False


@dataclass
class Version:
    spec: FunctionSpec
    meta: Meta


@dataclass
class Alias:
    name: str
    function_version: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    revision_id: str = field(default_factory=revision)

    def spec(self) -> AliasSpec:
        return AliasSpec(
            self.name, self.function_version, MappingProxyType(dict(self.weights)), self.description
        )


@dataclass
class FunctionDoc:
    origin: str
    latest: Version
    logical_id: str | None = None
    versions: dict[str, Version] = field(default_factory=dict)
    next_version: int = 1
    aliases: dict[str, Alias] = field(default_factory=dict)
    reserved: int | None = None
    # qualifier -> {"Requested": n, "LastModified": ...}
    provisioned: dict[str, dict[str, Any]] = field(default_factory=dict)
    # qualifier -> (config, LastModified as epoch seconds)
    event_invoke: dict[str, tuple[EventInvokeConfig, float]] = field(default_factory=dict)
    urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # Template functions: the template's form of the function when last deployed, and whether
    # UpdateFunctionCode/Configuration changed $LATEST since (kept until that form changes).
    template_form: dict[str, Any] | None = None
    overridden: bool = False

    @property
    def name(self) -> str:
        return self.latest.spec.name

    @property
    def arn(self) -> str:
        return self.latest.spec.arn

    def version(self, qualifier: str | None) -> Version | None:
        if qualifier in (None, LATEST):
            return self.latest
        return self.versions.get(str(qualifier))

    def runtime(self) -> LambdaFunction:
        return LambdaFunction(
            latest=self.latest.spec,
            versions=MappingProxyType({n: v.spec for n, v in self.versions.items()}),
            aliases=MappingProxyType({n: a.spec() for n, a in self.aliases.items()}),
            reserved_concurrency=self.reserved,
            provisioned=MappingProxyType(
                {q: int(p["Requested"]) for q, p in self.provisioned.items()}
            ),
            event_invoke=MappingProxyType({q: c for q, (c, _) in self.event_invoke.items()}),
        )

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "logical_id": self.logical_id,
            "latest": _version_json(self.latest),
            "versions": {n: _version_json(v) for n, v in self.versions.items()},
            "next_version": self.next_version,
            "aliases": {n: dataclasses.asdict(a) for n, a in self.aliases.items()},
            "reserved": self.reserved,
            "provisioned": self.provisioned,
            "event_invoke": {q: [to_json(c), t] for q, (c, t) in self.event_invoke.items()},
            "urls": self.urls,
            "tags": self.tags,
            "template_form": self.template_form,
            "overridden": self.overridden,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FunctionDoc:
        return cls(
            origin=doc["origin"],
            logical_id=doc.get("logical_id"),
            latest=_version(doc["latest"]),
            versions={n: _version(v) for n, v in doc.get("versions", {}).items()},
            next_version=int(doc.get("next_version", 1)),
            aliases={n: Alias(**a) for n, a in doc.get("aliases", {}).items()},
            reserved=doc.get("reserved"),
            provisioned=dict(doc.get("provisioned", {})),
            event_invoke={
                q: (EventInvokeConfig(**c), float(t))
                for q, (c, t) in doc.get("event_invoke", {}).items()
            },
            urls=dict(doc.get("urls", {})),
            tags=dict(doc.get("tags", {})),
            template_form=doc.get("template_form"),
            overridden=bool(doc.get("overridden", False)),
        )


def template_form(spec: FunctionSpec, code_sha256: str) -> dict[str, Any]:
    """What a template says about one function, as JSON (compared across restarts)."""
    return {"spec": to_json(spec), "code_sha256": code_sha256}


def _version_json(version: Version) -> dict[str, Any]:
    return {"spec": to_json(version.spec), "meta": dataclasses.asdict(version.meta)}


def _version(doc: dict[str, Any]) -> Version:
    return Version(spec_from_json(doc["spec"]), Meta(**doc["meta"]))
