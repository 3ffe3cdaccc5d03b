"""The AWS endpoint's door: which requests are let in at all, before any service sees them.

Three checks, in order, each answering in the protocol the client spoke:
1. ``Host`` names an address Lamina listens on (``localhost``, ``127.0.0.1``, ``[::1]``, the
   configured host, or a ``*.localhost`` name): a web page whose own name was rebound to
   127.0.0.1 sends its own name and is refused.
2. ``Origin``, when a browser sends one, is one Lamina serves (the endpoint's own, for the
   console), one the user allowed, or one the addressed resource's own configuration names (an
   S3 bucket's CORS rules: ``origin_allowed``): a page elsewhere gets 403 and no CORS headers.
3. The request carries a valid SigV4 signature by a key pair Lamina knows
   (``lamina.net.sigv4``; S3's legacy presigned URLs: ``sigv2``; a browser form's
   signed POST policy: ``forms``), unless the user
   chose to accept any (``accept_any``), as LocalStack does. Lamina's own routes
   (``/_lamina/...``) need no signature: they run no code. Nor does an unsigned ``GET /metrics``
   (Prometheus text): a scraper cannot sign, it is read-only, and checks 1 and 2 still apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lamina.clock import SYSTEM, Clock
from lamina.errors import AwsError
from lamina.net import sigv4
from lamina.net.messages import Request
from lamina.services.auth import forms, sigv2
from lamina.services.auth.refusals import error_for

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
OWN_PREFIX = "/_lamina/"
METRICS_PATH = "/metrics"


class Forbidden(AwsError):
    code = "AccessDeniedException"
    status = 403


@dataclass(frozen=True, slots=True)
class Turned:
    """Why a request was turned away; ``error(protocol)`` is the error to answer it with, once
    the endpoint knows which protocol the client spoke."""

    forbidden: Forbidden | None = None
    refusal: sigv4.Refusal | None = None

    def error(self, protocol: str) -> AwsError:
        if self.refusal is not None:
            return error_for(self.refusal, protocol)
        assert self.forbidden is not None
        return self.forbidden


@dataclass(frozen=True, slots=True)
class Door:
    """What the endpoint admits: the key pairs (id -> secret), its own host names, the origins a
    browser may call it from, and whether any signature (or none) is accepted."""

    secrets: Mapping[str, str]
    hosts: frozenset[str] = _LOOPBACK_NAMES
    origins: frozenset[str] = field(default_factory=frozenset)
    accept_any: bool = False
    clock: Clock = SYSTEM

    @classmethod
    def build(
        cls,
        secrets: Mapping[str, str],
        host: str,
        port: int,
        origins: Iterable[str] = (),
        accept_any: bool = False,
    ) -> Door:
        hosts = set(_LOOPBACK_NAMES)
        if host not in ("0.0.0.0", "::", ""):
            hosts.add(host.lower())
        own = {f"http://{name}:{port}" for name in hosts if name != "::1"}
        return cls(dict(secrets), frozenset(hosts), frozenset(own | set(origins)), accept_any)

    def refuse(
        self, request: Request, now: float | None = None, origin_allowed: bool = False
    ) -> Turned | None:
        """None when the request may go in; otherwise why it may not."""
        turned = self.refuse_host(request)
        if turned is not None:
            return turned
        origin = request.header("origin")
        if origin is not None and origin not in self.origins and not origin_allowed:
            return Turned(
                Forbidden(f"Origin '{origin}' is not allowed to call Lamina's AWS endpoint.")
            )
        if self.accept_any or request.path.startswith(OWN_PREFIX) or scrape(request):
            return None
        try:
            at = self.clock.wall() if now is None else now
            if request.header("authorization") is None and sigv2.is_presigned(request):
                sigv2.verify(request, self.secrets, at)  # S3's legacy presigned URLs
            elif forms.is_form(request):
                forms.verify(forms.read(request), self.secrets)  # S3's POST policy uploads
            else:
                sigv4.verify(request, self.secrets, at)
        except sigv4.Refusal as refusal:
            return Turned(refusal=refusal)
        return None

    def refuse_host(self, request: Request) -> Turned | None:
        """The first check alone (a CORS preflight needs no more: it runs nothing)."""
        name = host_name(request.header("host") or "")
        if name not in self.hosts and not name.endswith(".localhost"):
            return Turned(
                Forbidden(
                    f"Lamina's AWS endpoint does not answer for host '{name}': only for "
                    "localhost, 127.0.0.1, [::1], *.localhost and the address it listens on."
                )
            )
        return None


def scrape(request: Request) -> bool:
    """An unsigned ``GET /metrics``: a Prometheus scraper's (a signed one is S3's, for a bucket
    named ``metrics``)."""
    return (
        request.path == METRICS_PATH
        and request.method == "GET"
        and request.header("authorization") is None
        and "X-Amz-" not in request.query
    )


def host_name(host: str) -> str:
    """A ``Host`` header's name without its port, lower-cased (``[::1]`` keeps its brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host
