"""Which AWS service a request is for, from botocore's own service models.

A ``ServiceModel`` holds what the endpoint needs of a model's metadata (protocols, target
prefix, signing name, XML namespace); a REST operation is found from the method and path by
``rest.routes`` (the same routing a served service uses). Models are read from the
botocore that is installed, so a service botocore knows is recognised even when Lamina does not
serve it, and an unserved request can be answered in that service's protocol, naming it.

Looking a service up by its directory name costs one model load (cached). Looking one up by
signing name or target prefix may read every model botocore ships (about 3 s, once per process):
callers run ``find`` off the event loop.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import botocore.loaders

_LOADER = botocore.loaders.Loader()
_INDEX_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ServiceModel:
    name: str
    signing_name: str
    protocols: tuple[str, ...]
    target_prefix: str | None
    json_version: str
    xml_namespace: str | None

    @property
    def protocol(self) -> str:
        return self.protocols[0]


def _build(name: str, document: dict[str, Any]) -> ServiceModel:
    meta = document.get("metadata", {})
    protocols = tuple(meta.get("protocols") or [meta.get("protocol", "json")])
    return ServiceModel(
        name=name,
        signing_name=meta.get("signingName") or meta.get("endpointPrefix") or name,
        protocols=protocols,
        target_prefix=meta.get("targetPrefix"),
        json_version=meta.get("jsonVersion", "1.0"),
        xml_namespace=meta.get("xmlNamespace", {}).get("uri")
        if isinstance(meta.get("xmlNamespace"), dict)
        else None,
    )


@functools.cache
def model(name: str) -> ServiceModel | None:
    """The model botocore keeps under ``name`` (``sns``, ``s3``, ``stepfunctions``...)."""
    try:
        document = _LOADER.load_service_model(name, "service-2")
    except Exception:  # botocore raises its own UnknownServiceError, among others
        return None
    return _build(name, document)


@functools.cache
def _index() -> tuple[ServiceModel, ...]:
    with _INDEX_LOCK:
        names = _LOADER.list_available_services("service-2")
        return tuple(m for m in map(model, names) if m is not None)


def find(signing_name: str | None, target: str | None) -> ServiceModel | None:
    """The service a request is for, from its SigV4 signing name and/or ``X-Amz-Target``."""
    prefix = target.rsplit(".", 1)[0] if target and "." in target else None
    if signing_name:
        direct = model(signing_name)
        if direct is not None and (prefix is None or direct.target_prefix == prefix):
            return direct
    candidates = [
        m
        for m in _index()
        if (signing_name is None or m.signing_name == signing_name)
        and (prefix is None or m.target_prefix == prefix)
    ]
    if candidates:
        return candidates[0]
    return model(signing_name) if signing_name else None
