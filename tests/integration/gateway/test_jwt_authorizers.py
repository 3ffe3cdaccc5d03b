"""JWT authorizers guard HTTP API routes as API Gateway's do, with a real `lamina up` and a local
identity provider (plain HTTP on loopback, as local providers serve): the issuer's keys found
through its openid-configuration, a valid token lets the call in with its claims and scopes in
the event; a missing, expired, tampered or wrongly addressed token is 401; a token without the
route's scope is 403."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow
APP = Path(__file__).parent / "jwt_app"
KEY = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
OTHER = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})


class Provider(http.server.BaseHTTPRequestHandler):
    issuer = ""

    def do_GET(self) -> None:
        if self.path == "/.well-known/openid-configuration":
            body = {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
        elif self.path == "/jwks":
            body = {"keys": [KEY.as_dict(private=False)]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    Provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Provider.issuer
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(issuer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    root = tmp_path_factory.mktemp("jwt")
    app = root / "app"
    shutil.copytree(APP, app)
    template = (app / "template.yaml").read_text()
    (app / "template.yaml").write_text(
        template.replace("    Type: String\n", f"    Type: String\n    Default: {issuer}\n", 1)
    )
    up = LaminaUp(app / "template.yaml", root / "state").start()
    yield up
    up.stop()


def token(issuer: str, key: RSAKey = KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": "lamina-app", "sub": "user-1", "exp": now + 300, "scope": "read"}
    body.update(claims)
    return jwt.encode({"alg": "RS256", "kid": "k1"}, body, key)


def get(up: LaminaUp, path: str, bearer: str | None) -> tuple[int, Any]:
    port = up.log().split("APIs:")[1].split()[0].rsplit(":", 1)[1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_valid_token_lets_the_call_in_with_its_claims(server: LaminaUp, issuer: str) -> None:
    status, body = get(server, "/read", token(issuer))
    assert status == 200
    jwt_block = body["authorizer"]["jwt"]
    assert jwt_block["claims"]["sub"] == "user-1" and jwt_block["claims"]["iss"] == issuer
    assert jwt_block["scopes"] == ["read"]


def test_bad_tokens_are_401(server: LaminaUp, issuer: str) -> None:
    unauthorized = (401, {"message": "Unauthorized"})
    assert get(server, "/read", None) == unauthorized
    assert get(server, "/read", token(issuer, exp=int(time.time()) - 10)) == unauthorized
    assert get(server, "/read", token(issuer, key=OTHER)) == unauthorized  # not the issuer's key
    assert get(server, "/read", token(issuer, aud="someone-else")) == unauthorized
    assert get(server, "/read", token("http://127.0.0.1:1/other")) == unauthorized
    assert get(server, "/read", "not.a.jwt") == unauthorized


def test_a_missing_scope_is_403(server: LaminaUp, issuer: str) -> None:
    assert get(server, "/read", token(issuer, scope="write")) == (403, {"message": "Forbidden"})
    assert get(server, "/any", token(issuer, scope="write"))[0] == 200


def test_a_repeated_token_gets_in_and_a_copy_with_other_claims_does_not(
    server: LaminaUp, issuer: str
) -> None:
    """A token the gateway verified and remembers lets each repeat in with its claims; its
    signature over other claims (a later expiry) is 401 after it, and the original still gets in."""
    genuine = token(issuer, sub="user-2")
    for _ in range(3):
        status, body = get(server, "/read", genuine)
        assert (status, body["authorizer"]["jwt"]["claims"]["sub"]) == (200, "user-2")
    header, _, signature = genuine.split(".")
    longer = token(issuer, sub="user-2", exp=int(time.time()) + 3600).split(".")[1]
    assert get(server, "/read", f"{header}.{longer}.{signature}") == (
        401,
        {"message": "Unauthorized"},
    )
    assert get(server, "/read", genuine)[0] == 200
