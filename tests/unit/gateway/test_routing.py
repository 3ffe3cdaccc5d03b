"""Routing precedence and addressing, as API Gateway resolves routes (pure)."""

from __future__ import annotations

from lamina.gateway.routing import Match, NoRoute, Router
from lamina.model.apis import ApiKind

from .support import api, lambda_route


def matched(router: Router, method: str, path: str, host: str = "localhost:3000") -> Match:
    found = router.match(method, host, path)
    assert isinstance(found, Match), found
    return found


def test_static_beats_param_beats_greedy() -> None:
    """Segment by segment from the left: static, then {param}, then {proxy+}."""
    router = Router(
        [
            api(
                lambda_route("GET", "/a/b"),
                lambda_route("GET", "/a/{x}"),
                lambda_route("GET", "/{proxy+}"),
                lambda_route("GET", "/a/{x}/c"),
            )
        ]
    )
    assert matched(router, "GET", "/Prod/a/b").route.path == "/a/b"
    assert matched(router, "GET", "/Prod/a/z").route.path == "/a/{x}"
    assert matched(router, "GET", "/Prod/a/z/c").route.path == "/a/{x}/c"
    found = matched(router, "GET", "/Prod/q/r/s")
    assert (found.route.path, found.path_parameters) == ("/{proxy+}", {"proxy": "q/r/s"})


def test_specific_method_beats_any_and_any_matches_all() -> None:
    """GET /x goes to the GET route, other methods to ANY /x."""
    router = Router([api(lambda_route("ANY", "/x"), lambda_route("GET", "/x", function="get"))])
    assert matched(router, "GET", "/Prod/x").route.method == "GET"
    for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        assert matched(router, method, "/Prod/x").route.method == "ANY"


def test_params_trailing_slash_and_decoding() -> None:
    """All {params} arrive percent-decoded; a trailing slash reaches the route without it."""
    router = Router([api(lambda_route("GET", "/u/{id}/o/{oid}"))])
    found = matched(router, "GET", "/Prod/u/a%20b/o/7/")
    assert found.path_parameters == {"id": "a b", "oid": "7"}
    assert found.stage_path == "/u/a%20b/o/7/"


def test_greedy_needs_a_segment_and_root() -> None:
    """{proxy+} does not match the bare prefix; the root path is its own route."""
    router = Router([api(lambda_route("GET", "/p/{proxy+}"), lambda_route("GET", "/"))])
    assert isinstance(router.match("GET", "h", "/Prod/p"), NoRoute)
    assert matched(router, "GET", "/Prod").route.path == "/"
    assert matched(router, "GET", "/Prod/").route.path == "/"


def test_no_route_kinds() -> None:
    """REST misses are REST's (403), HTTP API misses HTTP's (404)."""
    rest = Router([api(lambda_route("GET", "/a"))])
    assert rest.match("GET", "h", "/Prod/b") == NoRoute(
        ApiKind.REST, rest.apis[0], rest.apis[0].stages[0]
    )
    http = Router([api(lambda_route("GET", "/a"), kind=ApiKind.HTTP)])
    found = http.match("GET", "h", "/b")
    assert isinstance(found, NoRoute) and found.kind is ApiKind.HTTP


def test_default_route_catches_only_unmatched() -> None:
    """HTTP API $default catches what no route matched."""
    router = Router(
        [api(lambda_route("GET", "/a"), lambda_route("ANY", "$default"), kind=ApiKind.HTTP)]
    )
    assert matched(router, "GET", "/a").route.path == "/a"
    assert matched(router, "POST", "/a").route.path == "$default"
    assert matched(router, "GET", "/zzz").route.key == "$default"


def test_merged_port_and_api_hosts() -> None:
    """On the merged port a named stage is a path prefix and $default is the root; each API is
    alone on its own host; conflicts are reported with where to reach the hidden route."""
    rest = api(lambda_route("GET", "/a"), api_id="restid", logical_id="Rest")
    one = api(
        lambda_route("GET", "/a", function="one"), kind=ApiKind.HTTP, api_id="one", logical_id="One"
    )
    two = api(
        lambda_route("GET", "/a", function="two"), kind=ApiKind.HTTP, api_id="two", logical_id="Two"
    )
    router = Router([rest, one, two])
    assert matched(router, "GET", "/Prod/a").api.logical_id == "Rest"
    assert matched(router, "GET", "/a").api.logical_id == "One"
    assert (
        matched(router, "GET", "/a", host="two.execute-api.localhost:3000").api.logical_id == "Two"
    )
    assert isinstance(router.match("GET", "restid.execute-api.localhost", "/a"), NoRoute)
    (conflict,) = router.conflicts()
    assert "Two" in conflict and "two.execute-api.localhost" in conflict


