"""What a new execution environment starts with: variables, paths, limits, working directory."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from lamina import timestamps
from lamina.model.specs import FunctionSpec
from lamina.runtime import wire
from lamina.settings import Settings

MIB = 1024 * 1024
_PY = f"python{sys.version_info.major}.{sys.version_info.minor}"
# Lambda's PATH, after the directory of the interpreter that actually runs the function.
_PATH = ":".join(
    [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin", "/opt/bin"]
)
_RUNTIME_DIR = str(Path(__file__).resolve().parent.parent / "runtime")
# Data-segment backstop beyond MemorySize: thread stacks and lazily touched arenas count as data
# but not as resident memory, so the real limit is the resident-set watchdog, not this.
_DATA_SLACK = 1024 * MIB


def layer_paths(fn: FunctionSpec) -> list[str]:
    """Layer directories in the order Python should search them: Lambda extracts layers into
    /opt in order, so a later layer's files win."""
    paths: list[str] = []
    for layer in reversed(fn.layers):
        base = layer.content_dir / "python"
        paths += [str(base / "lib" / _PY / "site-packages"), str(base)]
    return paths


def code_dir(fn: FunctionSpec) -> Path:
    if fn.code_dir is None:
        raise ValueError(f"{fn.logical_id} has no code directory (was the stack prepared?)")
    return fn.code_dir


def log_stream(fn: FunctionSpec, env_id: str, now: float) -> str:
    """The environment's log stream, named as Lambda names it: ``YYYY/MM/DD/[VERSION]id``."""
    return f"{timestamps.day_path(now)}/[{fn.version}]{env_id}"


def environment_variables(
    fn: FunctionSpec, settings: Settings, init_type: str, tmp: Path, stream: str
) -> dict[str, str]:
    """Lamina's additions, then the template's variables, then Lambda's reserved ones (which a
    template cannot override on Lambda either)."""
    task_root = str(code_dir(fn))
    variables: dict[str, str] = {"TMPDIR": str(tmp)}
    if settings.services_endpoint:
        variables["AWS_ENDPOINT_URL"] = settings.services_endpoint
    for service, url in settings.endpoints.items():
        variables[f"AWS_ENDPOINT_URL_{service.upper()}"] = url
    if settings.xray_daemon_address:
        host, _, port = settings.xray_daemon_address.rpartition(":")
        variables.update(
            {
                "AWS_XRAY_DAEMON_ADDRESS": settings.xray_daemon_address,
                "_AWS_XRAY_DAEMON_ADDRESS": host,
                "_AWS_XRAY_DAEMON_PORT": port,
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            }
        )
    variables.update(fn.environment)
    lib_dirs = [f"{task_root}/lib"] + [str(layer.content_dir / "lib") for layer in fn.layers]
    inherited_ld = os.environ.get("LD_LIBRARY_PATH")
    variables.update(
        {
            "_HANDLER": fn.handler,
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_ACCESS_KEY_ID": settings.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.secret_access_key,
            "AWS_SESSION_TOKEN": "lamina",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": _RUNTIME_DIR,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": _PATH,
            "LD_LIBRARY_PATH": ":".join(lib_dirs + ([inherited_ld] if inherited_ld else [])),
        }
    )
    if fn.logging.log_format.upper() == "JSON":
        variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        variables["AWS_LAMBDA_LOG_LEVEL"] = (fn.logging.application_log_level or "INFO").upper()
    return variables


@functools.lru_cache(maxsize=4096)
def _real(path: str) -> str:
    """``path`` resolved, once per path: environments compare and mount resolved paths, and
    resolving them on each cold start cost a third of a millisecond."""
    return os.path.realpath(path)


def own_dirs(fn: FunctionSpec) -> list[str]:
    """The directories ``fn`` runs from (code, packages, layers), resolved."""
    dirs = [d for d in (fn.code_dir, fn.dependencies_dir) if d is not None]
    dirs += [layer.content_dir for layer in fn.layers]
    return [_real(str(d)) for d in dirs]


def function_dirs(functions: Iterable[FunctionSpec]) -> tuple[str, ...]:
    """Every directory the ``functions`` run from: what an environment must not see of the
    others'."""
    return tuple(sorted({d for fn in functions for d in own_dirs(fn)}))


def spawn_spec(
    fn: FunctionSpec,
    settings: Settings,
    env_id: str,
    init_type: str,
    base_data_bytes: int,
    stream: str,
    others: Sequence[str] = (),
) -> wire.Spawn:
    """What the zygote hands to ``runtime.bootstrap.run`` (``ref`` is the zygote client's).
    ``others``: the directories of every deployed function (``function_dirs``), hidden from
    this one but for its own."""
    tmp = Path(_real(str(settings.state_dir))) / "envs" / env_id / "tmp"
    root = code_dir(fn)
    paths = [str(root)]
    if fn.dependencies_dir is not None:
        paths.append(str(fn.dependencies_dir))
    paths += layer_paths(fn)
    json_logs = fn.logging.log_format.upper() == "JSON"
    return wire.Spawn(
        ref=0,
        env=environment_variables(fn, settings, init_type, tmp, stream),
        cwd=str(root),
        path=paths,
        handler=fn.handler,
        tmp=str(tmp),
        log_format="JSON" if json_logs else "Text",
        log_level=(fn.logging.application_log_level or "INFO") if json_logs else "",
        data_limit=base_data_bytes + fn.memory_mb * MIB + _DATA_SLACK,
        # Lambda's runtime escapes non-ASCII in results on every version but python3.12.
        ensure_ascii=fn.runtime != "python3.12",
        hidden=[
            _real(str(settings.state_dir)),
            *([_real(str(settings.project_dir))] if settings.project_dir else []),
            *others,
        ],
        own=own_dirs(fn),
        isolate=settings.isolation,
        memory_limit=fn.memory_mb * MIB,
        debug=_debug(fn, settings),
        # (Under pdb, the environment opens the terminal, which is the user's, not the uid's.)
        user=[] if _applies(fn, settings) else function_user(settings.function_user),
    )


def function_user(setting: str) -> list[int]:
    """``Settings.function_user`` as ``wire.Spawn.user``: "" -> [-1, -1] (ids of the
    environment's own), ``UID[:GID]`` -> [uid, gid] (the gid defaults to the uid), "root" or
    "0" -> [] (root's)."""
    uid, _, gid = setting.strip().partition(":")
    if not uid:
        return [-1, -1]
    if uid in ("0", "root"):
        return []
    return [int(uid), int(gid or uid)]


def debugged(fn: FunctionSpec, settings: Settings) -> bool:
    """``fn`` runs under debugpy: its timeout is not enforced (under pdb, it stops only once
    ``breakpoint()`` is reached: the environment says so with ``wire.PAUSED``)."""
    debugger = settings.debugger
    return (
        debugger is not None
        and debugger.kind == "debugpy"
        and debugger.applies_to(fn.logical_id, fn.name)
    )


def _applies(fn: FunctionSpec, settings: Settings) -> bool:
    debugger = settings.debugger
    return debugger is not None and debugger.applies_to(fn.logical_id, fn.name)


def _debug(fn: FunctionSpec, settings: Settings) -> list[str | int]:
    debugger = settings.debugger
    if debugger is None or not _applies(fn, settings):
        return []
    if debugger.kind == "pdb":
        return ["pdb", debugger.tty]
    return ["debugpy", debugger.host, debugger.port, debugger.library]
