"""The gateway: one request in, API Gateway's answer out.

Contract of ``Gateway``: ``deploy(apis)`` swaps the routing tables and the routes' plans
atomically (requests already routed finish on what they matched) and returns the route conflicts
of the merged port; ``__call__`` never raises for a bad request or a failing integration, it
answers the way API Gateway answers. A request is routed, becomes a ``Call``, runs its route's
plan (``plan.py``: steps, then the integration, all compiled at deploy), has a refusal reworded
by the REST API's gateway responses (``gatewayresponses``), gets its request-id header and an
access log line; nothing else happens here.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from lamina import ids
from lamina.clock import SYSTEM
from lamina.engine.api import Invoker, InvokeResult
from lamina.gateway import accesslog, events, jwt, responses, stagevars
from lamina.gateway.apikeys import ApiKeyStep, Usage
from lamina.gateway.authorizers import LambdaAuthorizer, Refused
from lamina.gateway.cache import CacheStep, StageCache, caching_for
from lamina.gateway.cors import CorsPolicy, CorsStep
from lamina.gateway.events import Call
from lamina.gateway.gatewayresponses import GatewayResponses
from lamina.gateway.iam import IamAuthorizer
from lamina.gateway.integrations.awsservice import ServiceBackend, ServiceCall
from lamina.gateway.integrations.firstclass import FirstClass
from lamina.gateway.integrations.httpproxy import HttpProxy
from lamina.gateway.integrations.lambdaproxy import LambdaProxy, function_and_qualifier
from lamina.gateway.integrations.mapped import HttpBackend, LambdaBackend, Mapped, MockBackend
from lamina.gateway.integrations.mock import Mock
from lamina.gateway.plan import Integration, Plan, Step, compile_plan
from lamina.gateway.routing import NoRoute, Router
from lamina.gateway.throttling import Throttle, route_bucket
from lamina.gateway.tokenbucket import TokenBucket
from lamina.gateway.validation import ValidationStep
from lamina.model.apis import (
    ENFORCED,
    Api,
    ApiKey,
    ApiKind,
    AuthorizerType,
    IntegrationType,
    Passthrough,
    Route,
    Stage,
    UsagePlan,
)
from lamina.model.apis import Integration as IntegrationSpec
from lamina.net.messages import Request, Response
from lamina.observe.metrics import ApiRoute, Metrics
from lamina.observe.tracing import Hop, HttpFacts, Tracing

__all__ = ["Gateway", "function_and_qualifier"]


def _http_facts(call: Call, response: Response) -> HttpFacts:
    """What the request's X-Ray segment says (built on the tracing thread)."""
    request, match = call.request, call.match
    spec = match.route.integration
    function = None
    if spec.function and spec.type in (IntegrationType.AWS_PROXY, IntegrationType.AWS):
        function, _ = function_and_qualifier(stagevars.fill(spec.function, match.stage.variables))
    query = f"?{request.query}" if request.query else ""
    return HttpFacts(
        api_id=match.api.id,
        stage=match.stage.name,
        rest=match.api.kind is ApiKind.REST,
        method=request.method,
        url=f"http://{request.host}{request.path}{query}",
        status=response.status,
        client_ip=request.client[0],
        user_agent=request.header("user-agent"),
        content_length=len(response.body),
        function=function,
        region=call.region,
        account_id=call.account_id,
        request_id=call.request_id,
    )


async def _no_services(service: str, request: Request) -> Response:
    raise LookupError(f"no AWS services are wired to this gateway to answer {service}")


def _is_static_mock(spec: IntegrationSpec) -> bool:
    """A MOCK answering the same to every call (SAM's CORS preflights): no template reads
    anything, one response answers with literal headers and any body passes, so the mapping
    machinery can be skipped."""
    templates = [*spec.request_templates.values()]
    templates += [t for r in spec.responses for t in r.templates.values()]
    literal = all(
        len(v) >= 2 and v[0] == v[-1] == "'" for r in spec.responses for v in r.parameters.values()
    )
    return (
        len(spec.responses) <= 1
        and literal
        and spec.passthrough is Passthrough.WHEN_NO_MATCH
        and not any("$" in t or "#" in t for t in templates)
    )


