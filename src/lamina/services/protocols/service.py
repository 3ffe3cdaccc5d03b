"""A service on the AWS endpoint as a table of handlers, one per operation, over botocore's model.

``ModelService(model_name, handlers)`` is a ``lamina.services.api.Service``. For each request it
finds the operation (``X-Amz-Target`` for ``json``, ``Action`` for ``query``, method and path for
``rest-json``/``rest-xml``, the path for ``smithy-rpc-v2-cbor`` where the model lists it),
parses and checks the members against the operation's input shape in the protocol the client
spoke, calls the handler and serialises what it returns against the
output shape. A service package therefore writes only handlers.

Handler contract: ``handler(params) -> result``, synchronous. ``params`` holds the input shape's
members by their model names, in Python form (timestamps ``datetime``, blobs ``bytes``, REST
members taken from the URI, query string and headers as well as the body). ``result`` holds the
output shape's members the same way (a ``json`` handler may instead return the body already
written, ``str`` or ``bytes``). Handlers raise ``AwsError`` for the client's mistakes; anything
else is logged and answered as the protocol's internal failure, never a stack trace.

Handlers run in the default executor (they may touch the disk), concurrently with each other.
A handler that is a coroutine function is awaited on the event loop instead (for operations
that wait on other tasks, as Lambda's Invoke waits on the engine). ``inline=True`` runs
synchronous handlers on the event loop instead, one at a time, for services whose operations
are a few cheap statements and rely on not interleaving (DynamoDB); ``inline_operations`` does
the same for the operations it names alone (a point read of a WAL database, as SSM's
GetParameter: the hop to a worker thread and back costs more than the read); ``on_loop`` may
widen that per request. ``validate=False``
skips the model's checks for services that word their own (DynamoDB). An operation the model
has but the table does not is answered "Lamina does not serve sts:AssumeRole yet." with the code
the protocol's clients expect for it.

``calls=True`` hands every handler a second argument, the ``Call``: the request id its answer
carries (Lambda's Invoke gives it to the invocation, so the function's ``aws_request_id`` is the
response's) and the request itself, for what the model does not name (``X-Amzn-Trace-Id``).
The model is botocore's, loaded on the service's first request (``model``): constructing a
service reads only the model's metadata (``catalog``), so services a session never calls cost
no model. A body over 256 KB is parsed on a worker thread: a 50 MB zip arrives base64 in JSON, and
decoding it on the loop would stall every other client. ``payload_type`` labels a REST
operation's raw payload (a blob or string that is the whole body): the model gives it no
Content-Type of its own, and Lambda answers Invoke's as ``application/json``. ``answer`` is
``handle`` for a request whose protocol and operation the caller already knows: a service's
fast path for its hottest operation skips the route search, never the model's parsing and
serialising.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from lamina import ids
from lamina.errors import AwsError, LaminaError
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.api import signing_service
from lamina.services.errors import NOT_SERVED, InternalFailure, UnknownOperationException, render
from lamina.services.protocols import awsjson, catalog, query, rest, rpcv2cbor, shapes
from lamina.services.protocols.shapes import Operation
from lamina.services.protocols.wire import CBOR, JSON, QUERY, REST_JSON, REST_XML, query_action

log = logging.getLogger("lamina.services")
# handler(params), or with ``calls=True`` handler(params, call); either may be a coroutine.
Handler = Callable[..., Any]
ErrorHook = Callable[[AwsError, str, str], Response]
Finish = Callable[[Response], Response]
# Bodies larger than this are parsed on a worker thread.
PARSE_ON_LOOP_BYTES = 256 * 1024


class Call(NamedTuple):
    """What a handler may need besides its members (``calls=True``). A tuple: one is built per
    request, and a frozen dataclass's ``__init__`` costs three times as much."""

    request: Request
    request_id: str


