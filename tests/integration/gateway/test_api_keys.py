"""API keys and usage plans as API Gateway applies them, with a real `lamina up`: a method that
requires a key answers 403 without one, with an unknown or disabled key, and lets a key of the
plan in (the key in the event's identity); the plan's burst is exact (3 of a burst of 6 get
through) and past its daily quota every call is 429 Limit Exceeded; the generated key is printed
at start; a method that needs no key needs none."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "keys_app" / "template.yaml"
FIXED = "lamina-test-key-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("keys") / "state").start()
    yield up
    up.stop()


def generated_key(up: LaminaUp) -> str:
    """The key SAM's usage plan made, as `lamina up` printed it (the other keys are fixed)."""
    keys = re.findall(r"API key:\s+(\S+) = (\S+)", up.log())
    (value,) = [v for name, v in keys if name not in ("fixed-key", "method-key")]
    return str(value)


def get(up: LaminaUp, path: str, key: str | None = None) -> tuple[int, Any]:
    port = up.log().split("APIs:")[1].split()[0].rsplit(":", 1)[1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if key is not None:
        request.add_header("x-api-key", key)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_keys_plans_throttles_and_quotas(server: LaminaUp) -> None:
    forbidden = (403, {"message": "Forbidden"})
    assert get(server, "/Prod/keyed") == forbidden
    assert get(server, "/Prod/keyed", "wrong") == forbidden
    assert get(server, "/Prod/keyed", "lamina-disabled-key-0123456789") == forbidden
    assert get(server, "/Prod/open")[0] == 200
    generated = generated_key(server)
    assert len(generated) == 40
    status, body = get(server, "/Prod/keyed", generated)
    assert status == 200 and body["apiKey"] == generated and body["apiKeyId"]
    # The fixed key's own bucket: a burst of 3 at 0.5/s; six calls at once let 3 through.
    statuses = [get(server, "/Prod/keyed", FIXED)[0] for _ in range(6)]
    assert statuses.count(200) == 3
    assert get(server, "/Prod/keyed", FIXED) == (429, {"message": "Too Many Requests"})


def test_a_quota_ends_with_limit_exceeded(server: LaminaUp) -> None:
    """The generated key's quota is 8 a day; it used 1 above. Calls spaced past the throttle
    would be allowed up to 8 in all; the quota is counted even when the throttle refuses."""
    answers = [get(server, "/Prod/keyed", generated_key(server)) for _ in range(12)]
    assert (429, {"message": "Limit Exceeded"}) in answers
    assert answers[-1] == (429, {"message": "Limit Exceeded"})
