"""API Gateway's API keys and usage plans of an expanded template (SAM's ``ApiKeyRequired`` with
``UsagePlan`` makes them): ``AWS::ApiGateway::ApiKey``, ``UsagePlan`` and ``UsagePlanKey``.

A key without a ``Value`` gets one as CloudFormation would (40 characters), derived from the stack
and the logical id so that it stays the same from start to start; ``lamina up`` prints it.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from typing import Any

from lamina.model.apis import ApiKey, MethodThrottle, UsagePlan, throttle_key
from lamina.template.resources import Resources

_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Found:
    keys: list[ApiKey] = field(default_factory=list)
    plans: list[UsagePlan] = field(default_factory=list)


def _generated(stack_name: str, logical_id: str) -> str:
    number = int.from_bytes(hashlib.sha256(f"{stack_name}\0{logical_id}".encode()).digest(), "big")
    chars = []
    for _ in range(40):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def find(reader: Resources, stack_name: str) -> Found:
    found = Found()
    for logical_id in reader.of_type("AWS::ApiGateway::ApiKey"):
        value = reader.get(logical_id, "Value") or _generated(stack_name, logical_id)
        enabled = str(reader.get(logical_id, "Enabled", False)).lower() == "true"
        found.keys.append(
            ApiKey(
                id=reader.ref(logical_id),
                name=str(reader.get(logical_id, "Name") or reader.original_id(logical_id)),
                value=str(value),
                enabled=enabled,
            )
        )
    plan_keys: dict[str, list[str]] = {}
    for logical_id in reader.of_type("AWS::ApiGateway::UsagePlanKey"):
        plan = str(reader.get(logical_id, "UsagePlanId"))
        plan_keys.setdefault(plan, []).append(str(reader.get(logical_id, "KeyId")))
    for logical_id in reader.of_type("AWS::ApiGateway::UsagePlan"):
        plan_id = reader.ref(logical_id)
        throttle = reader.mapping(logical_id, "Throttle")
        quota = reader.mapping(logical_id, "Quota")
        entries = [s for s in reader.listing(logical_id, "ApiStages") if isinstance(s, dict)]
        stages = tuple((str(s.get("ApiId")), str(s.get("Stage"))) for s in entries)
        found.plans.append(
            UsagePlan(
                id=plan_id,
                name=str(reader.get(logical_id, "UsagePlanName") or reader.original_id(logical_id)),
                stages=stages,
                key_ids=tuple(plan_keys.get(plan_id, ())),
                rate=_number(throttle.get("RateLimit")),
                burst=_int(throttle.get("BurstLimit")),
                quota=_int(quota.get("Limit")),
                quota_period=str(quota["Period"]).upper() if quota.get("Period") else None,
                method_throttles=_method_throttles(reader, logical_id, entries),
            )
        )
    return found


def _method_throttles(
    reader: Resources, logical_id: str, entries: list[dict[str, Any]]
) -> tuple[MethodThrottle, ...]:
    """``ApiStages[].Throttle``: ``{"/pets/GET": {"RateLimit": 5, "BurstLimit": 2}}``."""
    found = []
    for i, entry in enumerate(entries):
        throttles = entry.get("Throttle") or {}
        if not isinstance(throttles, dict):
            raise reader.fail(logical_id, f"ApiStages[{i}].Throttle", "Throttle must be a mapping")
        for key, limits in throttles.items():
            path, method = throttle_key(str(key))
            if not path.startswith("/") or not method or not isinstance(limits, dict):
                raise reader.fail(
                    logical_id,
                    f"ApiStages[{i}].Throttle",
                    f"Throttle keys are /resourcePath/METHOD with RateLimit and BurstLimit, "
                    f"got {key!r}",
                )
            found.append(
                MethodThrottle(
                    str(entry.get("ApiId")),
                    str(entry.get("Stage")),
                    path,
                    method,
                    _number(limits.get("RateLimit")),
                    _int(limits.get("BurstLimit")),
                )
            )
    return tuple(found)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
