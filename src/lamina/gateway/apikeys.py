"""API keys, usage plans and their throttles: the pipeline step of a method that requires a key.

The ``x-api-key`` header must hold an enabled key that a usage plan covering this API and stage
admits, else 403 ``Forbidden``. Each (plan, key) has a token bucket of the plan's ``BurstLimit``
refilled at its ``RateLimit`` per second (exact: requests are decided one at a time on the event
loop), past which 429 ``Too Many Requests``; and a quota per DAY, WEEK or MONTH (UTC), past which
429 ``Limit Exceeded``. A plan's method throttle (``ApiStages[].Throttle``, ``/path/METHOD``)
takes the place of the plan's throttle on that method: each (plan, key, method) has its own
bucket, as API Gateway applies per-client per-method limits first. Calls are counted per UTC
day (a redeploy, or keys and plans changed through the management API, keeps the counts;
``record`` and ``restore`` keep them across restarts). Calls past the quota are not counted;
calls the throttle refuses are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from lamina import fastjson
from lamina.clock import SYSTEM
from lamina.gateway.events import Call
from lamina.gateway.plan import Next
from lamina.gateway.tokenbucket import TokenBucket
from lamina.model.apis import ApiKey, UsagePlan
from lamina.net.messages import Response, json_response


def _refusal(status: int, message: str) -> Response:
    kind = "ForbiddenException" if status == 403 else "TooManyRequestsException"
    return json_response(status, fastjson.dumps({"message": message}), [("x-amzn-ErrorType", kind)])


class Usage:
    """The keys and plans of a deployment, and what each key has used (shared by its routes)."""

    def __init__(self, keys: Sequence[ApiKey], plans: Sequence[UsagePlan]) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.plans: list[UsagePlan] = []
        # By (plan, key), or (plan, key, api, stage, path, method) for a method throttle.
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        # Each plan's method throttles: (api, stage, path, method) -> (rate, burst).
        self._methods: dict[str, dict[tuple[str, str, str, str], tuple[float, float]]] = {}
        self._quotas: dict[tuple[str, str], tuple[int, int]] = {}
        # Calls each (plan, key) made by UTC day number, for quotas and GetUsage.
        self._daily: dict[tuple[str, str], dict[int, int]] = {}
        # Told (plan id, key id, day number, calls that day) after each counted call, to keep
        # the counts across restarts.
        self.record: Callable[[str, str, int, int], None] | None = None
        self.replace(keys, plans)

    def replace(self, keys: Sequence[ApiKey], plans: Sequence[UsagePlan]) -> None:
        """Serve these keys and plans from now on; what each key used so far is kept, and a
        plan whose limits changed starts a full bucket."""
        self.keys = {k.value: k for k in keys}
        old = {p.id: p for p in self.plans}
        self.plans = list(plans)
        self._methods = {p.id: _method_limits(p) for p in self.plans if p.method_throttles}
        for plan in self.plans:
            before = old.get(plan.id)
            limits = (plan.rate, plan.burst, plan.method_throttles)
            if (
                before is not None
                and (before.rate, before.burst, before.method_throttles) != limits
            ):
                for slot in [s for s in self._buckets if s[0] == plan.id]:
                    del self._buckets[slot]

    def used(self, plan_id: str, key_id: str) -> dict[str, int]:
        """The calls a key made under a plan, by UTC day (``YYYY-MM-DD``)."""
        days = self._daily.get((plan_id, key_id), {})
        return {(_EPOCH + dt.timedelta(days=d)).isoformat(): n for d, n in days.items()}

    def plan_for(self, key: ApiKey, api_id: str, stage: str) -> UsagePlan | None:
        for plan in self.plans:
            if key.id in plan.key_ids and (api_id, stage) in plan.stages:
                return plan
        return None

    def admit(
        self, plan: UsagePlan, key: ApiKey, method: tuple[str, str, str, str]
    ) -> Response | None:
        """None when the call may go on to ``method`` (API id, stage, resource path, HTTP
        method); else the 429 it gets."""
        slot = (plan.id, key.id)
        day = int(SYSTEM.wall() // 86_400)  # the UTC day's number: cheaper than a date
        daily = self._daily.setdefault(slot, {})
        if plan.quota is not None:
            start = _period_start(plan.quota_period, day)
            counted = self._quotas.get(slot)
            if counted is None or counted[0] != start:
                counted = (start, sum(n for d, n in daily.items() if d >= start))
            if counted[1] >= plan.quota:
                return _refusal(429, "Limit Exceeded")
            self._quotas[slot] = (start, counted[1] + 1)
        daily[day] = count = daily.get(day, 0) + 1
        if self.record is not None:
            self.record(plan.id, key.id, day, count)
        limits = self._methods.get(plan.id)
        own = limits.get(method) if limits else None
        if own is not None:
            bucket = self._buckets.get((*slot, *method))
            if bucket is None:
                bucket = self._buckets[(*slot, *method)] = TokenBucket(*own)
            if not bucket.take():
                return _refusal(429, "Too Many Requests")
        elif plan.rate is not None:
            bucket = self._buckets.get(slot)
            if bucket is None:
                capacity = float(plan.burst if plan.burst is not None else max(1.0, plan.rate))
                bucket = self._buckets[slot] = TokenBucket(plan.rate, capacity)
            if not bucket.take():
                return _refusal(429, "Too Many Requests")
        return None

    def restore(self, counts: Mapping[tuple[str, str], Mapping[int, int]]) -> None:
        """Counts a previous run kept (by (plan, key) and day number), before any call."""
        for slot, days in counts.items():
            self._daily[slot] = dict(days)
        self._quotas.clear()


_EPOCH = dt.date(1970, 1, 1)


def _method_limits(plan: UsagePlan) -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """(rate, burst) of each method a plan throttles. A burst alone keeps the plan's rate (or
    the account's default); a rate alone bursts to itself (at least one), as stage settings."""
    limits = {}
    for m in plan.method_throttles:
        rate = m.rate if m.rate is not None else (plan.rate if plan.rate is not None else 10_000.0)
        burst = m.burst if m.burst is not None else max(1.0, rate)
        limits[(m.api_id, m.stage, m.path, m.method)] = (rate, float(burst))
    return limits


