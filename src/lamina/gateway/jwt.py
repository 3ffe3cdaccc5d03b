"""JWT authorizers (HTTP APIs) and Cognito user pool authorizers (REST): the pipeline step that
lets a call in with a valid token.

The token is the identity source's value (``Bearer `` removed). It must be signed by a key of
the issuer's JWKS, found through ``{issuer}/.well-known/openid-configuration`` (HTTPS, or plain
HTTP for a loopback issuer as local identity providers serve) or in the file
``LAMINA_JWKS`` names (``{"<issuer>": {"keys": [...]}}``, for offline work); its ``iss`` must be
the issuer, its ``aud`` (or an access token's ``client_id``) one of the audiences, ``exp`` and
``nbf`` must hold; a route's authorization scopes must be among the token's ``scope``. Refusals
are API Gateway's: 401 ``Unauthorized`` for a missing, tampered or expired token, 403
``Forbidden`` for missing scopes. The claims reach the event as API Gateway puts them
(``requestContext.authorizer.jwt`` in 2.0 events, ``.claims`` in REST ones).

A token signed with a key the cached keys do not have (its ``kid`` is not among them: the issuer
rotated its keys) makes the keys be fetched again, as API Gateway does, and the token checked
against them; at most once every ``REFETCH_S`` per issuer, so tokens naming made-up keys cannot
make Lamina call the issuer on every request. Keys that could not be had (the issuer did not
answer) are not asked for again for ``REFETCH_S`` either: calls meanwhile are 401 at once
instead of each waiting for a fetch that may take seconds.

A token's signature (RSA or ECDSA, the dearest part by far), issuer and audience are checked the
first time it comes; each route's step then remembers it (bounded, forgotten when the keys are
fetched again), so a repeat skips that work but is still held to ``exp``, ``nbf`` (against the
call's arrival time) and the route's scopes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import os
import urllib.parse
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.gateway.authorizers import unauthorized
from lamina.gateway.events import Call
from lamina.gateway.plan import Next
from lamina.model.apis import Api, ApiKind, Authorizer, AuthorizerType
from lamina.net.messages import Response, json_response

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

# joserfc (with cryptography, about 9 MB and 100 ms) is imported where a token is first checked:
# a template without JWT or Cognito authorizers never pays for it.
log = logging.getLogger("lamina.gateway")
# JWKS are cached per issuer for this long (API Gateway refreshes them about hourly).
_JWKS_TTL_S = 3600.0
# A token signed by a key the cached JWKS lacks fetches them again, at most this often.
REFETCH_S = 10.0
_LEEWAY_S = 0
# Verified tokens remembered per route's authorizer (the oldest forgotten past this many).
_VERIFIED_TOKENS = 1024
_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]


class KeySets:
    """JWKS by issuer: from ``LAMINA_JWKS``'s file, else fetched (off the loop) and cached."""

    def __init__(self, file: str | None = None, clock: Clock = SYSTEM) -> None:
        self._file = file if file is not None else os.environ.get("LAMINA_JWKS")
        self._clock = clock
        self._cache: dict[str, tuple[float, KeySet]] = {}
        # When each issuer's keys were last loaded (monotonic), for ``refetch``'s pace, and
        # when a load last failed.
        self._loaded_at: dict[str, float] = {}
        self._failed_at: dict[str, float] = {}
        # The load under way per issuer: calls that find the keys missing or stale at once
        # (every connection, when the TTL runs out under load) wait for one fetch, not one each.
        self._loading: dict[str, asyncio.Future[KeySet | None]] = {}

    def cached(self, issuer: str) -> KeySet | None:
        """The issuer's keys if they were loaded less than the TTL ago, without waiting."""
        found = self._cache.get(issuer)
        if found is not None and self._clock.monotonic() < found[0]:
            return found[1]
        return None

    async def get(self, issuer: str) -> KeySet | None:
        """The issuer's keys, loaded again past the TTL (a new ``KeySet`` object each time, one
        load at a time per issuer); None, with a warning logged, when they cannot be had."""
        found = self.cached(issuer)
        if found is not None:
            return found
        failed = self._failed_at.get(issuer)
        if failed is not None and self._clock.monotonic() < failed + REFETCH_S:
            return None  # it just failed: calls meanwhile are refused at once, not held 5 s each
        return await self._load_once(issuer)

    def _load_once(self, issuer: str) -> Awaitable[KeySet | None]:
        """The issuer's keys from the load under way, or from one started now."""
        loading = self._loading.get(issuer)
        if loading is None:
            loading = self._loading[issuer] = asyncio.ensure_future(self._reload(issuer))
            loading.add_done_callback(lambda _: self._loading.pop(issuer, None))
        # Shielded: a caller that goes away (its client disconnected) leaves the load to the rest.
        return asyncio.shield(loading)

    async def refetch(self, issuer: str, seen: KeySet) -> KeySet | None:
        """The issuer's keys fetched again because a token names a key ``seen`` lacks: newer
        keys when another call already fetched them, the same when they were loaded less than
        ``REFETCH_S`` ago (or are being loaded), else loaded now."""
        found = self.cached(issuer)
        if found is not None and found is not seen:
            return found
        loaded = self._loaded_at.get(issuer)
        if loaded is not None and self._clock.monotonic() < loaded + REFETCH_S:
            return found
        # The keys in hand stay cached if this load fails.
        newer = await self._load_once(issuer)
        return newer if newer is not None else found

    async def _reload(self, issuer: str) -> KeySet | None:
        from joserfc.errors import JoseError

        self._loaded_at[issuer] = self._clock.monotonic()
        try:
            keys = await asyncio.to_thread(self._load, issuer)
        except (OSError, ValueError, KeyError, JoseError) as exc:
            log.warning("JWT authorizer: no keys for issuer %s: %s", issuer, exc)
            self._failed_at[issuer] = self._clock.monotonic()
            return None
        self._failed_at.pop(issuer, None)
        self._cache[issuer] = (self._clock.monotonic() + _JWKS_TTL_S, keys)
        return keys

    def _load(self, issuer: str) -> KeySet:
        from joserfc.jwk import KeySet

        if self._file:
            doc = fastjson.loads(Path(self._file).read_bytes())
            if issuer in doc:
                return KeySet.import_key_set(doc[issuer])
        base = issuer.rstrip("/")
        _check_fetchable(base)
        config = _fetch(f"{base}/.well-known/openid-configuration")
        uri = str(config["jwks_uri"])
        _check_fetchable(uri)
        return KeySet.import_key_set(_fetch(uri))


