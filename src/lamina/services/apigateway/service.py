"""API Gateway's management API on the AWS endpoint (rest-json, botocore's ``apigateway``).

API keys (``CreateApiKey``, ``GetApiKey(s)``, ``UpdateApiKey``: ``/enabled``, ``/name``,
``/description``, ``DeleteApiKey``), usage plans (``CreateUsagePlan``, ``GetUsagePlan(s)``,
``UpdateUsagePlan``; per-method throttles in ``apiStages[].throttle``)
and their keys (``CreateUsagePlanKey``, ``GetUsagePlanKeys``, ``DeleteUsagePlanKey``), and
``GetUsage`` (the calls the gateway counted, per key and UTC day, as ``[used, remaining]``).
The template's keys and plans are listed beside the API's and may be changed the same way.
``GetRestApis``, ``GetStages`` and ``GetResources`` are read-only views of the REST APIs the
template deployed, with the ids the gateway serves them under. Other operations are answered
"Lamina does not serve apigateway:X yet." by ``ModelService``.

Lists (``GetApiKeys``, ``GetUsagePlans``, ``GetUsagePlanKeys``, ``GetRestApis``,
``GetResources``) come in pages of ``limit`` items (25 by default, at most 500) with an opaque
``position`` for the next one, so boto3's paginators work. ``FlushStageCache`` and
``FlushStageAuthorizersCache`` empty a stage's cache or its authorizers' cached decisions on
the gateway before they answer 202.

Seams the composition root wires: ``changed(keys, plans)`` is told the whole set after each
change (the gateway serves it from the next request on: handlers run inline on the event loop,
so the change is in force before the answer leaves), ``usage_of(plan_id, key_id)`` reads the
gateway's counts by day, ``flush_cache(api_id, stage)`` and ``flush_authorizers(api_id,
stage)`` flush the gateway's; ``UsageRecorder`` is the gateway's seam to keep those counts in
the store across restarts. Without them the API still keeps its records.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.model.apis import (
    Api,
    ApiKey,
    ApiKind,
    AuthorizerType,
    MethodThrottle,
    UsagePlan,
    resource_id,
    throttle_key,
)
from lamina.model.specs import Stack
from lamina.services.apigateway.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
)
from lamina.services.apigateway.store import Doc, Store
from lamina.services.protocols.service import ModelService

DATABASE = "apigateway.sqlite3"
Params = dict[str, Any]
_ID = string.ascii_lowercase + string.digits
_VALUE = string.ascii_letters + string.digits
_KEY_FIELDS = ("/enabled", "/name", "/description")
_AUTHORIZATION = {
    AuthorizerType.IAM: "AWS_IAM",
    AuthorizerType.COGNITO: "COGNITO_USER_POOLS",
    AuthorizerType.JWT: "JWT",
}


def _new_id() -> str:
    return "".join(secrets.choice(_ID) for _ in range(10))


def _key_doc(key: ApiKey) -> Doc:
    return {"id": key.id, "name": key.name, "value": key.value, "enabled": key.enabled}


def _limits(rate: float | None, burst: int | None) -> Doc:
    return {k: v for k, v in (("rateLimit", rate), ("burstLimit", burst)) if v is not None}


def _plan_doc(plan: UsagePlan) -> Doc:
    stages: list[Doc] = [{"apiId": a, "stage": s} for a, s in plan.stages]
    for m in plan.method_throttles:
        for stage in stages:
            if (stage["apiId"], stage["stage"]) == (m.api_id, m.stage):
                stage.setdefault("throttle", {})[m.key] = _limits(m.rate, m.burst)
    doc: Doc = {"id": plan.id, "name": plan.name, "apiStages": stages}
    if plan.rate is not None or plan.burst is not None:
        doc["throttle"] = _limits(plan.rate, plan.burst)
    if plan.quota is not None:
        doc["quota"] = {"limit": plan.quota, "period": plan.quota_period or "DAY", "offset": 0}
    return doc


def _timestamps(doc: Doc) -> Doc:
    out = {k: v for k, v in doc.items() if k not in ("deleted", "keyIds")}
    for name in ("createdDate", "lastUpdatedDate"):
        if name in out:
            out[name] = dt.datetime.fromtimestamp(out[name], dt.UTC)
    return out


class ApiGateway:
    """The handlers, over the store and the deployment's APIs, keys and plans."""

    def __init__(self, store: Store, region: str, account_id: str, clock: Clock) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.changed: Callable[[list[ApiKey], list[UsagePlan]], None] | None = None
        self.usage_of: Callable[[str, str], dict[str, int]] | None = None
        # The gateway's flushes of a stage's cache and of its authorizers' cached decisions.
        self.flush_cache: Callable[[str, str], None] | None = None
        self.flush_authorizers: Callable[[str, str], None] | None = None
        self._apis: tuple[Api, ...] = ()
        self._template_keys: dict[str, Doc] = {}
        self._template_plans: dict[str, Doc] = {}

    def deploy(self, stack: Stack) -> None:
        self._apis = tuple(a for a in stack.apis if a.kind is ApiKind.REST)
        self._template_keys = {k.id: _key_doc(k) for k in stack.api_keys}
        self._template_plans = {}
        for plan in stack.usage_plans:
            doc = _plan_doc(plan)
            doc["keyIds"] = list(plan.key_ids)
            self._template_plans[plan.id] = doc

    # -- the merged view ---------------------------------------------------------------------

    def _keys(self) -> dict[str, Doc]:
        keys = {**self._template_keys, **self.store.docs("keys")}
        return {i: d for i, d in keys.items() if not d.get("deleted")}

    def _plans(self) -> dict[str, Doc]:
        plans = {**self._template_plans, **self.store.docs("plans")}
        members = {i: list(d.get("keyIds", ())) for i, d in plans.items()}
        for plan, key, present in self.store.plan_keys():
            if plan in members:
                members[plan] = [k for k in members[plan] if k != key] + ([key] if present else [])
        keys = self._keys()
        return {i: {**d, "keyIds": [k for k in members[i] if k in keys]} for i, d in plans.items()}

    def keys_and_plans(self) -> tuple[list[ApiKey], list[UsagePlan]]:
        """What the gateway serves: every key and plan, the template's and the API's."""
        keys = [
            ApiKey(d["id"], d.get("name", ""), d["value"], bool(d.get("enabled", False)))
            for d in self._keys().values()
        ]
        plans = []
        for doc in self._plans().values():
            throttle, quota = doc.get("throttle") or {}, doc.get("quota") or {}
            plans.append(
                UsagePlan(
                    id=doc["id"],
                    name=doc.get("name", ""),
                    stages=tuple((s["apiId"], s["stage"]) for s in doc.get("apiStages", ())),
                    key_ids=tuple(doc["keyIds"]),
                    rate=throttle.get("rateLimit"),
                    burst=throttle.get("burstLimit"),
                    quota=quota.get("limit"),
                    quota_period=quota.get("period"),
                    method_throttles=tuple(
                        MethodThrottle(
                            stage["apiId"],
                            stage["stage"],
                            *throttle_key(key),
                            limits.get("rateLimit"),
                            limits.get("burstLimit"),
                        )
                        for stage in doc.get("apiStages", ())
                        for key, limits in (stage.get("throttle") or {}).items()
                    ),
                )
            )
        return keys, plans

    def _tell(self) -> None:
        if self.changed is not None:
            self.changed(*self.keys_and_plans())

    def _key(self, key_id: str) -> Doc:
        doc = self._keys().get(key_id)
        if doc is None:
            raise NotFoundException("Invalid API Key identifier specified")
        return doc

    def _plan(self, plan_id: str) -> Doc:
        doc = self._plans().get(plan_id)
        if doc is None:
            raise NotFoundException("Invalid Usage Plan ID specified")
        return doc

    # -- API keys ----------------------------------------------------------------------------

    def create_api_key(self, params: Params) -> Doc:
        value = params.get("value") or "".join(secrets.choice(_VALUE) for _ in range(40))
        if len(value) < 20:
            raise BadRequestException("API Key value should be at least 20 characters")
        if any(d["value"] == value for d in self._keys().values()):
            raise ConflictException("API Key already exists")
        now = self.clock.wall()
        doc: Doc = {
            "id": _new_id(),
            "name": params.get("name") or "",
            "value": value,
            "enabled": bool(params.get("enabled", False)),
            "createdDate": now,
            "lastUpdatedDate": now,
            "stageKeys": [],
        }
        for name in ("description", "customerId", "tags"):
            if params.get(name) is not None:
                doc[name] = params[name]
        self.store.put("keys", doc)
        self._tell()
        return _timestamps(doc)

    def get_api_key(self, params: Params) -> Doc:
        doc = _timestamps(self._key(params["apiKey"]))
        if not params.get("includeValue"):
            doc.pop("value", None)
        return doc

    def get_api_keys(self, params: Params) -> Doc:
        items = []
        for doc in self._keys().values():
            if params.get("nameQuery") and not doc.get("name", "").startswith(params["nameQuery"]):
                continue
            if params.get("customerId") and doc.get("customerId") != params["customerId"]:
                continue
            item = _timestamps(doc)
            if not params.get("includeValues"):
                item.pop("value", None)
            items.append(item)
        return _page(items, params)

    def update_api_key(self, params: Params) -> Doc:
        doc = dict(self._key(params["apiKey"]))
        for patch in params.get("patchOperations") or []:
            path, op = patch.get("path"), patch.get("op")
            if op != "replace" or path not in _KEY_FIELDS:
                raise BadRequestException(f"Invalid patch path {path}")
            value = patch.get("value") or ""
            doc[path[1:]] = value.lower() == "true" if path == "/enabled" else value
        doc["lastUpdatedDate"] = self.clock.wall()
        self.store.put("keys", doc)
        self._tell()
        return _timestamps(doc)

    def delete_api_key(self, params: Params) -> Doc:
        doc = self._key(params["apiKey"])
        self.store.put("keys", {**doc, "deleted": True})
        self._tell()
        return {}

    # -- usage plans -------------------------------------------------------------------------

    def create_usage_plan(self, params: Params) -> Doc:
        doc: Doc = {"id": _new_id(), "name": params["name"], "apiStages": []}
        for stage in params.get("apiStages") or []:
            self._check_stage(stage.get("apiId", ""), stage.get("stage", ""))
            entry: Doc = {"apiId": stage["apiId"], "stage": stage["stage"]}
            if stage.get("throttle"):
                for key in stage["throttle"]:
                    self._check_method(stage["apiId"], key)
                entry["throttle"] = dict(stage["throttle"])
            doc["apiStages"].append(entry)
        for name in ("description", "throttle", "quota", "tags"):
            if params.get(name) is not None:
                doc[name] = params[name]
        period = (doc.get("quota") or {}).get("period")
        if period is not None and period not in ("DAY", "WEEK", "MONTH"):
            raise BadRequestException(f"Invalid quota period {period}")
        self.store.put("plans", doc)
        self._tell()
        return _timestamps(doc)

    def _check_stage(self, api_id: str, stage: str) -> None:
        api = next((a for a in self._apis if a.id == api_id), None)
        if api is None or not any(s.name == stage for s in api.stages):
            raise NotFoundException(f"Invalid stage identifier specified {api_id}:{stage}")

    def _check_method(self, api_id: str, key: str) -> None:
        path, method = throttle_key(key)
        api = next((a for a in self._apis if a.id == api_id), None)
        if api is None or not any((r.path, r.method) == (path, method) for r in api.routes):
            raise BadRequestException(
                f"Invalid method {key} specified for API {api_id}: throttle keys are "
                "/resourcePath/HTTPMETHOD"
            )

    def update_usage_plan(self, params: Params) -> Doc:
        """The patch operations API Gateway documents for usage plans: ``/name``,
        ``/description``, ``/throttle/rateLimit``/``burstLimit``, ``/quota/limit``/``period``/
        ``offset``, ``/apiStages`` (add or remove ``apiId:stage``) and
        ``/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{method}/rateLimit`` (or
        ``burstLimit``; ``~1`` for each ``/`` of the path; remove without the field)."""
        doc = copy.deepcopy(self._plan(params["usagePlanId"]))
        for patch in params.get("patchOperations") or []:
            _patch_plan(doc, patch, self._check_stage, self._check_method)
        period = (doc.get("quota") or {}).get("period")
        if period is not None and period not in ("DAY", "WEEK", "MONTH"):
            raise BadRequestException(f"Invalid quota period {period}")
        doc.pop("keyIds", None)
        self.store.put("plans", doc)
        self._tell()
        return _timestamps(self._plan(doc["id"]))

    def get_usage_plan(self, params: Params) -> Doc:
        return _timestamps(self._plan(params["usagePlanId"]))

    def get_usage_plans(self, params: Params) -> Doc:
        key = params.get("keyId")
        plans = self._plans().values()
        return _page([_timestamps(p) for p in plans if key is None or key in p["keyIds"]], params)

    def create_usage_plan_key(self, params: Params) -> Doc:
        plan = self._plan(params["usagePlanId"])
        if params["keyType"] != "API_KEY":
            raise BadRequestException(f"Invalid key type {params['keyType']}")
        key = self._key(params["keyId"])
        if key["id"] in plan["keyIds"]:
            raise ConflictException(f"Usage Plan {plan['id']} already has API Key {key['id']}")
        self.store.put_plan_key(plan["id"], key["id"], True)
        self._tell()
        return self._plan_key(key)

    @staticmethod
    def _plan_key(key: Doc) -> Doc:
        return {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]}

    def get_usage_plan_keys(self, params: Params) -> Doc:
        plan = self._plan(params["usagePlanId"])
        keys = self._keys()
        items = [self._plan_key(keys[k]) for k in plan["keyIds"]]
        query = params.get("nameQuery")
        return _page([i for i in items if not query or i["name"].startswith(query)], params)

    def delete_usage_plan_key(self, params: Params) -> Doc:
        plan = self._plan(params["usagePlanId"])
        if params["keyId"] not in plan["keyIds"]:
            raise NotFoundException("Invalid API Key identifier specified")
        self.store.put_plan_key(plan["id"], params["keyId"], False)
        self._tell()
        return {}

    def get_usage(self, params: Params) -> Doc:
        plan = self._plan(params["usagePlanId"])
        try:
            start = dt.date.fromisoformat(params["startDate"])
            end = dt.date.fromisoformat(params["endDate"])
        except ValueError:
            raise BadRequestException("Invalid date format: use yyyy-MM-dd") from None
        if end < start:
            raise BadRequestException("The end date must be on or after the start date")
        keys = [params["keyId"]] if params.get("keyId") else plan["keyIds"]
        limit = (plan.get("quota") or {}).get("limit")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        items = {}
        for key in keys:
            used = self.usage_of(plan["id"], key) if self.usage_of is not None else {}
            counts = [used.get(day.isoformat(), 0) for day in days]
            items[key] = [[n, max(0, limit - n) if limit is not None else 0] for n in counts]
        return {
            "usagePlanId": plan["id"],
            "startDate": params["startDate"],
            "endDate": params["endDate"],
            "items": items,
        }

    # -- the deployment's REST APIs ----------------------------------------------------------

    def _api(self, api_id: str) -> Api:
        api = next((a for a in self._apis if a.id == api_id), None)
        if api is None:
            raise NotFoundException(f"Invalid API identifier specified {self.account_id}:{api_id}")
        return api

    def get_rest_apis(self, params: Params) -> Doc:
        items = []
        for api in self._apis:
            item: Doc = {
                "id": api.id,
                "name": api.name or api.logical_id,
                "apiKeySource": api.api_key_source,
                "endpointConfiguration": {"types": ["EDGE"]},
            }
            if api.binary_media_types:
                item["binaryMediaTypes"] = list(api.binary_media_types)
            items.append(item)
        return _page(items, params)

    def get_stages(self, params: Params) -> Doc:
        api = self._api(params["restApiId"])
        items = []
        for stage in api.stages:
            settings = {}
            for entry in stage.method_settings:
                path = "*" if entry.path == "*" else entry.path[1:].replace("/", "~1")
                settings[f"{path}/{entry.method}"] = {
                    name: value
                    for name, value in (
                        ("throttlingRateLimit", entry.rate),
                        ("throttlingBurstLimit", entry.burst),
                        ("cachingEnabled", entry.caching),
                        ("cacheTtlInSeconds", entry.cache_ttl_s),
                        (
                            "requireAuthorizationForCacheControl",
                            entry.require_authorization_for_cache_control,
                        ),
                        (
                            "unauthorizedCacheControlHeaderStrategy",
                            entry.unauthorized_cache_control,
                        ),
                    )
                    if value is not None
                }
            items.append(
                {
                    "stageName": stage.name,
                    "variables": dict(stage.variables),
                    "methodSettings": settings,
                    "cacheClusterEnabled": stage.cache_cluster,
                    "cacheClusterSize": f"{stage.cache_size_gb:g}",
                    "cacheClusterStatus": "AVAILABLE" if stage.cache_cluster else "NOT_AVAILABLE",
                }
            )
        return {"item": items}

    def get_resources(self, params: Params) -> Doc:
        api = self._api(params["restApiId"])
        paths: dict[str, dict[str, Doc]] = {"/": {}}
        for route in api.routes:
            parts = [p for p in route.path.split("/") if p]
            for n in range(1, len(parts) + 1):
                paths.setdefault("/" + "/".join(parts[:n]), {})
            integration = route.integration
            paths["/" + "/".join(parts)][route.method] = {
                "httpMethod": route.method,
                "methodIntegration": {
                    k: v
                    for k, v in (
                        ("type", integration.type.value),
                        ("httpMethod", integration.http_method or "POST"),
                        ("uri", integration.uri or self._lambda_uri(integration.function)),
                        ("credentials", integration.credentials),
                        ("cacheKeyParameters", list(integration.cache_key_parameters)),
                    )
                    if v is not None
                },
                "authorizationType": _AUTHORIZATION.get(route.authorizer.type, "CUSTOM")
                if route.authorizer
                else "NONE",
                "apiKeyRequired": route.api_key_required,
            }
        items = []
        for path, methods in sorted(paths.items()):
            item: Doc = {"id": resource_id(api.id, path), "path": path}
            if path != "/":
                parent, _, part = path.rpartition("/")
                item["parentId"] = resource_id(api.id, parent or "/")
                item["pathPart"] = part
            if methods:
                item["resourceMethods"] = methods
            items.append(item)
        return _page(items, params)

    def _lambda_uri(self, function: str | None) -> str | None:
        if function is None:
            return None
        return (
            f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{function}"
            "/invocations"
        )

    def _stage(self, params: Params) -> tuple[str, str]:
        api = self._api(params["restApiId"])
        name = params["stageName"]
        if not any(s.name == name for s in api.stages):
            raise NotFoundException(f"Invalid stage identifier specified {api.id}:{name}")
        return api.id, name

    def flush_stage_cache(self, params: Params) -> Doc:
        api_id, stage = self._stage(params)
        if self.flush_cache is not None:
            self.flush_cache(api_id, stage)
        return {}

    def flush_stage_authorizers_cache(self, params: Params) -> Doc:
        api_id, stage = self._stage(params)
        if self.flush_authorizers is not None:
            self.flush_authorizers(api_id, stage)
        return {}

    def operations(self) -> dict[str, Callable[[Params], Doc]]:
        return {
            "CreateApiKey": self.create_api_key,
            "GetApiKey": self.get_api_key,
            "GetApiKeys": self.get_api_keys,
            "UpdateApiKey": self.update_api_key,
            "DeleteApiKey": self.delete_api_key,
            "CreateUsagePlan": self.create_usage_plan,
            "GetUsagePlan": self.get_usage_plan,
            "GetUsagePlans": self.get_usage_plans,
            "UpdateUsagePlan": self.update_usage_plan,
            "CreateUsagePlanKey": self.create_usage_plan_key,
            "GetUsagePlanKeys": self.get_usage_plan_keys,
            "DeleteUsagePlanKey": self.delete_usage_plan_key,
            "GetUsage": self.get_usage,
            "GetRestApis": self.get_rest_apis,
            "GetStages": self.get_stages,
            "GetResources": self.get_resources,
            "FlushStageCache": self.flush_stage_cache,
            "FlushStageAuthorizersCache": self.flush_stage_authorizers_cache,
        }


