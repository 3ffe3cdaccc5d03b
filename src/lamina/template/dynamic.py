"""Dynamic references, resolved where CloudFormation resolves them: at deploy.

``{{resolve:ssm:NAME[:VERSION]}}``, ``{{resolve:ssm-secure:NAME[:VERSION]}}`` and
``{{resolve:secretsmanager:ID[:SecretString[:JSON_KEY[:VERSION_STAGE[:VERSION_ID]]]]}}`` (ID a
name or an ARN) anywhere in a string. The values come from ``DynamicValues``, which the
composition root fills from Lamina's own Parameter Store and Secrets Manager (and a local file of
values for what Lamina does not hold); a reference that cannot be resolved is an error naming it.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from lamina import fastjson

_REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):([^{}]+)\}\}")
MARKER = "{{resolve:"


class DynamicValues(Protocol):
    def parameter(self, name: str, version: int | None) -> str | None:
        """The parameter's value (a SecureString decrypted), None when there is none."""
        ...

    def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str | None:
        """The secret's SecretString, None when there is none."""
        ...


class DynamicReferenceError(ValueError):
    """``str()`` names the reference and why it could not be resolved."""


def substitute(text: str, values: DynamicValues) -> str:
    def one(match: re.Match[str]) -> str:
        kind, body = match.group(1), match.group(2)
        if kind in ("ssm", "ssm-secure"):
            return _parameter(match.group(0), body, values)
        return _secret(match.group(0), body, values)

    return _REFERENCE.sub(one, text)


def _parameter(reference: str, body: str, values: DynamicValues) -> str:
    name, _, version = body.rpartition(":")
    if not name or not version.isdigit():
        name, version = body, ""
    found = values.parameter(name, int(version) if version else None)
    if found is None:
        what = f"version {version} of parameter {name}" if version else f"parameter {name}"
        raise DynamicReferenceError(f"{reference}: {what} not found")
    return found


def _secret(reference: str, body: str, values: DynamicValues) -> str:
    parts = body.split(":")
    if parts[0] == "arn":
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    rest += [""] * (4 - len(rest))
    field, key, stage, version_id = rest[:4]
    if field not in ("", "SecretString"):
        raise DynamicReferenceError(f"{reference}: only SecretString can be referenced")
    found = values.secret(secret_id, stage or None, version_id or None)
    if found is None:
        raise DynamicReferenceError(f"{reference}: secret {secret_id} not found")
    if not key:
        return found
    try:
        doc: Any = fastjson.loads(found)
    except ValueError:
        raise DynamicReferenceError(f"{reference}: the secret's value is not JSON") from None
    if not isinstance(doc, dict) or key not in doc:
        raise DynamicReferenceError(f"{reference}: the secret has no key {key}")
    value = doc[key]
    return value if isinstance(value, str) else fastjson.dumps_text(value)
