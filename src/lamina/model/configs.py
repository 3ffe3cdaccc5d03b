"""Configuration a template stores for its functions to read: SSM parameters and secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NONE: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    logical_id: str
    name: str
    type: str
    value: str
    description: str | None = None
    allowed_pattern: str | None = None
    tier: str | None = None
    data_type: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SecretSpec:
    logical_id: str
    name: str
    # The value as written, or (when None) generated from ``generate``
    # (GenerateSecretString's properties) once, when the secret is made.
    secret_string: str | None = None
    generate: Mapping[str, Any] = field(default_factory=lambda: _NONE)
    description: str | None = None
    kms_key_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
