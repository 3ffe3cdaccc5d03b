"""The Lambda API on the AWS endpoint (``lamina.services.api.Service``), on botocore's model.

A request is Lambda's when its SigV4 scope names ``lambda`` or its path starts with one of the
API's dated prefixes. The protocol layer (``ModelService`` over botocore's ``lambda`` model,
rest-json) finds the operation by method and path, parses and checks its members where the
model puts them (URI labels, query string, headers, JSON body, a blob payload as raw bytes) and
writes each result from the output shape; the modules here hold one handler per operation,
``handler(registry, params) -> result``, and Lambda's error shape (``errors.render``).

Changes are applied one at a time (a lock), so two clients creating the same function see one
succeed and one ``ResourceConflictException``; reads (``GET``) and invocations run concurrently.

Invoke is the hot path: a POST on ``/2015-03-31/functions/{FunctionName}/invocations`` goes to
it without searching the other operations' routes (``ModelService.answer``); its members are
still parsed and its answer written from the model.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from lamina.clock import Clock, SystemClock
from lamina.engine.api import LambdaEngine
from lamina.model.apis import Api
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.api import signing_service
from lamina.services.lambda_ import (
    account,
    aliases,
    concurrency,
    errors,
    eventconfig,
    function_urls,
    functions,
    invocations,
    mappings,
)
from lamina.services.lambda_.code import CodeStore
from lamina.services.lambda_.registry import Registry
from lamina.services.lambda_.store import FunctionStore
from lamina.services.protocols.service import Call, Handler, ModelService
from lamina.services.protocols.wire import REST_JSON
from lamina.settings import Settings

# Every dated prefix of the Lambda API (so the endpoint can claim a request by its path alone).
PREFIXES = (
    "/2014-11-13/",
    "/2015-03-31/",
    "/2016-08-19/",
    "/2017-03-31/",
    "/2017-10-31/",
    "/2018-10-31/",
    "/2019-09-25/",
    "/2019-09-30/",
    "/2020-04-22/",
    "/2020-06-30/",
    "/2021-10-31/",
    "/2021-12-01/",
    "/2024-08-31/",
    "/2025-",
)
# Invoke's requestUri in botocore's model, as the route table compiles it.
_INVOKE = re.compile(r"/2015-03-31/functions/[^/]+/invocations/?")

Operation = Callable[[Registry, dict[str, Any]], Awaitable[dict[str, Any]]]
Invocation = Callable[[Registry, dict[str, Any], Call], Awaitable[dict[str, Any]]]
OPERATIONS: dict[str, Operation] = {
    "ListFunctions": functions.list_functions,
    "CreateFunction": functions.create_function,
    "GetFunction": functions.get_function,
    "DeleteFunction": functions.delete_function,
    "GetFunctionConfiguration": functions.get_function_configuration,
    "UpdateFunctionConfiguration": functions.update_function_configuration,
    "UpdateFunctionCode": functions.update_function_code,
    "PublishVersion": functions.publish_version,
    "ListVersionsByFunction": functions.list_versions_by_function,
    "CreateAlias": aliases.create_alias,
    "ListAliases": aliases.list_aliases,
    "GetAlias": aliases.get_alias,
    "UpdateAlias": aliases.update_alias,
    "DeleteAlias": aliases.delete_alias,
    "PutFunctionConcurrency": concurrency.put_function_concurrency,
    "DeleteFunctionConcurrency": concurrency.delete_function_concurrency,
    "GetFunctionConcurrency": concurrency.get_function_concurrency,
    "ListProvisionedConcurrencyConfigs": concurrency.list_provisioned_concurrency_configs,
    "PutProvisionedConcurrencyConfig": concurrency.put_provisioned_concurrency_config,
    "GetProvisionedConcurrencyConfig": concurrency.get_provisioned_concurrency_config,
    "DeleteProvisionedConcurrencyConfig": concurrency.delete_provisioned_concurrency_config,
    "ListFunctionEventInvokeConfigs": eventconfig.list_function_event_invoke_configs,
    "PutFunctionEventInvokeConfig": eventconfig.put_function_event_invoke_config,
    "UpdateFunctionEventInvokeConfig": eventconfig.update_function_event_invoke_config,
    "GetFunctionEventInvokeConfig": eventconfig.get_function_event_invoke_config,
    "DeleteFunctionEventInvokeConfig": eventconfig.delete_function_event_invoke_config,
    "CreateFunctionUrlConfig": function_urls.create_function_url_config,
    "GetFunctionUrlConfig": function_urls.get_function_url_config,
    "UpdateFunctionUrlConfig": function_urls.update_function_url_config,
    "DeleteFunctionUrlConfig": function_urls.delete_function_url_config,
    "ListFunctionUrlConfigs": function_urls.list_function_url_configs,
    "TagResource": account.tag_resource,
    "UntagResource": account.untag_resource,
    "ListTags": account.list_tags,
    "GetAccountSettings": account.get_account_settings,
    "CreateEventSourceMapping": mappings.create_event_source_mapping,
    "GetEventSourceMapping": mappings.get_event_source_mapping,
    "ListEventSourceMappings": mappings.list_event_source_mappings,
    "UpdateEventSourceMapping": mappings.update_event_source_mapping,
    "DeleteEventSourceMapping": mappings.delete_event_source_mapping,
}
# Operations that change nothing and may wait long: they run without taking the lock.
INVOCATIONS: dict[str, Invocation] = {
    "Invoke": invocations.invoke,
    "InvokeAsync": invocations.invoke_async,
}


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
        self.protocol = ModelService(
            "lambda",
            self._handlers(),
            signing_names=("lambda",),
            render_error=errors.render,
            calls=True,
            # Invoke's payload leaves labelled as Lambda labels it, whatever it holds.
            payload_type="application/json",
        )

    def _handlers(self) -> dict[str, Handler]:
        registry, lock = self.registry, self._lock

        def run(name: str, operation: Operation) -> Handler:
            async def handle(params: dict[str, Any], call: Call) -> dict[str, Any]:
                # Reads (GET operations) run concurrently, changes one at a time. Asked of the
                # model the request was just parsed with: building the table must not load it.
                found = self.protocol.model.operation(name)
                if found is not None and found.method == "GET":
                    return await operation(registry, params)
                async with lock:
                    return await operation(registry, params)

            return handle

        table: dict[str, Handler] = {n: run(n, op) for n, op in OPERATIONS.items()}
        for name, invocation in INVOCATIONS.items():
            # A partial, not a wrapper coroutine: one coroutine frame less on Invoke's hot path.
            table[name] = functools.partial(invocation, registry)
        return table

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
        if request.method == "POST" and _INVOKE.fullmatch(request.path):
            return await self.protocol.answer(request, REST_JSON, "Invoke")
        return await self.protocol.handle(request)

    async def close(self) -> None:
        self.registry.store.close()
