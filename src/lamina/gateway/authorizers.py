"""Authorisation: the pipeline step that decides whether a call reaches its integration.

``LambdaAuthorizer`` is API Gateway's Lambda authorizer: REST ``TOKEN`` and ``REQUEST``
authorizers and HTTP API ones (payload 1.0 or 2.0, IAM policy or simple ``isAuthorized``
answers). It reads the identity sources (a missing one is 401 without asking), checks a TOKEN's
validation expression, asks the function (its result reused for the same identity for the
authorizer's TTL, on every route of the stage the authorizer protects: API Gateway caches per
authorizer, so a policy cached for one method is evaluated against the next method's ARN, and
a policy naming only the first method refuses the second with 403, as on AWS), evaluates the
returned policy against the method ARN as API Gateway does
(an explicit Deny wins, an Allow must match; ``*`` and ``?`` wildcards), and hands the principal
and ``context`` on to the integration's event (and ``usageIdentifierKey`` to the API key step
of an API whose keys come from its authorizer). The function failing, or answering something
that is no policy, is the 500 API Gateway gives; a function that raises ``Unauthorized`` is 401.

``Refused`` stands in for the authorizers Lamina does not verify yet (JWT, Cognito, IAM): every
call is refused, so that what AWS protects is never open on Lamina.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.gateway import events
from lamina.gateway.events import Call
from lamina.gateway.integrations.lambdaproxy import function_and_qualifier
from lamina.gateway.plan import Next
from lamina.model.apis import Api, ApiKind, Authorizer, AuthorizerType
from lamina.net.messages import Response, json_response

_CACHE_ENTRIES = 10_000


def _answer(status: int, body: dict[str, Any], error_type: str | None) -> Response:
    extra = [("x-amzn-ErrorType", error_type)] if error_type else None
    return json_response(status, fastjson.dumps(body), extra)


def unauthorized(api: Api) -> Response:
    if api.kind is ApiKind.FUNCTION_URL:
        return _answer(403, {"Message": "Forbidden"}, "AccessDeniedException")
    return _answer(401, {"message": "Unauthorized"}, "UnauthorizedException")


def _forbidden(api: Api, explicit: bool) -> Response:
    if api.kind is not ApiKind.REST:
        return _answer(403, {"message": "Forbidden"}, None)
    message = "User is not authorized to access this resource"
    if explicit:
        message += " with an explicit deny"
    return _answer(403, {"Message": message}, "AccessDeniedException")


def _failed(api: Api) -> Response:
    if api.kind is ApiKind.REST:
        return _answer(500, {"message": None}, "AuthorizerConfigurationException")
    return _answer(500, {"message": "Internal Server Error"}, None)


class Refused:
    """An authorizer Lamina does not verify yet: nothing gets through."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def __call__(self, call: Call, next: Next, /) -> Response:
        return unauthorized(self._api)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the function said, for every request with the same identity while cached."""

    allow: tuple[re.Pattern[str], ...] = ()
    deny: tuple[re.Pattern[str], ...] = ()
    # Simple responses: the answer itself.
    simple: bool | None = None
    principal: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    # ``usageIdentifierKey``: the API key of the call when the API takes keys from here.
    usage_key: str | None = None

    def verdict(self, method_arn: str) -> bool | None:
        """True to let in, False refused (no Allow), None refused by an explicit Deny."""
        if self.simple is not None:
            return self.simple
        if any(p.fullmatch(method_arn) for p in self.deny):
            return None
        return any(p.fullmatch(method_arn) for p in self.allow)


class Decisions:
    """One authorizer's cached decisions on one stage, by identity, each until its TTL ends
    (at most ``_CACHE_ENTRIES``, the least recently cached dropped first)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, ...], tuple[float, Decision]] = OrderedDict()

    def get(self, identity: tuple[str, ...]) -> Decision | None:
        found = self._entries.get(identity)
        if found is None:
            return None
        until, decision = found
        if time.monotonic() >= until:
            del self._entries[identity]
            return None
        return decision

    def put(self, identity: tuple[str, ...], decision: Decision, ttl_s: float) -> None:
        self._entries[identity] = (time.monotonic() + ttl_s, decision)
        self._entries.move_to_end(identity)
        while len(self._entries) > _CACHE_ENTRIES:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class LambdaAuthorizer:
    def __init__(
        self,
        authorizer: Authorizer,
        invoker: Invoker,
        api: Api,
        stage_variables: dict[str, str],
        decisions: Decisions | None = None,
    ) -> None:
        """``decisions``: the cache this authorizer shares with the stage's other routes that
        it protects (a new one when None)."""
        assert authorizer.function is not None
        self._authorizer = authorizer
        self.name = authorizer.name
        self._invoker = invoker
        self._api = api
        self._name, self._qualifier = function_and_qualifier(authorizer.function)
        self._sources = [_source(s) for s in authorizer.identity_sources]
        self._stage_variables = stage_variables
        self._validation = (
            re.compile(authorizer.validation_expression)
            if authorizer.validation_expression
            else None
        )
        self.decisions = decisions if decisions is not None else Decisions()

    async def __call__(self, call: Call, next: Next, /) -> Response:
        identity = self._identity(call)
        if identity is None:
            return unauthorized(self._api)
        token_type = self._authorizer.type is AuthorizerType.TOKEN
        if token_type and self._validation and not self._validation.fullmatch(identity[0]):
            return unauthorized(self._api)
        decision = self.decisions.get(identity)
        if decision is None:
            started = time.perf_counter()
            asked = await self._ask(call, identity)
            if isinstance(asked, Response):
                return asked
            decision = asked
            latency = round((time.perf_counter() - started) * 1000)
            if self._authorizer.ttl_s > 0:
                self.decisions.put(identity, decision, self._authorizer.ttl_s)
        else:
            latency = 0
        verdict = decision.verdict(self._method_arn(call))
        if verdict is not True:
            return _forbidden(self._api, explicit=verdict is None)
        call.authorizer = self._for_event(decision, latency)
        call.usage_key = decision.usage_key
        return await next(call)

    # -- identity and cache ----------------------------------------------------------------

    def _identity(self, call: Call) -> tuple[str, ...] | None:
        values = []
        for where, name in self._sources:
            value = _lookup(call, where, name, self._stage_variables)
            if not value:
                return None
            values.append(value)
        if not values and self._authorizer.type is AuthorizerType.TOKEN:
            return None
        return tuple(values)

    def forget(self) -> None:
        """Every cached decision gone at once (``FlushStageAuthorizersCache``)."""
        self.decisions.clear()

    # -- asking the function ---------------------------------------------------------------

    async def _ask(self, call: Call, identity: tuple[str, ...]) -> Decision | Response:
        request = InvokeRequest(
            function=self._name,
            payload=fastjson.dumps(self._event(call, identity)),
            qualifier=self._qualifier,
        )
        try:
            result = await self._invoker.invoke(request)
        except AwsError:
            return _failed(self._api)
        if not result.ok:
            try:
                error = fastjson.loads(result.payload)
            except ValueError:
                error = None
            if isinstance(error, dict) and error.get("errorMessage") == "Unauthorized":
                return unauthorized(self._api)
            return _failed(self._api)
        try:
            return self._decision(fastjson.loads(result.payload))
        except (ValueError, TypeError, KeyError, re.error):
            return _failed(self._api)

    def _event(self, call: Call, identity: tuple[str, ...]) -> dict[str, Any]:
        authorizer = self._authorizer
        method_arn = self._method_arn(call)
        if authorizer.type is AuthorizerType.TOKEN:
            return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": method_arn}
        if self._api.kind is not ApiKind.REST and authorizer.payload_format == "2.0":
            event = events.v2(call)
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
            return {
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": method_arn,
                "identitySource": list(identity),
                **event,
            }
        event = events.v1(call)
        for key in ("body", "isBase64Encoded", "version"):
            event.pop(key, None)
        head: dict[str, Any] = {"type": "REQUEST", "methodArn": method_arn}
        if self._api.kind is not ApiKind.REST:
            head = {
                "version": "1.0",
                **head,
                "identitySource": ",".join(identity),
                "authorizationToken": ",".join(identity),
            }
        return {**head, **event}

    def _decision(self, answer: Any) -> Decision:
        if not isinstance(answer, dict):
            raise TypeError("an authorizer answers a JSON object")
        context = answer.get("context") or {}
        if not isinstance(context, dict):
            raise TypeError("context must be an object")
        if self._authorizer.simple_responses:
            allowed = answer["isAuthorized"]
            if not isinstance(allowed, bool):
                raise TypeError("isAuthorized must be a boolean")
            return Decision(simple=allowed, context=context)
        statements = answer["policyDocument"]["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        allow: list[re.Pattern[str]] = []
        deny: list[re.Pattern[str]] = []
        for statement in statements:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
                continue
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            patterns = [_wildcard(str(r)) for r in resources]
            (allow if statement.get("Effect") == "Allow" else deny).extend(patterns)
        principal = answer.get("principalId")
        usage_key = answer.get("usageIdentifierKey")
        return Decision(
            tuple(allow),
            tuple(deny),
            principal=None if principal is None else str(principal),
            context=context,
            usage_key=None if usage_key is None else str(usage_key),
        )

    def _method_arn(self, call: Call) -> str:
        match = call.match
        path = match.stage_path if self._api.kind is ApiKind.REST else match.path
        if self._api.kind is not ApiKind.REST and self._authorizer.payload_format == "2.0":
            path = match.route.path
        stage = match.stage.name
        resource = f"{self._api.id}/{stage}/{call.request.method}{path}"
        return f"arn:aws:execute-api:{call.region}:{call.account_id}:{resource}"

    def _for_event(self, decision: Decision, latency: int) -> dict[str, Any]:
        if self._api.kind is ApiKind.REST:
            shown: dict[str, Any] = {k: _text(v) for k, v in decision.context.items()}
            if decision.principal is not None:
                shown["principalId"] = decision.principal
            shown["integrationLatency"] = latency
            return shown
        return {"lambda": dict(decision.context)}


def _source(text: str) -> tuple[str, str]:
    """``method.request.header.X`` / ``$request.header.X`` -> (``header``, ``X``)."""
    cleaned = text.strip().removeprefix("$").removeprefix("method.")
    if cleaned.startswith("request."):
        where, _, name = cleaned.removeprefix("request.").partition(".")
        return where, name
    where, _, name = cleaned.partition(".")
    return where, name


def _lookup(call: Call, where: str, name: str, stage_variables: dict[str, str]) -> str | None:
    request = call.request
    if where == "header":
        return request.header(name)
    if where == "querystring":
        for key, value in events.query_pairs(request.query):
            if key == name:
                return value
        return None
    if where == "stageVariables":
        return stage_variables.get(name)
    if where == "context":
        return {"requestId": call.request_id, "sourceIp": call.source_ip}.get(name)
    return None


def _wildcard(resource: str) -> re.Pattern[str]:
    return re.compile(
        ".*".join(".".join(map(re.escape, part.split("?"))) for part in resource.split("*"))
    )


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