def _period_start(kind: str | None, day: int) -> int:
    """The day number a quota period (UTC; weeks start on Monday) holding ``day`` began on."""
    if kind == "WEEK":
        return day - (_EPOCH + dt.timedelta(days=day)).weekday()
    if kind == "MONTH":
        return day - (_EPOCH + dt.timedelta(days=day)).day + 1
    return day


class ApiKeyStep:
    """``from_authorizer``: the key is the Lambda authorizer's ``usageIdentifierKey`` (a REST
    API whose ``ApiKeySourceType`` is AUTHORIZER), not the ``x-api-key`` header."""

    def __init__(
        self,
        usage: Usage,
        api_id: str,
        stage: str,
        path: str,
        method: str,
        from_authorizer: bool = False,
    ) -> None:
        self._usage = usage
        self._from_authorizer = from_authorizer
        self._api_id = api_id
        self._stage = stage
        self._method = (api_id, stage, path, method)

    async def __call__(self, call: Call, next: Next, /) -> Response:
        value = call.usage_key if self._from_authorizer else call.request.header("x-api-key")
        key = self._usage.keys.get(value) if value else None
        if key is None or not key.enabled:
            return _refusal(403, "Forbidden")
        plan = self._usage.plan_for(key, self._api_id, self._stage)
        if plan is None:
            return _refusal(403, "Forbidden")
        refused = self._usage.admit(plan, key, self._method)
        if refused is not None:
            return refused
        call.api_key = (key.id, key.value)
        return await next(call)
