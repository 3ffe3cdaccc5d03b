"""Which AWS service a request is for, from botocore's own service models.

A ``ServiceModel`` holds what the endpoint needs of a model's metadata (protocols, target
prefix, signing name, XML namespace); a REST operation is found from the method and path by
``rest.routes`` (the same routing a served service uses). Models are read from the
botocore that is installed, so a service botocore knows is recognised even when Lamina does not
serve it, and an unserved request can be answered in that service's protocol, naming it.

A ``ServiceModel`` is read from the head of the model's file: botocore writes ``metadata`` first
(after ``version``), so decompressing the first few KB and cutting that one object out is enough
(well under a millisecond, where loading the whole model costs tens of milliseconds and
megabytes). Routing (``ModelService``'s target prefix, the signing names) therefore never loads a
model; the shapes load on a service's first request (``shapes.model``). Looking a service up by
signing name or target prefix reads the head of every model botocore ships (about 0.15 s once
per process, where loading every model took 3 to 7 s): callers still run ``find`` off the event
loop. A model whose head does not hold its metadata (another layout, a future botocore) is
loaded whole, as before.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from typing import IO, Any

from lamina import fastjson

_INDEX_LOCK = threading.Lock()
# How much of a model file is read at a time looking for the end of its metadata (most
# services' metadata is under 1 KB).
_HEAD_BYTES = 4096
# The document opens with its format's version, then the metadata.
_FIRST_KEY = re.compile(rb'\s*\{\s*(?:"version"\s*:\s*"[^"]*"\s*,\s*)?"metadata"\s*:\s*')


@dataclass(frozen=True, slots=True)
class ServiceModel:
    name: str
    signing_name: str
    protocols: tuple[str, ...]
    target_prefix: str | None
    json_version: str
    xml_namespace: str | None
    # The metadata's legacy ``protocol``: the one botocore's ``ServiceModel.protocol`` names and
    # ``shapes.Model.protocol`` serves by default.
    default_protocol: str

    @property
    def protocol(self) -> str:
        return self.protocols[0]


def _build(name: str, document: dict[str, Any]) -> ServiceModel:
    meta = document.get("metadata", {})
    protocols = tuple(meta.get("protocols") or [meta.get("protocol", "json")])
    return ServiceModel(
        default_protocol=meta.get("protocol") or protocols[0],
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
        meta = _metadata(name)
        if meta is not None:
            return _build(name, {"metadata": meta})
        document = _load_whole(name)
    except Exception:  # botocore raises its own UnknownServiceError, among others
        return None
    return _build(name, document)


def _load_whole(name: str) -> dict[str, Any]:
    import botocore.loaders

    document: dict[str, Any] = botocore.loaders.Loader().load_service_model(name, "service-2")
    return document


@functools.cache
def _roots() -> tuple[str, ...]:
    """Where botocore's default ``Loader`` looks for models, in its order (``~/.aws/models``,
    then its own ``data``), found without importing botocore (150 modules, 13 MB)."""
    spec = importlib.util.find_spec("botocore")
    builtin = (
        [os.path.join(p, "data") for p in (spec.submodule_search_locations or [])] if spec else []
    )
    return (os.path.join(os.path.expanduser("~"), ".aws", "models"), *builtin)


def _files(name: str, version: str) -> list[str]:
    found = []
    for root in _roots():
        base = os.path.join(root, name, version, "service-2")
        found += [f for f in (base + ".json.gz", base + ".json") if os.path.isfile(f)]
    return found


def _latest(name: str) -> str | None:
    """The newest API version with a service model (botocore's ``determine_latest_version``)."""
    versions: set[str] = set()
    for root in _roots():
        folder = os.path.join(root, name)
        if os.path.isdir(folder):
            versions.update(v for v in os.listdir(folder) if _files(name, v))
    return max(versions) if versions else None


def _metadata(name: str) -> dict[str, Any] | None:
    """The ``metadata`` object at the head of the model file, or None where it is not first."""
    version = _latest(name)
    for path in _files(name, version) if version else ():
        opener: Any = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            return _head(f)
    return None


def _head(f: IO[bytes]) -> dict[str, Any] | None:
    data = b""
    while chunk := f.read(_HEAD_BYTES):
        data += chunk
        first = _FIRST_KEY.match(data)
        if first is None:
            return None
        end = _object_end(data, first.end())
        if end is None:
            continue  # cut short: read on
        meta = fastjson.loads(data[first.end() : end])
        return meta if isinstance(meta, dict) else None
    return None


def _object_end(data: bytes, start: int) -> int | None:
    """Where the JSON object opening at ``start`` ends (past its ``}``), or None if it is cut."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(data)):
        c = data[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:  # backslash
                escaped = True
            elif c == 0x22:  # quote
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c == 0x7B:  # {
            depth += 1
        elif c == 0x7D:  # }
            depth -= 1
            if depth == 0:
                return i + 1
    return None


@functools.cache
def _index() -> tuple[ServiceModel, ...]:
    with _INDEX_LOCK:
        # botocore's ``list_available_services``: every folder holding a model, sorted.
        names = {
            n for root in _roots() if os.path.isdir(root) for n in os.listdir(root) if _latest(n)
        }
        return tuple(m for m in map(model, sorted(names)) if m is not None)


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
