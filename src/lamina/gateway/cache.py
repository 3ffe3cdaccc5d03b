"""REST stage caching: the integration's answers kept per stage for ``CacheTtlInSeconds``.

A stage with ``CacheClusterEnabled`` caches its GET methods (others only where a method's own
``MethodSettings`` entry says ``CachingEnabled``; ``CachingEnabled: false`` turns a method off)
for ``CacheTtlInSeconds`` (300 by default, 0: not cached, at most 3600). As on API Gateway, the
cache key is the method and resource (``/pets/{id}``, not the path sent) plus the values of the
integration's ``cacheKeyParameters`` (``method.request.querystring.q``, ``...header.h``,
``...path.id``): a path parameter left out of them shares one entry for every value.

A hit answers without running the integration (the steps before it, authorisers and
throttles, still run, as on AWS). Only 2xx answers are kept. A client invalidates the entry
with ``Cache-Control: max-age=0``; when ``RequireAuthorizationForCacheControl`` (the default)
that holds only for a caller allowed to (``execute-api:InvalidateCache``: in Lamina, any call
SigV4-signed by a key pair Lamina knows), and an unauthorised one is handled per
``UnauthorizedCacheControlHeaderStrategy``: ``FAIL_WITH_403``, ``SUCCEED_WITH_RESPONSE_HEADER``
(the default: the header is ignored and the answer carries a ``Warning``) or
``SUCCEED_WITHOUT_RESPONSE_HEADER``.

Contract: one ``StageCache`` per stage, in memory (a restart empties it, as a flush would),
holding at most about ``CacheClusterSize`` GB of bodies (least recently used go first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lamina.gateway import responses
from lamina.gateway.events import Call, query_pairs
from lamina.gateway.plan import Next
from lamina.model.apis import MethodSettings, Route, Stage
from lamina.net import sigv4
from lamina.net.messages import Response, StreamingResponse

DEFAULT_TTL_S = 300
MAX_TTL_S = 3600
_WARNING = '199 "Cache-control headers were ignored because the caller was unauthorized."'


@dataclass(frozen=True, slots=True)
class Entry:
    expires: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class StageCache:
    """One stage's entries, least recently used first, bounded by the bytes they hold."""

    def __init__(self, size_gb: float, now: Callable[[], float] = time.monotonic) -> None:
        self._limit = int(size_gb * 2**30)
        self._held = 0
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.now = now

    def get(self, key: tuple[str, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self.now():
            self.drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        self.drop(key)
        self._entries[key] = entry
        self._held += len(entry.body)
        while self._held > self._limit and self._entries:
            _, old = self._entries.popitem(last=False)
            self._held -= len(old.body)

    def clear(self) -> None:
        """Every entry gone at once (``FlushStageCache``)."""
        self._entries.clear()
        self._held = 0

    def drop(self, key: tuple[str, ...]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._held -= len(entry.body)


def _parameter(call: Call, name: str) -> str:
    """The value of ``method.request.{querystring,header,path}.X`` in this call ('' if none)."""
    _, _, rest = name.partition("method.request.")
    where, _, key = rest.partition(".")
    if where == "querystring":
        return ",".join(v for k, v in query_pairs(call.request.query) if k == key)
    if where == "header":
        return call.request.header(key) or ""
    if where == "path":
        return call.match.path_parameters.get(key, "")
    return ""


def caching_for(stage: Stage, route: Route) -> MethodSettings | None:
    """The route's settings when its answers are cached on this stage, else None."""
    if not stage.cache_cluster:
        return None
    settings = stage.settings_for(route.method, route.path)
    if route.method != "GET":
        # Only a method's own entry enables caching beyond GET, as the console's overrides do.
        own = [
            s
            for s in stage.method_settings
            if s.method == route.method and s.path in ("*", route.path) and s.caching is not None
        ]
        if not own or not settings.caching:
            return None
    elif settings.caching is False:
        return None
    ttl = DEFAULT_TTL_S if settings.cache_ttl_s is None else settings.cache_ttl_s
    return settings if 0 < ttl <= MAX_TTL_S else None


class CacheStep:
    """The step of one cached route: answers hits, keeps 2xx misses."""

    __slots__ = ("_cache", "_invalidation", "_keys", "_prefix", "_require_auth", "_secrets", "_ttl")

    def __init__(
        self,
        cache: StageCache,
        route: Route,
        settings: MethodSettings,
        secrets: Mapping[str, str],
    ) -> None:
        self._cache = cache
        self._prefix = (route.method, route.path)
        self._keys = route.integration.cache_key_parameters
        ttl = settings.cache_ttl_s
        self._ttl = float(DEFAULT_TTL_S if ttl is None else ttl)
        required = settings.require_authorization_for_cache_control
        self._require_auth = True if required is None else required
        self._invalidation = settings.unauthorized_cache_control or "SUCCEED_WITH_RESPONSE_HEADER"
        self._secrets = secrets

    def _authorised(self, call: Call) -> bool:
        if not self._require_auth or call.caller is not None:
            return True
        try:
            sigv4.verify(call.request, self._secrets, call.time)
        except sigv4.Refusal:
            return False
        return True

    async def __call__(self, call: Call, next: Next, /) -> Response:
        key = self._prefix + tuple(_parameter(call, name) for name in self._keys)
        control = call.request.header("cache-control")
        warning = False
        if control is not None and "max-age=0" in control.replace(" ", "").lower():
            if self._authorised(call):
                self._cache.drop(key)
            elif self._invalidation == "FAIL_WITH_403":
                return responses.error(403, "Forbidden", "AccessDeniedException")
            else:
                warning = self._invalidation == "SUCCEED_WITH_RESPONSE_HEADER"
        entry = self._cache.get(key)
        if entry is not None:
            response = Response(entry.status, list(entry.headers), entry.body)
        else:
            response = await next(call)
            if 200 <= response.status < 300 and not isinstance(response, StreamingResponse):
                expires = self._cache.now() + self._ttl
                headers = tuple(response.headers)
                self._cache.put(key, Entry(expires, response.status, headers, response.body))
        if warning:
            response.headers.append(("Warning", _WARNING))
        return response
