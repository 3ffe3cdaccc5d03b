"""The life of one execution environment, after the zygote forked it.

``run`` never returns: it prepares the process (limits, environment, working directory, log
capture, ``sys.path``), imports the handler (the INIT phase), then serves ``wire.Invoke``
messages one at a time until the engine closes its end of the inbox. See ``wire`` for the
messages.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import io
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from lamina.runtime import faults, logsetup, sandbox, wire
from lamina.runtime.context import LambdaContext
from lamina.runtime.marshal import to_json

MAX_RESPONSE = 6_291_556
_TRACE_VARIABLE = "_X_AMZN_TRACE_ID"
_RUNTIME_FILES = (
    os.path.join("lamina", "runtime", "bootstrap.py"),
    os.path.join("lamina", "runtime", "zygote.py"),
)
Handler = Callable[[Any, LambdaContext], Any]


def run(spec: wire.Spawn, chan: wire.Channel, log_fd: int, third_party: Iterable[str]) -> NoReturn:
    code = 0
    try:
        started = time.perf_counter()
        _prepare_process(spec, log_fd, third_party)
        ids = logsetup.configure(spec.log_format, spec.log_level)
        json_logs = spec.log_format.upper() == "JSON"
        if spec.debug:
            _attach_debugger(spec.debug, chan)
        try:
            handler = load_handler(spec.handler)
        except Exception as exc:
            doc = _init_failure(exc)
            _log_failure(doc, json_logs)
            ready = wire.Ready(_ms_since(started), _max_rss_kb())
            chan.send(ready.pack(json.dumps(doc).encode(), failed=True))
            code = 1
        else:
            chan.send(wire.Ready(_ms_since(started), _max_rss_kb()).pack())
            _serve(chan, handler, ids, json_logs, spec.ensure_ascii)
    except BaseException as exc:  # SystemExit in user code ends the environment, as on Lambda
        code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 1
    finally:
        _flush()
        os._exit(code)


def _prepare_process(spec: wire.Spawn, log_fd: int, third_party: Iterable[str]) -> None:
    os.setsid()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    # Unbuffered, like Lambda's runtime: output reaches the log even if the process is killed.
    sys.stdout = _unbuffered(1)
    sys.stderr = _unbuffered(2)
    os.environ.clear()
    os.environ.update(spec.env)
    os.makedirs(spec.tmp, exist_ok=True)
    user = None
    if spec.isolate and sandbox.available:
        # As root, the function runs as another user: root-owned files outside its sandbox are
        # then not its to write, whatever their mount.
        wanted = None
        if len(spec.user) == 2 and os.geteuid() == 0:
            wanted = sandbox.own_ids() if spec.user[0] < 0 else (spec.user[0], spec.user[1])
        try:  # the zygote's probe said it works; never fatal, never silent
            # What the environment runs from stays in place, read-only, even under the host's
            # /tmp or a hidden directory: its code, packages and layers, and the interpreter
            # with its packages (a virtualenv made by mktemp; what every function imports).
            runs_from = (*spec.own, *sandbox.runtime_dirs())
            if sandbox.enter(spec.tmp, runs_from, tuple(spec.hidden), runs_from, wanted):
                user = wanted
            elif wanted is not None:
                print(
                    "lamina: this function runs as root: what it runs from is closed to other"
                    " users (make it readable by all, as Lambda requires)",
                    file=sys.stderr,
                )
        except OSError as exc:
            print(
                f"lamina: this function runs without isolation: the host refused a step ({exc})",
                file=sys.stderr,
            )
    tempfile.tempdir = None
    os.chdir(spec.cwd)
    _limit(resource.RLIMIT_NOFILE, 1024)
    _limit(resource.RLIMIT_CORE, 0)
    # Function work is batch work to the scheduler: a woken environment does not preempt the
    # event loop serving requests (which would cut its batches of replies and requests short).
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    if spec.data_limit:
        _limit(resource.RLIMIT_DATA, spec.data_limit)
    if user is not None:
        sandbox.become(user, alone=spec.user[0] < 0)
    if spec.isolate:
        sandbox.lock()
    paths = [p for p in spec.path if p]
    sys.path[:] = paths + [p for p in sys.path if p not in paths]
    _forget_shadowed(paths, third_party)
    importlib.invalidate_caches()


def _attach_debugger(debug: list[Any], chan: wire.Channel) -> None:
    """Before the handler is imported (so breakpoints in its module bind): pdb on the terminal
    for ``breakpoint()``, or debugpy listening and waiting for its client. debugpy is imported
    only here, from the directory the engine named: the runtime itself stays stdlib-only."""
    kind = debug[0]
    if kind == "pdb":
        import pdb

        # By path, not as a controlling terminal: the environment is a session of its own.
        fd = os.open(debug[1], os.O_RDWR | os.O_NOCTTY)
        terminal = io.TextIOWrapper(io.FileIO(fd, "r+"), encoding="utf-8", write_through=True)

        def hook(*_args: Any, **_kwargs: Any) -> None:
            # The engine stops the clock on this init or invocation: a person is at the prompt.
            chan.send(wire.frame(wire.PAUSED, b"[]"))
            pdb.Pdb(stdin=terminal, stdout=terminal).set_trace(sys._getframe(1))

        sys.breakpointhook = hook
        return
    _kind, host, port, library = debug
    if library and library not in sys.path:
        sys.path.append(library)
    debugpy: Any = importlib.import_module("debugpy")
    # In process: no adapter process to start inside the environment's sandbox.
    debugpy.listen((host, port), in_process_debug_adapter=True)
    print(f"debugpy: waiting for a client on {host}:{port}", file=sys.stderr)
    debugpy.wait_for_client()
    # breakpoint() stops in the attached client, as debugpy sets it.
    sys.breakpointhook = debugpy.breakpoint


def _unbuffered(fd: int) -> io.TextIOWrapper:
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", write_through=True)


def _limit(which: int, value: int) -> None:
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (value, hard))


def _forget_shadowed(paths: list[str], third_party: Iterable[str]) -> None:
    """A function that ships its own copy of a preloaded package (boto3 in its code or
    requirements) must import that copy, not the zygote's: drop the preloaded one."""
    shipped: set[str] = set()
    for path in paths:
        try:
            names = os.listdir(path)
        except OSError:
            continue
        shipped.update(n[:-3] if n.endswith(".py") else n for n in names)
    clash = shipped.intersection(third_party)
    if not clash:
        return
    for name in list(sys.modules):
        if name.partition(".")[0] in clash:
            del sys.modules[name]