class Gateway:
    def __init__(
        self,
        invoker: Invoker,
        *,
        region: str,
        account_id: str,
        access_log: Callable[[str], None] | None = None,
        clock: Callable[[], float] = SYSTEM.wall,
        secrets: Mapping[str, str] | None = None,
        services: ServiceCall | None = None,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        account_limits: tuple[float, float] = (10_000.0, 5_000.0),
    ) -> None:
        """``secrets`` (access key id -> secret key) are the key pairs whose SigV4 signatures
        ``AWS_IAM`` routes accept; without them every such call is refused. ``services`` calls
        Lamina's AWS services in process, for REST ``AWS`` integrations (without it they answer
        500). ``account_limits`` (rate a second, burst) throttle every API route together."""
        self._services: ServiceCall = services or _no_services
        self._invoker = invoker
        self._secrets: Mapping[str, str] = dict(secrets or {})
        self._region = region
        self._account_id = account_id
        self._access_log = access_log
        self._clock = clock
        self._router = Router(())
        # The issuers' keys for JWT and Cognito authorizers, shared by every route.
        self._keysets = jwt.KeySets()
        self._usage = Usage((), ())
        # API Gateway's account-level throttle: one bucket for every API, kept across deploys.
        self._account = TokenBucket(*account_limits)
        self._cors: dict[str, CorsPolicy] = {}
        # REST APIs' customised gateway responses, by API id.
        self._gateway_responses: dict[str, GatewayResponses] = {}
        # REST stage caches and Lambda authorizer steps by (API id, stage name), for flushes.
        self._caches: dict[tuple[str, str], StageCache] = {}
        self._authorizers: dict[tuple[str, str], list[LambdaAuthorizer]] = {}
        # Plans by (id(api), id(stage), id(route)): the router answers with the deployed objects
        # (which ``_router.apis`` keeps alive), and specs may share equal stages or routes.
        self._plans: dict[tuple[int, int, int], Plan] = {}
        # Each route's AWS/ApiGateway series, under the same keys (none without ``metrics``).
        self._metrics = metrics
        self._figures: dict[tuple[int, int, int], ApiRoute] = {}
        # Sampled requests' X-Ray segments (none recorded without it).
        self._tracing = tracing
        # Invocations whose request already got its timeout answer.
        self._orphans: set[asyncio.Task[InvokeResult]] = set()

    @property
    def apis(self) -> tuple[Api, ...]:
        return self._router.apis

    def deploy(
        self,
        apis: Iterable[Api],
        functions: dict[str, str] | None = None,
        timeouts: dict[str, float] | None = None,
        keys: Sequence[ApiKey] = (),
        usage_plans: Sequence[UsagePlan] = (),
    ) -> list[str]:
        """Serve ``apis`` from now on; ``functions`` maps function names to logical ids (for
        logs), ``timeouts`` function names to their Timeout (a function that times out before
        its integration needs no integration timer). Returns the conflicts of the merged port."""
        apis = tuple(apis)
        functions, timeouts = dict(functions or {}), dict(timeouts or {})
        self._usage.replace(keys, usage_plans)
        cors = {a.id: CorsPolicy(a.cors) for a in apis if a.cors and a.kind is not ApiKind.REST}
        # Stage caches start empty on each deploy, as a flush would leave them.
        caches = {
            (api.id, stage.name): StageCache(stage.cache_size_gb)
            for api in apis
            if api.kind is ApiKind.REST
            for stage in api.stages
            if stage.cache_cluster
        }
        authorizers: dict[tuple[str, str], list[LambdaAuthorizer]] = {}
        plans = {
            (id(api), id(stage), id(route)): self._plan(
                api, stage, route, cors.get(api.id), functions, timeouts, caches, authorizers
            )
            for api in apis
            for stage in api.stages
            for route in api.routes
        }
        figures = {}
        if self._metrics is not None:
            figures = {
                (id(api), id(stage), id(route)): self._figures_of(api, stage, route)
                for api in apis
                for stage in api.stages
                for route in api.routes
            }
        router = Router(apis)
        customised = {
            api.id: GatewayResponses(api)
            for api in apis
            if api.kind is ApiKind.REST and api.gateway_responses
        }
        self._router, self._cors, self._plans = router, cors, plans
        self._caches, self._authorizers = caches, authorizers
        self._gateway_responses = customised
        self._figures = figures
        return router.conflicts()

    def use_keys(self, keys: Sequence[ApiKey], usage_plans: Sequence[UsagePlan]) -> None:
        """Serve these API keys and usage plans from the next request on (the management API
        changed them); what each key used is kept."""
        self._usage.replace(keys, usage_plans)

    def keep_usage(
        self,
        counts: Mapping[tuple[str, str], Mapping[int, int]],
        record: Callable[[str, str, int, int], None],
    ) -> None:
        """Start from ``counts`` (calls by (plan, key) and UTC day number) and tell ``record``
        each call counted from now on (on the event loop, as it is admitted)."""
        self._usage.restore(counts)
        self._usage.record = record

    def flush_stage_cache(self, api_id: str, stage: str) -> None:
        """Empty the stage's cache now (FlushStageCache); a stage without one has nothing."""
        cache = self._caches.get((api_id, stage))
        if cache is not None:
            cache.clear()

    def flush_authorizers_cache(self, api_id: str, stage: str) -> None:
        """Forget every cached Lambda authorizer decision of the stage now
        (FlushStageAuthorizersCache): the next call of each identity asks the function."""
        for authorizer in self._authorizers.get((api_id, stage), ()):
            authorizer.forget()

    def usage(self, plan_id: str, key_id: str) -> dict[str, int]:
        """The calls ``key_id`` made under ``plan_id`` by UTC day, for GetUsage."""
        return self._usage.used(plan_id, key_id)

    def _plan(
        self,
        api: Api,
        stage: Stage,
        route: Route,
        policy: CorsPolicy | None,
        functions: dict[str, str],
        timeouts: dict[str, float],
        caches: dict[tuple[str, str], StageCache],
        authorizers: dict[tuple[str, str], list[LambdaAuthorizer]],
    ) -> Plan:
        spec = route.integration
        integration: Integration
        if spec.subtype is not None:
            integration = FirstClass(api, route, self._services)
        elif spec.type is IntegrationType.AWS and spec.function is None:
            backend = ServiceBackend(api, route, spec.uri or "", self._services)
            integration = Mapped(backend, api, route, stage)
        elif spec.type in (IntegrationType.AWS_PROXY, IntegrationType.AWS):
            target = stagevars.fill(spec.function or "", stage.variables)
            name, _ = function_and_qualifier(target)
            integration = LambdaProxy(
                self._invoker,
                api,
                route,
                target,
                function=functions.get(name, name),
                function_timeout_s=timeouts.get(name, math.inf),
                orphans=self._orphans,
            )
            if spec.type is IntegrationType.AWS:
                integration = Mapped(LambdaBackend(integration), api, route, stage)
        elif spec.type is IntegrationType.HTTP_PROXY:
            integration = HttpProxy(api, route, stagevars.fill(spec.uri or "", stage.variables))
        elif spec.type is IntegrationType.HTTP:
            uri = stagevars.fill(spec.uri or "", stage.variables)
            integration = Mapped(HttpBackend(api, route, uri), api, route, stage)
        elif _is_static_mock(spec):
            assert spec.mock is not None
            integration = Mock(spec.mock)
        else:
            integration = Mapped(MockBackend(), api, route, stage)
        return compile_plan(
            integration,
            request_id_header="x-amzn-RequestId" if api.kind is ApiKind.REST else "apigw-requestid",
            cors=CorsStep(policy, route.method) if policy is not None else None,
            authorizer=self._authorizer(api, stage, route, authorizers),
            api_keys=ApiKeyStep(
                self._usage,
                api.id,
                stage.name,
                route.path,
                route.method,
                from_authorizer=api.api_key_source == "AUTHORIZER",
            )
            if route.api_key_required
            else None,
            throttle=self._throttle(api, stage, route),
            validator=ValidationStep(route.validation)
            if route.validation and (route.validation.required or route.validation.models)
            else None,
            cache=self._cache(caches, api, stage, route),
        )

    def _cache(
        self, caches: dict[tuple[str, str], StageCache], api: Api, stage: Stage, route: Route
    ) -> Step | None:
        cache = caches.get((api.id, stage.name))
        settings = caching_for(stage, route) if cache is not None else None
        if cache is None or settings is None:
            return None
        return CacheStep(cache, route, settings, self._secrets)

    def _throttle(self, api: Api, stage: Stage, route: Route) -> Step | None:
        if api.kind is ApiKind.FUNCTION_URL:
            return None  # Lambda's concurrency limits Function URLs, not API Gateway's buckets
        own = route_bucket(stage.settings_for(route.method, route.path))
        buckets = (self._account,) if own is None else (own, self._account)
        return Throttle(buckets, api.kind)

    def _figures_of(self, api: Api, stage: Stage, route: Route) -> ApiRoute:
        """The route's series: AWS/ApiGateway's for APIs, AWS/Lambda's Url* for function URLs."""
        assert self._metrics is not None
        if api.kind is ApiKind.FUNCTION_URL:
            target = stagevars.fill(route.integration.function or "", stage.variables)
            name, qualifier = function_and_qualifier(target)
            return self._metrics.function_url(name, qualifier)
        rest = api.kind is ApiKind.REST
        return self._metrics.api_route(
            rest,
            api.name or api.logical_id if rest else api.id,
            stage.name,
            route.method,
            route.path,
        )

    def _authorizer(
        self,
        api: Api,
        stage: Stage,
        route: Route,
        authorizers: dict[tuple[str, str], list[LambdaAuthorizer]],
    ) -> Step | None:
        """The route's authorisation step: a Lambda, JWT or IAM authorizer, or a refusal of
        every call for what Lamina cannot verify: never an open route."""
        authorizer = route.authorizer
        if authorizer is not None and authorizer.type not in ENFORCED:
            return Refused(api)
        if authorizer is None:
            return None
        if authorizer.type is AuthorizerType.IAM:
            return IamAuthorizer(api, self._secrets)
        if authorizer.type in jwt.VERIFIED:
            return jwt.JwtAuthorizer(authorizer, api, route.scopes, self._keysets)
        if authorizer.function is None:
            return Refused(api)
        function = stagevars.fill(authorizer.function, stage.variables)
        others = authorizers.setdefault((api.id, stage.name), [])
        # One cache per authorizer and stage, shared by the routes it protects (API Gateway's).
        shared = next((o.decisions for o in others if o.name == authorizer.name), None)
        step = LambdaAuthorizer(
            replace(authorizer, function=function),
            self._invoker,
            api,
            dict(stage.variables),
            shared,
        )
        others.append(step)
        return step

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = ids.request_id()
        found = self._router.match(request.method, request.host, request.path)
        if isinstance(found, NoRoute):
            response = self._no_route(request, found)
            self._log(request, response, started, None, request_id, None)
            return response
        key = (id(found.api), id(found.stage), id(found.route))
        plan = self._plans[key]
        now = request.received_at or self._clock()
        header = request.header("x-amzn-trace-id")
        tracing = self._tracing
        hop: Hop | None = None
        if tracing is None:
            trace = header or events.trace_id(now, request_id)
        else:
            hop, trace = tracing.enter(header, now, request_id)
            if hop is not None and found.api.kind is ApiKind.FUNCTION_URL:
                # No API Gateway in front of a function URL: Lambda's segment comes first.
                trace, hop = hop.passed_through(), None
        call = Call(request, found, request_id, trace, now, self._account_id, self._region)
        figures = self._figures.get(key)
        # IntegrationLatency is the route's plan (its steps and its integration); Latency adds
        # routing and building the call.
        ran = time.perf_counter()
        response = await plan.run(call)
        done = time.perf_counter()
        if figures is not None:
            figures.answered(response.status, (done - started) * 1000, (done - ran) * 1000)
        if hop is not None and tracing is not None:
            facts = functools.partial(_http_facts, call, response)
            # On the wall clock the engine's segments use (``now`` is the server's loop time).
            base = self._clock() - (time.perf_counter() - started)
            tracing.gateway(hop, base, base + ran - started, base + done - started, facts)
        if self._gateway_responses:
            customised = self._gateway_responses.get(found.api.id)
            if customised is not None:
                response = customised.apply(response, request, call)
        response.headers.append((plan.request_id_header, request_id))
        self._log(request, response, started, plan.function, request_id, call)
        return response

    def _no_route(self, request: Request, found: NoRoute) -> Response:
        policy = self._cors.get(found.api.id) if found.api else None
        if policy is not None and policy.is_preflight(request):
            return policy.answer_preflight(request)
        if found.unmapped:
            return responses.unmapped(found.kind)
        answer = responses.no_route(found.kind)
        customised = self._gateway_responses.get(found.api.id) if found.api else None
        return customised.apply(answer, request, None) if customised is not None else answer

    # -- logs ------------------------------------------------------------------------------

    def _log(
        self,
        request: Request,
        response: Response,
        started: float,
        function: str | None,
        request_id: str,
        call: Call | None,
    ) -> None:
        if self._access_log is None:
            return
        template = call.match.stage.access_log_format if call else None
        if not template:
            self._access_log(
                accesslog.plain(
                    request.method,
                    request.path,
                    response.status,
                    (time.perf_counter() - started) * 1000,
                    function,
                    request_id,
                )
            )
            return
        record = accesslog.Record(
            method=request.method,
            path=request.path,
            status=response.status,
            latency_ms=(time.perf_counter() - started) * 1000,
            response_length=len(response.body),
            function=function,
            request_id=request_id,
            call=call,
        )
        self._access_log(accesslog.formatted(record, template))
