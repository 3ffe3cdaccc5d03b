"""Which API, stage and route a request reaches, by API Gateway's precedence rules.

Pure. Addressing: every API is reachable on its own host ``{apiId}.execute-api.<anything>``
(where routes of different APIs never collide); on any other host all APIs are merged: a REST
stage (and a named HTTP API stage) is the first path segment (``/Prod/hello``), an HTTP API's
``$default`` stage sits at the root; a REST route is also reached without its stage segment
(``/hello``) when nothing else on the merged port answers that path. Function URLs answer on
``{urlId}.lambda-url.<anything>`` (the function's logical id or name works as ``urlId`` too) and
under
``/_lamina/urls/{FunctionLogicalId}/`` on the merged port. A custom domain name (``Host:
api.example.com``) reaches the API and stage its longest matching base path maps, with the base
path stripped before routing; the event's paths stay the whole path as requested, as API Gateway
sends them through a custom domain. A path no base path of the domain maps is refused as API
Gateway refuses it; a host that is no custom domain is routed as above.

Precedence inside one API: a static segment beats ``{param}``, which beats ``{proxy+}``
(compared segment by segment from the left); then a specific method beats ``ANY``; the
``$default`` route only catches what nothing else matched. On the merged port, a route of an
addressed stage beats a root one, and any real route beats a ``$default`` catch-all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from lamina.model.apis import DEFAULT_ROUTE, DEFAULT_STAGE, Api, ApiKind, Route, Stage

URL_PREFIX = "/_lamina/urls/"
# Routes found, per (method, Host, path), kept by each Router (so a redeploy starts afresh);
# emptied when full: a client walking through distinct paths costs a lookup each, as before.
_FOUND_SIZE = 1024
_STATIC, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Compiled:
    route: Route
    # (kind, text) per segment: static text, or the parameter's name.
    segments: tuple[tuple[int, str], ...]


@dataclass(slots=True)
class Target:
    """One deployed stage of one API and how its routes are looked up."""

    api: Api
    stage: Stage
    prefix: str
    static: dict[tuple[str, str], Route] = field(default_factory=dict)
    dynamic: list[_Compiled] = field(default_factory=list)
    default: Route | None = None
    methods_by_path: dict[str, set[str]] = field(default_factory=dict)


@dataclass(slots=True, init=False)
class Match:
    # Built for every request: a hand-written __init__ (init=False) costs a third of the
    # generated one, and a tenth of it once compiled (see README, compiled build).

    api: Api
    stage: Stage
    route: Route
    # The request path as sent (raw), and the part of it the route matched (below the stage;
    # through a custom domain the whole path, which is what API Gateway's events say).
    path: str
    stage_path: str
    path_parameters: dict[str, str]

    def __init__(
        self,
        api: Api,
        stage: Stage,
        route: Route,
        path: str,
        stage_path: str,
        path_parameters: dict[str, str],
    ) -> None:
        self.api = api
        self.stage = stage
        self.route = route
        self.path = path
        self.stage_path = stage_path
        self.path_parameters = path_parameters

    def copy(self) -> Match:
        """An equal Match of its own (its path parameters too)."""
        params = self.path_parameters
        return Match(
            self.api,
            self.stage,
            self.route,
            self.path,
            self.stage_path,
            dict(params) if params else {},
        )


@dataclass(slots=True)
class NoRoute:
    """No route answers; ``kind`` decides the error (REST 403, HTTP API 404)."""

    kind: ApiKind
    # The API addressed (by host or stage prefix), when one is.
    api: Api | None = None
    stage: Stage | None = None
    # A custom domain none of whose base paths maps the path.
    unmapped: bool = False


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _compile(route: Route) -> _Compiled:
    segments = []
    for part in _segments(route.path):
        if part.startswith("{") and part.endswith("+}"):
            segments.append((_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append((_PARAM, part[1:-1]))
        else:
            segments.append((_STATIC, part))
    return _Compiled(route, tuple(segments))


def _target(api: Api, stage: Stage) -> Target:
    prefix = "" if stage.name == DEFAULT_STAGE else f"/{stage.name}"
    target = Target(api, stage, prefix)
    for route in api.routes:
        if route.path == DEFAULT_ROUTE:
            target.default = route
            continue
        target.methods_by_path.setdefault(route.path, set()).add(route.method)
        compiled = _compile(route)
        if all(kind == _STATIC for kind, _ in compiled.segments):
            path = "/" + "/".join(text for _, text in compiled.segments)
            target.static[(route.method, path)] = route
        else:
            target.dynamic.append(compiled)
    return target


def _at_root(target: Target) -> Target:
    """``target`` addressed without its stage segment (a custom domain mapped to the stage, or
    the merged port's stage-less fallback)."""
    t = target
    return Target(t.api, t.stage, "", t.static, t.dynamic, t.default, t.methods_by_path)


def _fit(compiled: _Compiled, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    ranks: list[int] = []
    params: dict[str, str] = {}
    for i, (kind, text) in enumerate(compiled.segments):
        if kind == _GREEDY:
            if i != len(compiled.segments) - 1 or i >= len(parts):
                return None
            params[text] = "/".join(unquote(p) for p in parts[i:])
            ranks.append(_GREEDY)
            return tuple(ranks), params
        if i >= len(parts):
            return None
        if kind == _STATIC:
            if parts[i] != text:
                return None
        else:
            params[text] = unquote(parts[i])
        ranks.append(kind)
    if len(parts) != len(compiled.segments):
        return None
    return tuple(ranks), params


def best_route(
    target: Target, method: str, stage_path: str
) -> tuple[tuple[int, ...], Route, dict[str, str]] | None:
    """The route of ``target`` answering ``method`` on ``stage_path`` with its rank (lower is
    more specific; the ``$default`` route ranks last), or None."""
    path = stage_path.rstrip("/") or "/"  # a trailing slash reaches the route without it
    route = target.static.get((method, path)) or target.static.get(("ANY", path))
    if route is not None:
        return (_STATIC,), route, {}
    best: tuple[tuple[int, ...], Route, dict[str, str]] | None = None
    parts = _segments(path)
    for compiled in target.dynamic:
        if compiled.route.method not in (method, "ANY"):
            continue
        fitted = _fit(compiled, parts)
        if fitted is None:
            continue
        rank = (*fitted[0], 0 if compiled.route.method == method else 1)
        if best is None or rank < best[0]:
            best = (rank, compiled.route, fitted[1])
    if best is None and target.default is not None:
        return (9,), target.default, {}
    return best


def _domain_of(host: str) -> str:
    """The host name of a ``Host`` header: lower-case, without its port."""
    if host.startswith("["):
        return host.lower()
    return host.partition(":")[0].lower()


def _host_label(host: str, marker: str) -> str | None:
    at = host.find(marker)
    return host[:at].lower() if at > 0 else None


class Router:
    """Routing tables for a set of APIs; build a new one to redeploy."""

    def __init__(self, apis: Iterable[Api]) -> None:
        self.apis = tuple(apis)
        self.merged: list[Target] = []
        self.by_host: dict[str, list[Target]] = {}
        self.urls: dict[str, Target] = {}
        self.url_prefixes: dict[str, Target] = {}
        # Custom domain -> (base path with its leading slash, or "", targets), longest first.
        self.domains: dict[str, list[tuple[str, list[Target]]]] = {}
        for api in self.apis:
            targets = [_target(api, stage) for stage in api.stages]
            if api.kind is ApiKind.FUNCTION_URL and targets:
                url = targets[0]
                for name in (api.id, api.logical_id, api.function or "", api.name):
                    if name:
                        self.urls[name.lower()] = url
                self.url_prefixes[api.function or api.logical_id] = url
                continue
            self.merged += targets
            self.by_host[api.id.lower()] = targets
            self.by_host.setdefault(api.logical_id.lower(), targets)
            for mapping in api.base_paths:
                mapped = [
                    t if mapping.stage is None else _at_root(t)
                    for t in targets
                    if mapping.stage in (None, t.stage.name)
                ]
                base = f"/{mapping.base_path}" if mapping.base_path else ""
                self.domains.setdefault(mapping.domain, []).append((base, mapped))
        for mappings in self.domains.values():
            mappings.sort(key=lambda m: -len(m[0]))
        # REST stages seen as if at the root, for the merged port's stage-less fallback.
        self._stageless = [_at_root(t) for t in self.merged if t.api.kind is ApiKind.REST]
        kinds = {t.api.kind for t in self.merged if not t.prefix}
        self._root_kind = ApiKind.HTTP if ApiKind.HTTP in kinds or not self.merged else ApiKind.REST
        if not kinds and self.merged:
            self._root_kind = self.merged[0].api.kind
        self._found: dict[tuple[str, str, str], Match] = {}

    def conflicts(self) -> list[str]:
        """Routes on the merged port that another API's route hides, with where to reach them."""
        seen: dict[tuple[str, str, str], Target] = {}
        found = []
        for target in self.merged:
            keys = [(target.prefix, r.method, r.path) for r in target.api.routes]
            for key in keys:
                first = seen.setdefault(key, target)
                if first.api is not target.api:
                    prefix, method, path = key
                    found.append(
                        f"{method} {prefix}{'' if path == DEFAULT_ROUTE else path} "
                        f"({path if path == DEFAULT_ROUTE else 'route'}) of "
                        f"{target.api.logical_id} is hidden on the merged port by "
                        f"{first.api.logical_id}; reach it on host "
                        f"{target.api.id}.execute-api.localhost"
                    )
        return found

    def match(self, method: str, host: str, path: str) -> Match | NoRoute:
        """The route of a request. Routing is pure, so a request like one seen before is
        answered from ``_found`` (a fresh Match each time: callers may change theirs); a
        request no route answers is looked up each time."""
        key = (method, host, path)
        seen = self._found.get(key)
        if seen is not None:
            return seen.copy()
        found = self._match(method, host, path)
        if isinstance(found, Match):
            if len(self._found) >= _FOUND_SIZE:
                self._found.clear()
            self._found[key] = found.copy()
        return found

    def _match(self, method: str, host: str, path: str) -> Match | NoRoute:
        if self.domains:
            mappings = self.domains.get(_domain_of(host))
            if mappings is not None:
                return self._match_domain(mappings, method, path)
        label = _host_label(host, ".execute-api.")
        if label is not None and label in self.by_host:
            return self._match_in(self.by_host[label], method, path)
        label = _host_label(host, ".lambda-url.")
        if label is not None and label in self.urls:
            return self._match_in([self.urls[label]], method, path)
        if path.startswith(URL_PREFIX):
            name, _, rest = path[len(URL_PREFIX) :].partition("/")
            url = self.url_prefixes.get(name)
            if url is not None:
                found = self._match_in([url], method, "/" + rest)
                if isinstance(found, Match):
                    found.path = found.stage_path
                return found
        found = self._match_in(self.merged, method, path)
        if isinstance(found, NoRoute) and self._stageless and not self._names_a_stage(path):
            # As `sam local start-api` does (and a custom domain mapped to a stage), the merged
            # port also answers a REST API's routes without the stage segment: /items as well
            # as /Prod/items. Only when nothing else answers; the API's own host stays strict.
            fallback = self._match_in(self._stageless, method, path)
            if isinstance(fallback, Match):
                return fallback
        return found

    def _match_domain(
        self, mappings: list[tuple[str, list[Target]]], method: str, path: str
    ) -> Match | NoRoute:
        for base, targets in mappings:
            if base and not (path == base or path.startswith(base + "/")):
                continue
            found = self._match_in(targets, method, path[len(base) :] or "/")
            if isinstance(found, Match):
                found.path = found.stage_path = path
            return found
        return NoRoute(mappings[0][1][0].api.kind, unmapped=True)

    def _names_a_stage(self, path: str) -> bool:
        return any(
            path == t.prefix or path.startswith(t.prefix + "/") for t in self.merged if t.prefix
        )

    def _match_in(self, targets: list[Target], method: str, path: str) -> Match | NoRoute:
        best: tuple[tuple[int, ...], Target, Route, dict[str, str], str] | None = None
        addressed: Target | None = None
        for target in targets:
            if target.prefix:
                if not (path == target.prefix or path.startswith(target.prefix + "/")):
                    continue
                stage_path = path[len(target.prefix) :] or "/"
                addressed = addressed or target
            else:
                stage_path = path
            found = best_route(target, method, stage_path)
            if found is None:
                continue
            rank, route, params = found
            # A catch-all ranks after every real route; an addressed stage before the root.
            key = (rank[0] == 9, not target.prefix, rank)
            if best is None or key < (best[0][0] == 9, not best[1].prefix, best[0]):
                best = (rank, target, route, params, stage_path)
        if best is None:
            if addressed is not None:
                return NoRoute(addressed.api.kind, addressed.api, addressed.stage)
            root = next((t for t in targets if not t.prefix), None)
            if len({t.api.id for t in targets}) == 1:
                only = targets[0]
                return NoRoute(only.api.kind, only.api, root.stage if root else None)
            return NoRoute(root.api.kind if root else self._root_kind)
        _, target, route, params, stage_path = best
        if addressed is not None and route.path == DEFAULT_ROUTE and not target.prefix:
            # The path names a stage without a route for it: that API answers, not a root
            # catch-all (its CORS preflight and its 404 included).
            return NoRoute(addressed.api.kind, addressed.api, addressed.stage)
        return Match(target.api, target.stage, route, path, stage_path, params)
