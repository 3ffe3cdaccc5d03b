"""Settings: one immutable value built at the edge (CLI flags, ``LAMINA_*`` variables).

Core code receives a ``Settings``; nothing below the CLI reads ``os.environ`` for configuration.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True, slots=True)
class Debugger:
    """A function run under a debugger (``lamina up --debug``, ``lamina invoke --debug``).

    ``kind`` is ``debugpy`` (its environment listens on ``host:port`` and waits for a client
    before importing the handler; ``library`` is the directory debugpy is imported from) or
    ``pdb`` (``breakpoint()`` opens pdb on the terminal device ``tty``). The function's timeout
    is not enforced under debugpy, and under pdb from the first prompt on: a person stepping
    through it is not a hung function.
    """

    function: str
    kind: str = "debugpy"
    host: str = "127.0.0.1"
    port: int = 5678
    library: str = ""
    tty: str = ""

    def applies_to(self, logical_id: str, name: str) -> bool:
        return self.function in (logical_id, name)


@dataclass(frozen=True, slots=True)
class Settings:
    state_dir: Path
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    # Lambda's default account limit; a setting so a laptop can be gentler.
    account_concurrency: int = 1000
    # How long an idle environment stays warm before it is reaped.
    keep_alive_s: float = 300.0
    # Lamina's own AWS endpoint, handed to every function as AWS_ENDPOINT_URL.
    services_endpoint: str | None = "http://127.0.0.1:4566"
    # Per-service real backends (service id -> URL), handed over as AWS_ENDPOINT_URL_<SERVICE>.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # The interpreter that runs Python functions (the zygote's).
    python: str = sys.executable
    # Modules the zygote imports once so that every fork starts with them loaded.
    preload: tuple[str, ...] = ("boto3",)
    # Where `lamina up` listens: the template's APIs, and the AWS endpoint.
    host: str = "127.0.0.1"
    port: int = 3000
    services_port: int = 4566
    # Waits before the retries of a failed asynchronous invocation: Lambda's are about 1, then 2
    # minutes. A setting so tests (and impatient developers) can shrink them.
    async_retry_delays_s: tuple[float, ...] = (60.0, 120.0)
    # How many queued asynchronous invocations run at once (each in its own environment).
    async_concurrency: int = 16
    # Environments that may live at once; 0: as many as open files and memory allow.
    max_environments: int = 0
    # Seconds a client has to send a request's headers, and an idle keep-alive connection lives.
    header_timeout_s: float = 30.0
    idle_timeout_s: float = 75.0
    # The key pair functions get (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY): `lamina up` puts the
    # state directory's here, so that the AWS endpoint accepts what functions sign.
    access_key_id: str = "lamina"
    secret_access_key: str = "lamina"
    # Key pairs the AWS endpoint accepts besides the state directory's: "KEYID:SECRET,...".
    credentials: str = ""
    # Accept any signature, or none, on the AWS endpoint (LocalStack's behaviour): a warning.
    accept_any_credentials: bool = False
    # Browser origins allowed to call the AWS endpoint besides its own.
    allowed_origins: tuple[str, ...] = ()
    # Schedules' clock runs this many times faster than the wall clock (tests, demos).
    clock_rate: float = 1.0
    # A schedule that fell due while Lamina was stopped runs once at start (else it is skipped).
    schedule_catch_up: bool = False
    # Step Functions logs each execution's transitions, one line each (LAMINA_TRACE_EXECUTIONS).
    trace_executions: bool = False
    # A JSON file of values for dynamic references Lamina's own stores do not hold.
    dynamic_values: str = ""
    # Set environments apart (namespaces, read-only code, memory cgroups, no privileges); off
    # only to compare (the engine benchmark) or to debug a function from outside.
    isolation: bool = True
    # Measure invocations and API requests (AWS/Lambda, AWS/ApiGateway: CloudWatch, /metrics);
    # off only to compare (benchmarks/gateway.py --metrics).
    metrics: bool = True
    # Record X-Ray segments for the gateway's and Lambda's hops of sampled traces; off only to
    # compare (benchmarks/gateway.py --metrics turns both off).
    tracing: bool = True
    # Traces the gateway starts: the first TRACE_RESERVOIR requests each second, then
    # TRACE_RATE of the rest (X-Ray's default rule: 1 and 0.05).
    trace_reservoir: int = 10
    trace_rate: float = 0.05
    # A collector's OTLP/HTTP base URL (LAMINA_OTLP_ENDPOINT, else the standard
    # OTEL_EXPORTER_OTLP_ENDPOINT): every X-Ray segment is sent there as spans too.
    otlp_endpoint: str = ""
    # The template's directory: hidden from functions but for their own code (as on Lambda,
    # where a function's package holds its CodeUri alone).
    project_dir: Path | None = None
    # The X-Ray daemon's UDP port on 127.0.0.1 (0: any free one); where it really listens is
    # handed to functions as AWS_XRAY_DAEMON_ADDRESS.
    xray_daemon_port: int = 0
    xray_daemon_address: str = ""
    # Who isolated functions run as when Lamina runs as root: "" for user and group ids of each
    # environment's own (no other process has them, as each Lambda sandbox is alone), UID[:GID]
    # for those ids (shared by every environment), "root" for root's id without its privileges.
    function_user: str = ""
    # Log each event-loop callback of `lamina up` that takes more than this many milliseconds
    # of the loop thread's CPU time (0: off; observe/loopwatch.py).
    loop_watch_ms: float = 0.0
    # API Gateway's account-level throttle over every API route: requests a second and burst.
    account_throttle_rate: float = 10_000.0
    account_throttle_burst: int = 5_000
    # The function run under a debugger, if any (set by CLI flags only).
    debugger: Debugger | None = None

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls, state_dir: Path, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        """Settings from ``LAMINA_<FIELD>`` variables, then explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"LAMINA_{f.name.upper()}")
            if raw is None or f.name in ("state_dir", "endpoints", "project_dir", "debugger"):
                continue
            if f.name in (
                "account_concurrency",
                "port",
                "services_port",
                "async_concurrency",
                "max_environments",
                "xray_daemon_port",
                "trace_reservoir",
                "account_throttle_burst",
            ):
                values[f.name] = int(raw)
            elif f.name in (
                "keep_alive_s",
                "header_timeout_s",
                "idle_timeout_s",
                "clock_rate",
                "loop_watch_ms",
                "trace_rate",
                "account_throttle_rate",
            ):
                values[f.name] = float(raw)
            elif f.name in ("isolation", "metrics", "tracing"):
                values[f.name] = raw.strip().lower() not in ("0", "false", "no", "off")
            elif f.name in ("accept_any_credentials", "schedule_catch_up", "trace_executions"):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif f.name in ("preload", "allowed_origins"):
                values[f.name] = tuple(p.strip() for p in raw.split(",") if p.strip())
            elif f.name == "async_retry_delays_s":
                values[f.name] = tuple(float(p) for p in raw.split(",") if p.strip())
            else:
                values[f.name] = raw
        if "otlp_endpoint" not in values and env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            values["otlp_endpoint"] = env["OTEL_EXPORTER_OTLP_ENDPOINT"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(state_dir=state_dir, **values)