def test_function_urls_by_host_and_prefix() -> None:
    """A Function URL answers on {urlId}.lambda-url.* (or the function's logical id) and
    under /_lamina/urls/{Function}/, where the event's path is what follows the prefix."""
    url = api(
        lambda_route("ANY", "$default", "2.0"),
        kind=ApiKind.FUNCTION_URL,
        api_id="urlid",
        logical_id="FnUrl",
    )
    router = Router([url])
    assert matched(router, "POST", "/x", host="urlid.lambda-url.localhost").path == "/x"
    assert matched(router, "GET", "/y", host="fn.lambda-url.localhost:1").api.id == "urlid"
    assert matched(router, "GET", "/_lamina/urls/Fn/z/w").path == "/z/w"


def test_a_lone_rest_api_answers_without_its_stage_on_the_merged_port() -> None:
    """With only one REST API deployed, /hello reaches its /Prod/hello route on the merged port
    (sam local start-api's addressing), a path naming the stage keeps API Gateway's 403 for
    what it lacks, and the API's own host still requires the stage."""
    router = Router([api(lambda_route("POST", "/hello"))])
    found = router.match("POST", "localhost:3000", "/hello")
    assert isinstance(found, Match) and found.route.path == "/hello"
    assert found.stage.name == "Prod"
    assert isinstance(router.match("POST", "localhost:3000", "/Prod/nope"), NoRoute)
    assert isinstance(router.match("POST", "localhost:3000", "/nope"), NoRoute)
    assert isinstance(router.match("POST", "abc123.execute-api.localhost", "/hello"), NoRoute)


def test_rest_routes_on_the_resource_and_method_pair() -> None:
    """REST, as measured on API Gateway: a resource that matches the path but lacks the method
    does not stop the search; a less specific resource having it ({param} or {proxy+} ANY)
    answers, and only when none has the method is it 403 Missing Authentication Token."""
    rest = Router(
        [
            api(
                lambda_route("POST", "/roles/provision"),
                lambda_route("GET", "/roles/{roleId}"),
                lambda_route("GET", "/jobs/{op}"),
                lambda_route("ANY", "/things/{proxy+}"),
                lambda_route("GET", "/things/real"),
            )
        ]
    )
    assert matched(rest, "POST", "/Prod/roles/provision").route.path == "/roles/provision"
    assert matched(rest, "GET", "/Prod/roles/provision").route.path == "/roles/{roleId}"
    assert matched(rest, "POST", "/Prod/things/real").route.path == "/things/{proxy+}"
    found = rest.match("POST", "h", "/Prod/jobs/reboot")
    assert isinstance(found, NoRoute) and found.kind is ApiKind.REST


def test_custom_domain_base_paths() -> None:
    """A custom domain (Host, any case, any port) reaches the stage its longest matching base
    path maps, the base path stripped for routing and kept in the match's paths; a REST mapping
    without a stage takes the stage from the next segment; a path no base path maps is an
    unmapped NoRoute; another host routes as before."""
    from dataclasses import replace

    from lamina.model.apis import BasePathMapping

    shop = replace(
        api(lambda_route("GET", "/items/{id}"), api_id="shop1"),
        base_paths=(
            BasePathMapping("api.example.com", "", "Prod"),
            BasePathMapping("api.example.com", "v1/shop", None),
        ),
    )
    router = Router([shop])
    root = matched(router, "GET", "/items/7", host="API.example.com:3000")
    assert (root.stage_path, root.path, root.path_parameters) == (
        "/items/7",
        "/items/7",
        {"id": "7"},
    )
    deep = matched(router, "GET", "/v1/shop/Prod/items/8", host="api.example.com")
    assert deep.path == deep.stage_path == "/v1/shop/Prod/items/8"
    assert deep.path_parameters == {"id": "8"}
    nowhere = router.match("GET", "api.example.com", "/v1/shop/items/8")
    assert isinstance(nowhere, NoRoute) and not nowhere.unmapped
    other = Router([replace(shop, base_paths=(BasePathMapping("x.example.com", "v1"),))])
    unmapped = other.match("GET", "x.example.com", "/items/7")
    assert isinstance(unmapped, NoRoute) and unmapped.unmapped
    assert matched(other, "GET", "/Prod/items/7").stage_path == "/items/7"


def test_a_request_seen_before_gets_the_same_route_in_a_match_of_its_own() -> None:
    """Routes found are remembered per (method, host, path): the same request is routed the
    same way again, each caller gets its own Match (a caller changing its path or parameters
    does not change the next request's), and another host or method is routed afresh."""
    router = Router(
        [api(lambda_route("GET", "/u/{id}"), lambda_route("POST", "/u/{id}", function="post"))]
    )
    first = matched(router, "GET", "/Prod/u/7")
    first.path_parameters["id"] = "changed"
    first.path = "/elsewhere"
    again = matched(router, "GET", "/Prod/u/7")
    assert again is not first
    assert (again.route.path, again.path, again.path_parameters) == (
        "/u/{id}",
        "/Prod/u/7",
        {"id": "7"},
    )
    assert matched(router, "POST", "/Prod/u/7").route.integration.function == "post"
    assert isinstance(router.match("GET", "localhost:3000", "/Prod/nowhere"), NoRoute)
    assert isinstance(router.match("GET", "localhost:3000", "/Prod/nowhere"), NoRoute)