def load_handler(handler: str) -> Handler:
    """Resolve ``module.function`` with Lambda's Python runtime's faults and wording."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise faults.Fault(
            faults.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}"
        ) from exc
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise faults.Fault(
            faults.BUILT_IN_MODULE_CONFLICT,
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise faults.Fault(
            faults.IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise faults.Fault(
            faults.USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{module_name}': {exc}", trace
        ) from exc
    try:
        function: Handler = getattr(module, function_name)
    except AttributeError as exc:
        raise faults.Fault(
            faults.HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'"
        ) from exc
    return function


def _init_failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, faults.Fault):
        return faults.error_document(exc.message, exc.error_type, exc.trace)
    trace = faults.user_stack_trace(exc.__traceback__, _RUNTIME_FILES)
    return faults.error_document(str(exc), type(exc).__name__, trace)


def _serve(
    chan: wire.Channel, handler: Handler, ids: logsetup.RequestIds, json_logs: bool, ascii_: bool
) -> None:
    trace = TraceVariable()
    while True:
        frame = chan.receive()
        if frame is None:
            return
        invoke = wire.Invoke.unpack(frame.header)
        ids.request_id = invoke.request_id
        trace.set(invoke.trace_id)
        started = time.perf_counter()
        failed, body = _invoke(handler, invoke, frame.body, ascii_)
        if failed:
            _log_failure(json.loads(body), json_logs)
        _flush()
        result = wire.Result(invoke.request_id, _ms_since(started), _max_rss_kb())
        chan.send(result.pack(body, failed))


class TraceVariable:
    """``_X_AMZN_TRACE_ID``, set for each invocation in ``os.environ`` and in the process's C
    environment (what subprocesses and native code see), as Lambda's runtime sets it.

    ``os.environ[...] = value`` would leak: glibc's ``setenv`` keeps every distinct string it
    was ever given, and each invocation brings a new trace id (about 110 bytes an invocation,
    until a long-lived environment runs out of memory). Here one buffer is rewritten in place
    and handed to ``putenv``, which keeps the pointer and allocates nothing; it is handed again
    only when something else changed the variable since.
    """

    _PREFIX = (_TRACE_VARIABLE + "=").encode()
    _KEY = _TRACE_VARIABLE.encode()
    _CAPACITY = 4096

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._putenv = libc.putenv
        self._putenv.argtypes = [ctypes.c_char_p]
        self._buffer = ctypes.create_string_buffer(self._PREFIX, self._CAPACITY)
        self._view = memoryview(self._buffer).cast("B")
        self._mapping: dict[bytes, bytes] = os.environ._data  # type: ignore[attr-defined]
        # The value os.environ's mapping held when the buffer was last put in the environment.
        self._put: bytes | None = None

    def set(self, value: str | None) -> None:
        raw = value.encode() if value else b""
        start = len(self._PREFIX)
        if not raw or b"\0" in raw or start + len(raw) >= self._CAPACITY:
            os.environ.pop(_TRACE_VARIABLE, None)
            self._put = None
            if raw and b"\0" not in raw:  # too long for the buffer: the leaking way, rarely
                os.environ[_TRACE_VARIABLE] = value  # type: ignore[assignment]
            return
        end = start + len(raw)
        self._view[start:end] = raw
        self._view[end] = 0
        mapping = self._mapping
        if self._put is None or mapping.get(self._KEY) is not self._put:
            self._putenv(self._buffer)  # first time, or user code set or removed it meanwhile
        mapping[self._KEY] = self._put = raw


def _invoke(
    handler: Handler, invoke: wire.Invoke, payload: bytes, ascii_: bool
) -> tuple[bool, bytes]:
    """(failed, the result or the error document)."""
    request_id = invoke.request_id
    try:
        try:
            event = wire.loads(payload)
        except ValueError as exc:
            raise faults.Fault(faults.UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from exc
        # Most invocations carry neither header: no call for them.
        client_context, identity = invoke.client_context, invoke.identity
        context = LambdaContext(
            request_id,
            invoke.deadline_ms,
            invoke.arn,
            _json_header(client_context, "Client Context") if client_context else None,
            _json_header(identity, "Cognito Identity") if identity else None,
            invoke.tenant_id,
        )
        result = handler(event, context)
        if isinstance(result, bytes):
            body = result
        else:
            try:
                body = to_json(result, ensure_ascii=ascii_).encode()
            except (TypeError, ValueError, OverflowError) as exc:
                raise faults.Fault(
                    faults.MARSHAL_ERROR, f"Unable to marshal response: {exc}"
                ) from exc
        if len(body) > MAX_RESPONSE:
            raise faults.Fault(
                faults.RESPONSE_TOO_LARGE,
                f"Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE} bytes).",
            )
        return False, body
    except faults.Fault as fault:
        doc = faults.error_document(fault.message, fault.error_type, fault.trace, request_id)
    except Exception as exc:
        trace = faults.user_stack_trace(exc.__traceback__, _RUNTIME_FILES)
        doc = faults.error_document(str(exc), type(exc).__name__, trace, request_id)
    return True, json.dumps(doc).encode()


def _json_header(raw: str | None, name: str) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise faults.Fault(
            faults.CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {exc}"
        ) from exc
    return value if isinstance(value, dict) else None


def _log_failure(doc: dict[str, Any], json_logs: bool) -> None:
    if json_logs:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        sys.stdout.write(json.dumps({"timestamp": stamp, "level": "ERROR", **doc}) + "\n")
    else:
        sys.stdout.write(faults.text_log_lines(doc))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (suppress() builds a context manager per call, twice per invocation)
            stream.flush()
        except (OSError, ValueError):
            pass


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
