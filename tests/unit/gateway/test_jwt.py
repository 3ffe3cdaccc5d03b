"""The JWT authorizer step remembers the tokens it verified, and a repeat is still held to its
expiry, not-before time and the route's scopes: an expired token is refused exactly as before,
a token one character away from a remembered one is verified (and refused), the remembered
tokens are bounded, and fetching the issuer's keys again (a key rotation) forgets them all.

Real tokens signed with joserfc, real keys read from a ``LAMINA_JWKS``-style file or served by
an identity provider on loopback; time is the call's arrival time, and the keys' TTL runs on a
clock the test turns."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from lamina.gateway.events import Call
from lamina.gateway.jwt import REFETCH_S, JwtAuthorizer, KeySets
from lamina.gateway.routing import Match, Router
from lamina.model.apis import ApiKind, Authorizer, AuthorizerType
from lamina.net.messages import Response

from .support import api, lambda_route, request

ISSUER = "https://issuer.example"
NOW = float(int(time.time()))
KEY = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
ROTATED = RSAKey.generate_key(2048, private=True, parameters={"kid": "k2"})
MADE_UP = RSAKey.generate_key(2048, private=True, parameters={"kid": "k3"})


class Clock:
    """The keys' TTL clock, turned by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def wall(self) -> float:
        return NOW

    def monotonic(self) -> float:
        return self.now


def token(key: RSAKey = KEY, **claims: Any) -> str:
    body = {"iss": ISSUER, "aud": "app", "sub": "user-1", "exp": NOW + 60, "scope": "read"}
    body.update(claims)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)


def write_keys(path: Path, *keys: RSAKey) -> None:
    path.write_text(json.dumps({ISSUER: {"keys": [k.as_dict(private=False) for k in keys]}}))


class Route:
    """One HTTP API route guarded by a JWT authorizer, its step, and what reached the function."""

    def __init__(
        self,
        keys: KeySets,
        scopes: tuple[str, ...] = (),
        capacity: int = 1024,
        kind: ApiKind = ApiKind.HTTP,
    ) -> None:
        rest = kind is ApiKind.REST
        authorizer = Authorizer(
            "Jwt",
            AuthorizerType.COGNITO if rest else AuthorizerType.JWT,
            identity_sources=(
                "method.request.header.Authorization" if rest else "$request.header.Authorization",
            ),
            issuer=ISSUER,
            audience=("app",),
        )
        self.api = api(lambda_route("GET", "/a", "1.0" if rest else "2.0"), kind=kind)
        self.prefix = "/Prod" if rest else ""
        self.step = JwtAuthorizer(authorizer, self.api, scopes, keys, capacity)
        self.seen: list[dict[str, Any] | None] = []

    def send(self, bearer: str, at: float = NOW) -> Response:
        path = f"{self.prefix}/a"
        req = request("GET", path, headers=[("Host", "h"), ("Authorization", f"Bearer {bearer}")])
        found = Router([self.api]).match("GET", "h", path)
        assert isinstance(found, Match)
        call = Call(req, found, "rid", "t", at, "1", "us-east-1")

        async def integration(call: Call) -> Response:
            self.seen.append(call.authorizer)
            return Response(200, [], b"ok")

        async def run() -> Response:
            return await self.step(call, integration)

        return asyncio.run(run())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(tmp_path: Path, clock: Clock) -> KeySets:
    write_keys(tmp_path / "jwks.json", KEY)
    return KeySets(str(tmp_path / "jwks.json"), clock)


def refused(response: Response) -> bool:
    """API Gateway's 401 for a JWT it does not accept."""
    return (
        response.status == 401
        and json.loads(response.body) == {"message": "Unauthorized"}
        and response.header("x-amzn-ErrorType") == "UnauthorizedException"
    )


def test_a_remembered_token_is_refused_once_expired(keys: KeySets) -> None:
    """The same token, let in and remembered, is 401 once the call comes after its ``exp``."""
    route = Route(keys)
    genuine = token()
    assert route.send(genuine).status == 200
    assert route.send(genuine, at=NOW + 59).status == 200
    assert route.step.remembered == 1
    assert refused(route.send(genuine, at=NOW + 61))


