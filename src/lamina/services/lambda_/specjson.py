"""``FunctionSpec`` to JSON and back, for the registry's durable documents.

Field by field from the dataclass, so a field added to the spec later round-trips without a
change here (fields missing from an older document take their defaults).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lamina.model.lambdas import EventInvokeConfig
from lamina.model.specs import FunctionSpec, LayerSpec, LoggingSpec

_PATHS = frozenset({"code_dir", "dependencies_dir", "content_dir"})
_NESTED: dict[str, type[Any]] = {"logging": LoggingSpec}
_NESTED_TUPLES: dict[str, type[Any]] = {"layers": LayerSpec, "event_invoke": EventInvokeConfig}


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, MappingProxyType | dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def _build(cls: type[Any], doc: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in doc:
            continue
        raw = doc[f.name]
        if raw is not None and f.name in _PATHS:
            raw = Path(raw)
        elif raw is not None and f.name in _NESTED:
            raw = _build(_NESTED[f.name], raw)
        elif f.name in _NESTED_TUPLES:
            raw = tuple(_build(_NESTED_TUPLES[f.name], item) for item in raw or ())
        elif isinstance(raw, list):
            raw = tuple(raw)
        elif isinstance(raw, dict):
            raw = MappingProxyType(dict(raw))
        values[f.name] = raw
    return cls(**values)


def spec_from_json(doc: dict[str, Any]) -> FunctionSpec:
    spec: FunctionSpec = _build(FunctionSpec, doc)
    return spec
