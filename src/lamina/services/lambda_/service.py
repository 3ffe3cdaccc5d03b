"""The Lambda API on the AWS endpoint (``lamina.services.api.Service``).

A request is Lambda's when its SigV4 scope names ``lambda`` or its path starts with one of the
API's dated prefixes. Changes are applied one at a time (a lock), so two clients creating the
same function see one succeed and one ``ResourceConflictException``; reads and invocations run
concurrently. Errors are answered in Lambda's shape and never raised to the endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections.abc import Collection

from lamina import ids
from lamina.clock import Clock, SystemClock
from lamina.engine.api import LambdaEngine
from lamina.errors import AwsError
from lamina.model.apis import Api
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.api import signing_service
from lamina.services.lambda_ import (
    account,
    aliases,
    concurrency,
    eventconfig,
    function_urls,
    functions,
    invocations,
)
from lamina.services.lambda_.code import CodeStore
from lamina.services.lambda_.errors import UnknownOperationException, error_response
from lamina.services.lambda_.registry import Registry
from lamina.services.lambda_.routes import PREFIXES, Call, Route, match, route
from lamina.services.lambda_.store import FunctionStore
from lamina.settings import Settings

log = logging.getLogger("lamina.services")
_F = "/2015-03-31/functions/{FunctionName}"
_PC = "/2019-09-30/functions/{FunctionName}/provisioned-concurrency"
_EIC = "/2019-09-25/functions/{FunctionName}/event-invoke-config"
_URL = "/2021-10-31/functions/{FunctionName}/url"
ROUTES: tuple[Route, ...] = (
    route("POST", f"{_F}/invocations", "Invoke", invocations.invoke),
    route(
        "POST",
        "/2014-11-13/functions/{FunctionName}/invoke-async",
        "InvokeAsync",
        invocations.invoke_async,
    ),
    route("GET", "/2015-03-31/functions", "ListFunctions", functions.list_functions),
    route("POST", "/2015-03-31/functions", "CreateFunction", functions.create_function),
    route("GET", _F, "GetFunction", functions.get_function),
    route("DELETE", _F, "DeleteFunction", functions.delete_function),
    route(
        "GET",
        f"{_F}/configuration",
        "GetFunctionConfiguration",
        functions.get_function_configuration,
    ),
    route(
        "PUT",
        f"{_F}/configuration",
        "UpdateFunctionConfiguration",
        functions.update_function_configuration,
    ),
    route("PUT", f"{_F}/code", "UpdateFunctionCode", functions.update_function_code),
    route("POST", f"{_F}/versions", "PublishVersion", functions.publish_version),
    route("GET", f"{_F}/versions", "ListVersionsByFunction", functions.list_versions_by_function),
    route("POST", f"{_F}/aliases", "CreateAlias", aliases.create_alias),
    route("GET", f"{_F}/aliases", "ListAliases", aliases.list_aliases),
    route("GET", f"{_F}/aliases/{{Name}}", "GetAlias", aliases.get_alias),
    route("PUT", f"{_F}/aliases/{{Name}}", "UpdateAlias", aliases.update_alias),
    route("DELETE", f"{_F}/aliases/{{Name}}", "DeleteAlias", aliases.delete_alias),
    route(
        "PUT",
        "/2017-10-31/functions/{FunctionName}/concurrency",
        "PutFunctionConcurrency",
        concurrency.put_function_concurrency,
    ),
    route(
        "DELETE",
        "/2017-10-31/functions/{FunctionName}/concurrency",
        "DeleteFunctionConcurrency",
        concurrency.delete_function_concurrency,
    ),
    route(
        "GET",
        "/2019-09-30/functions/{FunctionName}/concurrency",
        "GetFunctionConcurrency",
        concurrency.get_function_concurrency,
    ),
    route(
        "GET",
        _PC,
        "ListProvisionedConcurrencyConfigs",
        concurrency.list_provisioned_concurrency_configs,
        "List",
    ),
    route(
        "PUT",
        _PC,
        "PutProvisionedConcurrencyConfig",
        concurrency.put_provisioned_concurrency_config,
    ),
    route(
        "GET",
        _PC,
        "GetProvisionedConcurrencyConfig",
        concurrency.get_provisioned_concurrency_config,
    ),
    route(
        "DELETE",
        _PC,
        "DeleteProvisionedConcurrencyConfig",
        concurrency.delete_provisioned_concurrency_config,
    ),
    route(
        "GET",
        f"{_EIC}/list",
        "ListFunctionEventInvokeConfigs",
        eventconfig.list_function_event_invoke_configs,
    ),
    route(
        "PUT", _EIC, "PutFunctionEventInvokeConfig", eventconfig.put_function_event_invoke_config
    ),
    route(
        "POST",
        _EIC,
        "UpdateFunctionEventInvokeConfig",
        eventconfig.update_function_event_invoke_config,
    ),
    route(
        "GET", _EIC, "GetFunctionEventInvokeConfig", eventconfig.get_function_event_invoke_config
    ),
    route(
        "DELETE",
        _EIC,
        "DeleteFunctionEventInvokeConfig",
        eventconfig.delete_function_event_invoke_config,
    ),
    route("POST", _URL, "CreateFunctionUrlConfig", function_urls.create_function_url_config),
    route("GET", _URL, "GetFunctionUrlConfig", function_urls.get_function_url_config),
    route("PUT", _URL, "UpdateFunctionUrlConfig", function_urls.update_function_url_config),
    route("DELETE", _URL, "DeleteFunctionUrlConfig", function_urls.delete_function_url_config),
    route(
        "GET",
        "/2021-10-31/functions/{FunctionName}/urls",
        "ListFunctionUrlConfigs",
        function_urls.list_function_url_configs,
    ),
    route("POST", "/2017-03-31/tags/{Resource}", "TagResource", account.tag_resource),
    route("DELETE", "/2017-03-31/tags/{Resource}", "UntagResource", account.untag_resource),
    route("GET", "/2017-03-31/tags/{Resource}", "ListTags", account.list_tags),
    route(
        "GET", "/2016-08-19/account-settings", "GetAccountSettings", account.get_account_settings
    ),
)
# Operations that change nothing, run without taking the lock.
_CONCURRENT = frozenset({"Invoke", "InvokeAsync"})


def is_lambda(request: Request) -> bool:
    """Signed for ``lambda``, or on one of the API's dated paths (unsigned clients too)."""
    return signing_service(request) == "lambda" or request.path.startswith(PREFIXES)


