"""Subscription filter policies: which published messages a subscription receives.

A policy (``FilterPolicy``) is checked when it is set, with SNS's wording
(``Invalid parameter: FilterPolicy: <reason>``), and compiled once per distinct policy text
and scope (``lamina.patterns``). ``MessageAttributes`` scope (the default) matches the
message's attributes: ``String`` values as strings, ``Number`` values as numbers,
``String.Array`` values as the JSON array they hold; ``Binary`` attributes are not compared.
``MessageBody`` scope matches the message itself, which must be a JSON object.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lamina import fastjson, patterns
from lamina.delivery import Attribute
from lamina.services.sns.errors import invalid

SCOPES = ("MessageAttributes", "MessageBody")
MAX_POLICY_BYTES = 256 * 1024


def check(policy: str, scope: str | None, prefix: str = "") -> None:
    """Raise SNS's ``InvalidParameter`` for a policy or scope it would refuse (``prefix``:
    Subscribe words it ``Attributes Reason: ...``)."""
    if scope is not None and scope not in SCOPES:
        raise invalid(
            f"{prefix}FilterPolicyScope: Invalid value [{scope}]. Please use either "
            "MessageBody or MessageAttributes"
        )
    if not policy.strip():
        return
    if len(policy.encode()) > MAX_POLICY_BYTES:
        raise invalid(f"{prefix}FilterPolicy: Filter policy is too long")
    try:
        compiled(policy, scope or SCOPES[0])
    except patterns.PatternError as exc:
        raise invalid(f"{prefix}FilterPolicy: {exc}") from None


@functools.lru_cache(maxsize=1024)
def compiled(policy: str, scope: str) -> patterns.Pattern:
    rules = patterns.SNS_BODY if scope == "MessageBody" else patterns.SNS_ATTRIBUTES
    return patterns.parse(policy, rules)


def accepts(
    policy: str | None, scope: str | None, body: str, attributes: Mapping[str, Attribute]
) -> bool:
    """Whether a subscription with this policy receives the message."""
    if not policy or not policy.strip() or policy.strip() == "{}":
        return True
    try:
        pattern = compiled(policy, scope or SCOPES[0])
    except patterns.PatternError:
        return False
    if scope == "MessageBody":
        try:
            document = fastjson.loads(body)
        except ValueError:
            return False
        return pattern.matches(document)
    return pattern.matches(attribute_document(attributes))


def attribute_document(attributes: Mapping[str, Attribute]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, attribute in attributes.items():
        kind = attribute.data_type.split(".", 1)[0]
        text = attribute.string_value
        if text is None or kind == "Binary":
            continue
        if attribute.data_type.startswith("String.Array"):
            try:
                document[name] = fastjson.loads(text)
            except ValueError:
                continue
        elif kind == "Number":
            document[name] = _number(text)
        else:
            document[name] = text
    return document


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text
