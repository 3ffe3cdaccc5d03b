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
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamina import fastjson
from lamina.clock import SYSTEM
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
_LEEWAY_S = 0
# Verified tokens remembered per authorizer (all forgotten at once past this many).
_VERIFIED_TOKENS = 4096
_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]


class KeySets:
    """JWKS by issuer: from ``LAMINA_JWKS``'s file, else fetched (off the loop) and cached."""

    def __init__(self, file: str | None = None) -> None:
        self._file = file if file is not None else os.environ.get("LAMINA_JWKS")
        self._cache: dict[str, tuple[float, KeySet]] = {}

    async def get(self, issuer: str) -> KeySet | None:
        from joserfc.errors import JoseError

        found = self._cache.get(issuer)
        if found is not None and time.monotonic() < found[0]:
            return found[1]
        try:
            keys = await asyncio.to_thread(self._load, issuer)
        except (OSError, ValueError, KeyError, JoseError) as exc:
            log.warning("JWT authorizer: no keys for issuer %s: %s", issuer, exc)
            return None
        self._cache[issuer] = (time.monotonic() + _JWKS_TTL_S, keys)
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


class JwtAuthorizer:
    def __init__(
        self, authorizer: Authorizer, api: Api, scopes: tuple[str, ...], keys: KeySets
    ) -> None:
        self._authorizer = authorizer
        self._api = api
        self._scopes = scopes
        self._keys = keys
        source = authorizer.identity_sources[0] if authorizer.identity_sources else ""
        self._header = source.rsplit(".", 1)[-1] or "Authorization"
        # Tokens whose signature checked out, with the key set that checked it and their
        # claims: a signature is verified once per token (RSA costs more than the rest of the
        # route), while expiry, audience and scopes are checked on every call.
        self._verified: dict[str, tuple[KeySet, dict[str, Any]]] = {}

    async def __call__(self, call: Call, next: Next, /) -> Response:
        from joserfc import jwt
        from joserfc.errors import JoseError

        raw = call.request.header(self._header)
        if not raw:
            return unauthorized(self._api)
        token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw.strip()
        issuer = self._authorizer.issuer
        if not issuer:
            return unauthorized(self._api)
        keys = await self._keys.get(issuer)
        if keys is None:
            return unauthorized(self._api)
        known = self._verified.get(token)
        if known is not None and known[0] is keys:
            claims = known[1]
        else:
            try:
                claims = jwt.decode(token, keys, algorithms=_ALGORITHMS).claims
            except (JoseError, ValueError):
                return unauthorized(self._api)
            if len(self._verified) >= _VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[token] = (keys, claims)
        if not self._valid(claims):
            return unauthorized(self._api)
        granted = str(claims.get("scope", "")).split()
        if self._scopes and not set(self._scopes) <= set(granted):
            return _forbidden()
        call.authorizer = self._for_event(claims, granted)
        return await next(call)

    def _valid(self, claims: dict[str, Any]) -> bool:
        now = SYSTEM.wall()
        if claims.get("iss") != self._authorizer.issuer:
            return False
        audiences = set(self._authorizer.audience)
        given = claims.get("aud", claims.get("client_id"))
        given_set = set(given) if isinstance(given, list) else {given}
        if audiences and not audiences & given_set:
            return False
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float) or now > exp + _LEEWAY_S:
            return False
        return not (isinstance(nbf, int | float) and now < nbf - _LEEWAY_S)

    def _for_event(self, claims: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
        shown = {k: v if isinstance(v, str) else fastjson.dumps_text(v) for k, v in claims.items()}
        if self._api.kind is ApiKind.REST:
            return {"claims": shown}
        return {"jwt": {"claims": shown, "scopes": scopes or None}}


VERIFIED = frozenset({AuthorizerType.JWT, AuthorizerType.COGNITO})