class LambdaService:
    name = "lambda"

    def __init__(
        self, settings: Settings, engine: LambdaEngine, clock: Clock | None = None
    ) -> None:
        root = settings.state_dir / "lambda"
        self.registry = Registry(
            FunctionStore(root / "functions.db"),
            CodeStore(root),
            engine,
            settings,
            clock or SystemClock(),
        )
        self._lock = asyncio.Lock()

    async def deploy(self, stack: Stack, recycle: Collection[str] = ()) -> None:
        """The template's functions into the registry, then everything to the engine once
        (``Registry.deploy``); ``recycle`` names functions whose files changed."""
        async with self._lock:
            await self.registry.deploy(stack, recycle)

    def url_apis(self) -> list[Api]:
        """Function URLs created through the API, for the gateway (see ``Registry.on_change``)."""
        return function_urls.url_apis(self.registry)

    def matches(self, request: Request) -> bool:
        return is_lambda(request)

    async def handle(self, request: Request) -> Response:
        request_id = ids.request_id()
        found = match(ROUTES, request)
        try:
            if found is None:
                raise UnknownOperationException(
                    f"Lamina does not serve the Lambda operation {request.method} "
                    f"{request.path} yet."
                )
            found_route, params = found
            call = Call(request, request_id, found_route.operation, params)
            call.query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
            if request.method == "GET" or found_route.operation in _CONCURRENT:
                return await found_route.handler(self.registry, call)
            async with self._lock:
                return await found_route.handler(self.registry, call)
        except AwsError as exc:
            return error_response(exc, request_id)

    async def close(self) -> None:
        self.registry.store.close()
