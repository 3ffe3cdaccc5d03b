"""How often, and after how long, SNS tries a delivery again (its delivery policies).

HTTP/S endpoints follow the ``healthyRetryPolicy`` of the subscription's ``DeliveryPolicy``,
else the topic's ``http.defaultHealthyRetryPolicy``, else SNS's default (3 retries, 20 s
apart). The phases run in AWS's order: ``numNoDelayRetries`` at once, ``numMinDelayRetries``
after ``minDelayTarget``, the backoff phase from min to max delay (``linear``, ``arithmetic``,
``geometric`` or ``exponential``), then ``numMaxDelayRetries`` after ``maxDelayTarget``.

AWS-managed endpoints (SQS, Lambda, Firehose) are retried 3 times at once, twice after a
second, then 10 times backing off to 20 s; AWS then keeps trying every 20 s for 23 days, which
Lamina does not: it dead-letters (or drops, logged) after these 15 retries, about 70 seconds.
Email and SMS are recorded to the log and never fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.services.sns.models import DEFAULT_HTTP_POLICY

MANAGED = (0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.4, 2.0, 2.7, 3.7, 5.2, 7.2, 10.0, 14.4, 20.0)


def http_delays(subscription_policy: str | None, topic_policy: str | None) -> list[float]:
    policy = _healthy(subscription_policy, "healthyRetryPolicy")
    if policy is None:
        topic = _load(topic_policy).get("http")
        if isinstance(topic, Mapping):
            found = topic.get("defaultHealthyRetryPolicy")
            policy = found if isinstance(found, Mapping) else None
    if policy is None:
        policy = DEFAULT_HTTP_POLICY["http"]["defaultHealthyRetryPolicy"]
    return schedule(policy)


def schedule(policy: Mapping[str, Any]) -> list[float]:
    retries = _int(policy.get("numRetries"), 3)
    low = float(_int(policy.get("minDelayTarget"), 20))
    high = float(max(_int(policy.get("maxDelayTarget"), 20), int(low)))
    no_delay = _int(policy.get("numNoDelayRetries"), 0)
    at_min = _int(policy.get("numMinDelayRetries"), 0)
    at_max = _int(policy.get("numMaxDelayRetries"), 0)
    backoff = max(retries - no_delay - at_min - at_max, 0)
    delays = [0.0] * no_delay + [low] * at_min
    delays += _backoff(str(policy.get("backoffFunction", "linear")), low, high, backoff)
    delays += [high] * at_max
    return delays[:retries]


def _backoff(function: str, low: float, high: float, steps: int) -> list[float]:
    if steps <= 0:
        return []
    if steps == 1 or high == low:
        return [low] * steps
    out = []
    for i in range(steps):
        share = i / (steps - 1)
        if function == "exponential":
            value = low * (high / low) ** share
        elif function == "geometric":
            value = low + (high - low) * share**2
        elif function == "arithmetic":
            value = low + (high - low) * share**0.5
        else:
            value = low + (high - low) * share
        out.append(round(value, 3))
    return out


def _healthy(policy: str | None, key: str) -> Mapping[str, Any] | None:
    found = _load(policy).get(key)
    return found if isinstance(found, Mapping) else None


def _load(policy: str | None) -> Mapping[str, Any]:
    if not policy:
        return {}
    try:
        loaded = fastjson.loads(policy)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, Mapping) else {}


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