class ModelService:
    def __init__(
        self,
        model_name: str,
        handlers: Mapping[str, Handler],
        *,
        name: str | None = None,
        signing_names: tuple[str, ...] = (),
        inline: bool = False,
        inline_operations: frozenset[str] = frozenset(),
        validate: bool = True,
        render_error: ErrorHook | None = None,
        finish: Finish | None = None,
        calls: bool = False,
        payload_type: str | None = None,
    ) -> None:
        self.model_name = model_name
        self._model: shapes.Model | None = None
        self.name = name or model_name
        self.handlers = dict(handlers)
        # Asked once here: inspecting a handler costs a microsecond per request.
        self._coroutines = {n for n, h in self.handlers.items() if asyncio.iscoroutinefunction(h)}
        self.signing_names = signing_names or (self.name,)
        self.inline = inline
        self._inline_operations = inline_operations
        self.validate = validate
        self._render_error = render_error
        self._finish = finish
        self.calls = calls
        self.payload_type = payload_type
        # Routing needs only the metadata (the head of the model's file); the shapes load on
        # the first request (``model``).
        meta = catalog.model(model_name)
        if meta is None:
            raise LaminaError(f"botocore has no model named {model_name!r}")
        self._prefix = f"{meta.target_prefix}." if meta.target_prefix else None
        self._cbor = CBOR in meta.protocols
        self._rest = meta.default_protocol in (REST_JSON, REST_XML)

    @property
    def model(self) -> shapes.Model:
        """The compiled model, loaded on first use (a request, or a service asking for it)."""
        if self._model is None:
            self._model = self.load_model()
        return self._model

    def load_model(self) -> shapes.Model:
        """The model this service serves: botocore's, by its name (SQS patches its own)."""
        return shapes.model(self.model_name)

    @functools.cached_property
    def _routes(self) -> rest.Routes | None:
        return rest.routes(self.model_name) if self._rest else None

    # -- Service ------------------------------------------------------------------------------

    async def deploy(self, stack: Stack) -> None:
        return None

    def matches(self, request: Request) -> bool:
        target = request.header("x-amz-target")
        if target is not None:
            return self._prefix is not None and target.startswith(self._prefix)
        return signing_service(request) in self.signing_names

    async def handle(self, request: Request) -> Response:
        if self.inline:
            return self.handle_sync(request)
        protocol, name = self.spoken(request)
        return await self.answer(request, protocol, name)

    async def answer(self, request: Request, protocol: str, name: str | None) -> Response:
        """``handle`` once the protocol and operation are known; never raises."""
        request_id = ids.request_id()
        try:
            operation, handler = self.operation(protocol, name, request)
            loop = asyncio.get_running_loop()
            if len(request.body) > PARSE_ON_LOOP_BYTES:
                params = await loop.run_in_executor(None, self.parse, request, protocol, operation)
            else:
                params = self.parse(request, protocol, operation)
            args = (params, Call(request, request_id)) if self.calls else (params,)
            if name in self._coroutines:
                result = await handler(*args)
            elif self.on_loop(name, request):
                result = handler(*args)
            else:
                result = await loop.run_in_executor(None, handler, *args)
            answer = self.serialise(result, protocol, operation, request_id)
        except AwsError as exc:
            answer = self.error(exc, protocol, request_id)
        except Exception:
            log.exception("%s:%s failed", self.name, name)
            answer = self.error(_failure(), protocol, request_id)
        return self._finish(answer) if self._finish is not None else answer

    def handle_sync(self, request: Request) -> Response:
        """``handle`` on the calling thread, handler included; never raises."""
        protocol, name = self.spoken(request)
        request_id = ids.request_id()
        try:
            operation, handler = self.operation(protocol, name, request)
            params = self.parse(request, protocol, operation)
            result = handler(params, Call(request, request_id)) if self.calls else handler(params)
            answer = self.serialise(result, protocol, operation, request_id)
        except AwsError as exc:
            answer = self.error(exc, protocol, request_id)
        except Exception:
            log.exception("%s:%s failed", self.name, name)
            answer = self.error(_failure(), protocol, request_id)
        return self._finish(answer) if self._finish is not None else answer

    async def close(self) -> None:
        return None

    # -- the steps ----------------------------------------------------------------------------

    def on_loop(self, name: str | None, request: Request) -> bool:
        """Whether this request's synchronous handler runs on the event loop rather than a
        worker thread: the operations ``inline_operations`` names (a service may look at the
        request too: S3 runs a small PutObject there)."""
        return name in self._inline_operations

    def spoken(self, request: Request) -> tuple[str, str | None]:
        """The protocol the client spoke and the operation it names."""
        if self._cbor and rpcv2cbor.speaks(request):
            return CBOR, rpcv2cbor.operation_name(request)
        if self._prefix is not None:
            target = request.header("x-amz-target")
            if target is not None:
                return JSON, awsjson.operation_name(request, self._prefix)
        if self._routes is not None:
            return self.model.protocol, self._routes.find(request)
        return QUERY, query_action(request)

    def operation(
        self, protocol: str, name: str | None, request: Request
    ) -> tuple[Operation, Handler]:
        """The operation named and its handler, or the protocol's not-served error."""
        handler = self.handlers.get(name or "")
        operation = self.model.operation(name) if handler is not None and name else None
        if operation is None or handler is None:
            what = name or f"{request.method} {request.path}"
            raise NOT_SERVED.get(protocol, UnknownOperationException)(
                f"Lamina does not serve {self.name}:{what} yet."
            )
        return operation, handler

    def parse(self, request: Request, protocol: str, operation: Operation) -> dict[str, Any]:
        if protocol == JSON:
            if not self.validate:
                return awsjson.params(request.body)
            return awsjson.parse(request, operation)
        if protocol == QUERY:
            return query.parse(request, operation)
        if protocol == CBOR:
            return rpcv2cbor.parse(request, operation)
        assert self._routes is not None
        return self._routes.parse(request, operation, protocol)

    def serialise(
        self, result: Any, protocol: str, operation: Operation, request_id: str
    ) -> Response:
        if protocol == JSON:
            return awsjson.serialise(result, request_id, self.model.json_version)
        if protocol == QUERY:
            return query.serialise(result or {}, operation, request_id, self.model.xml_namespace)
        if protocol == CBOR:
            return rpcv2cbor.serialise(result, request_id)
        return rest.serialise(
            result or {}, operation, request_id, protocol, self.model, self.payload_type
        )

    def error(self, exc: AwsError, protocol: str, request_id: str) -> Response:
        if self._render_error is not None:
            return self._render_error(exc, protocol, request_id)
        return render(
            exc,
            protocol,
            request_id,
            json_version=self.model.json_version,
            xml_namespace=self.model.xml_namespace,
        )


def _failure() -> InternalFailure:
    return InternalFailure("The request processing has failed because of an unknown error.")