_PAGE = 25
_MAX_PAGE = 500


def _page(items: list[Doc], params: Params) -> Doc:
    """One page of ``items`` as API Gateway pages lists: ``limit`` (25 by default, at most
    500) from the opaque ``position`` a previous page gave, with the next page's when more are
    left."""
    limit = params.get("limit")
    size = _PAGE if limit is None else min(int(limit), _MAX_PAGE)
    if size < 1:
        raise BadRequestException(f"Invalid limit {limit}: it must be between 1 and {_MAX_PAGE}")
    start = 0
    if params.get("position"):
        try:
            start = int(base64.urlsafe_b64decode(str(params["position"]).encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise BadRequestException("Invalid position parameter") from None
    page: Doc = {"items": items[start : start + size]}
    if start + size < len(items):
        page["position"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return page


def _patch_plan(
    doc: Doc,
    patch: Params,
    check_stage: Callable[[str, str], None],
    check_method: Callable[[str, str], None],
) -> None:
    """One patch operation applied to a usage plan's document."""
    op, path, value = patch.get("op"), str(patch.get("path") or ""), patch.get("value")
    parts = path.split("/")[1:]
    if path in ("/name", "/description") and op == "replace":
        doc[path[1:]] = value or ""
    elif len(parts) == 2 and parts[0] in ("throttle", "quota") and op in ("add", "replace"):
        number: Any = float(value or 0) if parts[1] == "rateLimit" else value
        if parts[1] in ("burstLimit", "limit", "offset"):
            number = int(value or 0)
        if parts[1] not in ("rateLimit", "burstLimit", "limit", "period", "offset"):
            raise BadRequestException(f"Invalid patch path {path}")
        doc.setdefault(parts[0], {})[parts[1]] = number
    elif path in ("/throttle", "/quota") and op == "remove":
        doc.pop(parts[0], None)
    elif path == "/apiStages" and op in ("add", "remove"):
        api_id, _, stage = str(value or "").partition(":")
        if op == "add":
            check_stage(api_id, stage)
            if not any((s["apiId"], s["stage"]) == (api_id, stage) for s in doc["apiStages"]):
                doc["apiStages"].append({"apiId": api_id, "stage": stage})
        else:
            doc["apiStages"] = [
                s for s in doc["apiStages"] if (s["apiId"], s["stage"]) != (api_id, stage)
            ]
    elif len(parts) >= 3 and parts[0] == "apiStages" and parts[2] == "throttle":
        api_id, _, stage_name = parts[1].partition(":")
        entry: Doc | None = next(
            (s for s in doc["apiStages"] if (s["apiId"], s["stage"]) == (api_id, stage_name)), None
        )
        if entry is None:
            raise NotFoundException(f"Invalid stage identifier specified {parts[1]}")
        throttles = entry.setdefault("throttle", {})
        field = parts[-1] if parts[-1] in ("rateLimit", "burstLimit") else None
        # The method's key, JSON-pointer escaped: ~1pets/GET or ~1pets~1GET are /pets/GET.
        rest = parts[3 : -1 if field else None]
        key = "/".join(rest).replace("~1", "/").replace("~0", "~")
        if op == "remove" and not rest:
            entry.pop("throttle", None)
        elif op == "remove":
            throttles.pop(key, None)
        elif op in ("add", "replace") and field and rest:
            check_method(api_id, key)
            number = float(value or 0) if field == "rateLimit" else int(value or 0)
            throttles.setdefault(key, {})[field] = number
        else:
            raise BadRequestException(f"Invalid patch path {path}")
        if not entry.get("throttle"):
            entry.pop("throttle", None)
    else:
        raise BadRequestException(f"Invalid patch operation specified: {op} {path}")


class UsageRecorder:
    """The gateway's ``record`` seam: counts written behind in one transaction at most
    ``delay_s`` after the first unwritten one (a write per call would cost more than the rest
    of a keyed call's steps), and on ``flush`` at close. A ``kill -9`` loses at most that
    last second of counts. Called on the event loop."""

    def __init__(self, store: Store, delay_s: float = 1.0) -> None:
        self._store = store
        self._delay_s = delay_s
        self._pending: dict[tuple[str, str, int], int] = {}
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, plan: str, key: str, day: int, calls: int) -> None:
        self._pending[(plan, key, day)] = calls
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay_s, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()  # harmless when the timer is what called
            self._timer = None
        if self._pending:
            pending, self._pending = self._pending, {}
            self._store.count(pending)


class ApiGatewayService(ModelService):
    """The store on ``state_dir`` behind the model's seam; handlers run inline on the loop
    (a few statements and one small write each), so a change reaches the gateway at once."""

    def __init__(
        self, state_dir: Path, region: str, account_id: str, clock: Clock = SYSTEM
    ) -> None:
        self.api = ApiGateway(Store(state_dir / DATABASE), region, account_id, clock)
        self.recorder = UsageRecorder(self.api.store)
        super().__init__("apigateway", self.api.operations(), inline=True)

    async def deploy(self, stack: Stack) -> None:
        self.api.deploy(stack)

    async def close(self) -> None:
        self.recorder.flush()
        self.api.store.close()