def _check_fetchable(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    loopback = host == "localhost" or host.endswith(".localhost")
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme != "http" or not loopback:
        raise ValueError(f"{url}: keys are fetched over HTTPS (plain HTTP only from loopback)")


def _fetch(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return fastjson.loads(answer.read())


def _forbidden() -> Response:
    return json_response(403, fastjson.dumps({"message": "Forbidden"}))


@dataclass(frozen=True, slots=True)
class _Verified:
    """What a token whose signature, issuer and audience checked out is let in with."""

    # ``exp`` and ``nbf`` (or -inf), checked against the call's time on every use.
    expires: float
    not_before: float
    scopes: frozenset[str]
    # requestContext.authorizer of the token's events: built once, shared, never changed.
    for_event: dict[str, Any]


async def _answer(response: Response) -> Response:
    return response


class JwtAuthorizer:
    """One route's JWT or Cognito check.

    A token's signature, issuer and audience are checked once: the verified token (its exact
    string) is remembered, so a repeat costs a lookup and the expiry, not-before and scope
    checks, which run on every call against the call's arrival time. Remembered tokens are
    forgotten when the issuer's keys are fetched again (a key rotation: every token is verified
    anew) and, oldest first, past ``capacity``, so tokens sent at random cannot grow memory.
    """

    def __init__(
        self,
        authorizer: Authorizer,
        api: Api,
        scopes: tuple[str, ...],
        keys: KeySets,
        capacity: int = _VERIFIED_TOKENS,
    ) -> None:
        self._issuer = authorizer.issuer
        self._audiences = frozenset(authorizer.audience)
        self._api = api
        self._needed = frozenset(scopes)
        self._keys = keys
        self._capacity = capacity
        source = authorizer.identity_sources[0] if authorizer.identity_sources else ""
        self._header = (source.rsplit(".", 1)[-1] or "Authorization").lower()
        self._keyset: KeySet | None = None
        # Insertion-ordered: the first entry is the oldest.
        self._verified: dict[str, _Verified] = {}

    @property
    def remembered(self) -> int:
        """How many verified tokens the step keeps (at most ``capacity``)."""
        return len(self._verified)

    def __call__(self, call: Call, next: Next, /) -> Awaitable[Response]:
        # A repeat of a token verified under the current keys, the common case, is answered
        # without a coroutine of this step's own (the plan allows a plain callable).
        if self._issuer is not None:
            keys = self._keys.cached(self._issuer)
            if keys is not None and keys is self._keyset:
                known = self._verified.get(self._token(call))
                if known is not None:
                    return self._admit(call, next, known)
        return self._check(call, next)

    def _token(self, call: Call) -> str:
        raw = call.request.header(self._header)
        if not raw:
            return ""
        return raw[7:].strip() if raw[:7].lower() == "bearer " else raw.strip()

    async def _check(self, call: Call, next: Next) -> Response:
        token = self._token(call)
        if not token or self._issuer is None:
            return unauthorized(self._api)
        keys = await self._keys.get(self._issuer)
        if keys is None:
            return unauthorized(self._api)
        if keys is not self._keyset:
            # New keys (the first, or fetched again): what the old ones verified is forgotten.
            self._verified.clear()
            self._keyset = keys
        known = self._verified.get(token)
        if known is None:
            known = self._verify(token, keys)
            if known is None and _unknown_key(token, keys):
                newer = await self._keys.refetch(self._issuer, keys)
                if newer is not None and newer is not keys:
                    self._verified.clear()
                    self._keyset = newer
                    known = self._verify(token, newer)
            if known is None:
                return unauthorized(self._api)
            self._remember(token, known)
        return await self._admit(call, next, known)

    def _remember(self, token: str, known: _Verified) -> None:
        if len(self._verified) >= self._capacity:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = known

    def _admit(self, call: Call, next: Next, known: _Verified) -> Awaitable[Response]:
        # The call's arrival time on the wall clock: the gateway's clock, as the event's.
        now = call.time
        if now > known.expires + _LEEWAY_S or now < known.not_before - _LEEWAY_S:
            return _answer(unauthorized(self._api))
        if not self._needed <= known.scopes:
            return _answer(_forbidden())
        call.authorizer = known.for_event
        return next(call)

    def _verify(self, token: str, keys: KeySet) -> _Verified | None:
        """The token's facts if a key of ``keys`` signed it, for this issuer and audience, with
        an ``exp``; None otherwise."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            claims = jwt.decode(token, keys, algorithms=_ALGORITHMS).claims
        except (JoseError, ValueError):
            return None
        if claims.get("iss") != self._issuer:
            return None
        given = claims.get("aud", claims.get("client_id"))
        given_list = given if isinstance(given, list) else [given]
        if self._audiences and not any(
            isinstance(one, str) and one in self._audiences for one in given_list
        ):
            return None
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float):
            return None
        granted = str(claims.get("scope", "")).split()
        return _Verified(
            float(exp),
            float(nbf) if isinstance(nbf, int | float) else -math.inf,
            frozenset(granted),
            self._for_event(claims, granted),
        )

    def _for_event(self, claims: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
        shown = {k: v if isinstance(v, str) else fastjson.dumps_text(v) for k, v in claims.items()}
        if self._api.kind is ApiKind.REST:
            return {"claims": shown}
        return {"jwt": {"claims": shown, "scopes": scopes or None}}


def _unknown_key(token: str, keys: KeySet) -> bool:
    """Whether ``token``'s header names a key id ``keys`` does not have."""
    from joserfc.errors import JoseError
    from joserfc.jws import extract_compact

    try:
        kid = extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError, TypeError):
        return False
    return isinstance(kid, str) and all(key.kid != kid for key in keys.keys)


VERIFIED = frozenset({AuthorizerType.JWT, AuthorizerType.COGNITO})