def test_a_remembered_token_waits_for_its_not_before_time(keys: KeySets) -> None:
    """A token whose ``nbf`` is ahead is 401 until then, even after it has been verified."""
    route = Route(keys)
    early = token(nbf=NOW + 10)
    assert refused(route.send(early))
    assert refused(route.send(early, at=NOW + 9))
    assert route.send(early, at=NOW + 10).status == 200


def test_repeats_reach_the_function_with_the_tokens_claims(keys: KeySets) -> None:
    """The first call and a repeat hand the function the same claims and scopes block."""
    route = Route(keys)
    genuine = token(groups=["a", "b"])
    route.send(genuine)
    route.send(genuine)
    first, repeat = route.seen
    assert first == repeat
    assert first is not None
    assert first["jwt"]["claims"]["sub"] == "user-1"
    assert first["jwt"]["claims"]["groups"] == '["a","b"]'
    assert first["jwt"]["scopes"] == ["read"]


def test_a_cognito_authorizer_hands_a_rest_event_the_claims(keys: KeySets) -> None:
    """A REST API's Cognito user pool authorizer puts the claims (no scopes block) in the
    event's ``requestContext.authorizer.claims``, on the first call and on repeats."""
    route = Route(keys, kind=ApiKind.REST)
    genuine = token()
    assert [route.send(genuine).status for _ in range(2)] == [200, 200]
    assert route.seen[0] == route.seen[1]
    assert route.seen[0] is not None
    assert route.seen[0]["claims"]["sub"] == "user-1"
    assert "jwt" not in route.seen[0]
    assert refused(route.send(genuine, at=NOW + 61))


def test_a_token_one_character_off_a_remembered_one_is_refused(keys: KeySets) -> None:
    """After the genuine token was let in, changing one character of its header, claims or
    signature gets 401; the genuine one still gets in."""
    route = Route(keys)
    genuine = token()
    assert route.send(genuine).status == 200
    header, claims, signature = genuine.split(".")
    start = 0
    for segment in (header, claims, signature):
        # The middle of each segment: a segment's last character may carry padding bits only.
        at = start + len(segment) // 2
        changed = "B" if genuine[at] != "B" else "C"
        assert refused(route.send(genuine[:at] + changed + genuine[at + 1 :])), segment
        start += len(segment) + 1
    assert route.send(genuine).status == 200


def test_claims_swapped_under_a_remembered_signature_are_refused(keys: KeySets) -> None:
    """A remembered token's signature on other claims (a later expiry) is 401."""
    route = Route(keys)
    genuine = token()
    assert route.send(genuine).status == 200
    header, _, signature = genuine.split(".")
    _, longer, _ = token(exp=NOW + 3600).split(".")
    assert refused(route.send(f"{header}.{longer}.{signature}"))


def test_the_remembered_tokens_are_bounded(keys: KeySets) -> None:
    """Past its capacity the step forgets the oldest token; a forgotten one is verified again."""
    route = Route(keys, capacity=3)
    tokens = [token(sub=f"user-{n}") for n in range(5)]
    assert [route.send(t).status for t in tokens] == [200] * 5
    assert route.step.remembered == 3
    assert route.send(tokens[0]).status == 200
    assert route.step.remembered == 3
    assert refused(route.send(tokens[0], at=NOW + 61))


def test_rotated_keys_forget_what_the_old_ones_verified(
    keys: KeySets, clock: Clock, tmp_path: Path
) -> None:
    """Once the issuer's keys are fetched again (past their TTL) and the old key is gone, a
    token it signed is 401 although it was let in before; the new key's tokens get in."""
    route = Route(keys)
    old = token()
    assert route.send(old).status == 200
    write_keys(tmp_path / "jwks.json", ROTATED)
    assert route.send(old).status == 200  # the keys are kept for their TTL, as on AWS
    clock.now += 3601
    assert refused(route.send(old))
    assert route.send(token(key=ROTATED)).status == 200
    assert route.step.remembered == 1


def test_a_token_signed_by_a_key_not_yet_fetched_fetches_the_keys_again(
    keys: KeySets, clock: Clock, tmp_path: Path
) -> None:
    """As API Gateway does, a token whose ``kid`` the cached keys lack makes them be fetched
    again before their TTL (the issuer rotated its keys): it gets in. Another unknown ``kid``
    within ``REFETCH_S`` of that fetch is 401 without a fetch (even once the issuer has its
    key), so tokens naming made-up keys cannot make Lamina call the issuer on every request;
    past ``REFETCH_S`` it fetches again and gets in."""
    route = Route(keys)
    assert route.send(token()).status == 200
    write_keys(tmp_path / "jwks.json", KEY, ROTATED)
    clock.now += REFETCH_S + 1  # well within the keys' TTL
    assert route.send(token(key=ROTATED)).status == 200
    assert route.send(token()).status == 200  # the old key is still published
    assert refused(route.send(token(key=MADE_UP)))
    write_keys(tmp_path / "jwks.json", KEY, ROTATED, MADE_UP)
    assert refused(route.send(token(key=MADE_UP, sub="user-2")))
    clock.now += REFETCH_S + 1
    assert route.send(token(key=MADE_UP, sub="user-3")).status == 200


def test_a_fetch_again_that_fails_keeps_the_keys_in_hand(
    keys: KeySets, clock: Clock, tmp_path: Path
) -> None:
    """An unknown ``kid`` whose fetch fails (the issuer answers garbage) is 401, and the keys
    already cached still verify new tokens."""
    route = Route(keys)
    assert route.send(token()).status == 200
    (tmp_path / "jwks.json").write_text("not json")
    clock.now += REFETCH_S + 1
    assert refused(route.send(token(key=MADE_UP)))
    assert route.send(token(sub="user-2")).status == 200


def test_a_remembered_token_without_the_routes_scope_is_403_every_time(keys: KeySets) -> None:
    """A token verified but lacking the route's scope is 403 on the first call and repeats."""
    route = Route(keys, scopes=("read",))
    writer = token(scope="write")
    for _ in range(2):
        response = route.send(writer)
        assert (response.status, json.loads(response.body)) == (403, {"message": "Forbidden"})
    assert route.send(token(scope="write read")).status == 200


class Provider(http.server.BaseHTTPRequestHandler):
    """An issuer on loopback that counts the requests for its keys (and answers 503 while
    ``down``)."""

    fetched: list[str] = []
    down = False

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.fetched.append(self.path)
        if self.down:
            self.send_error(503)
            return
        if self.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {"issuer": base, "jwks_uri": f"{base}/jwks"}
        else:
            body = {"keys": [KEY.as_dict(private=False)]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    Provider.fetched = []
    Provider.down = False
    # A short poll: shutdown() waits for the loop to look, 0.5 s by default.
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_calls_that_find_the_keys_missing_together_wait_for_one_fetch(
    provider: str, clock: Clock
) -> None:
    """Twenty calls asking for an issuer's keys at once, first and again past the TTL, cause
    one fetch each time, and all get the same keys."""
    keys = KeySets("", clock)

    async def together() -> set[int]:
        found = await asyncio.gather(*(keys.get(provider) for _ in range(20)))
        assert all(k is not None for k in found)
        return {id(k) for k in found}

    assert len(asyncio.run(together())) == 1
    assert Provider.fetched == ["/.well-known/openid-configuration", "/jwks"]
    clock.now += 3601
    assert len(asyncio.run(together())) == 1
    assert len(Provider.fetched) == 4


def test_an_issuer_that_failed_is_not_asked_again_for_a_while(provider: str, clock: Clock) -> None:
    """Keys that could not be had are not fetched again for ``REFETCH_S``: calls meanwhile are
    refused at once (each would otherwise wait for a fetch, up to 5 s); then the issuer is asked
    again, and once it answers its keys are used."""
    keys = KeySets("", clock)
    Provider.down = True
    assert asyncio.run(keys.get(provider)) is None
    assert Provider.fetched == ["/.well-known/openid-configuration"]
    assert asyncio.run(keys.get(provider)) is None
    assert len(Provider.fetched) == 1
    Provider.down = False
    clock.now += REFETCH_S + 1
    assert asyncio.run(keys.get(provider)) is not None
    assert Provider.fetched[1:] == ["/.well-known/openid-configuration", "/jwks"]
