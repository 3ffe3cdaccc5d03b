"""The zygote: one warm interpreter that forks execution environments.

Started by the engine as ``python -m lamina.runtime.zygote FD PRELOAD`` with FD one end of a
SOCK_SEQPACKET socket pair. It imports the runtime and the heavy common modules once (boto3 with
the service models Lamina serves), freezes the heap so forked children share it copy-on-write,
finds out which of ``runtime.sandbox``'s protections and memory cgroups (``runtime.cgroups``)
this host allows, says READY (``wire.ZygoteReady``, with the protections missing), then serves
``wire.Spawn`` requests: each carries an environment's spec plus three file descriptors (its
inbox and outbox pipes, and its log pipe), and is answered by ``wire.Spawned`` with the pid. It
reaps its children and reports each exit as ``wire.Exited`` (``status`` is the exit code, or
minus the signal number). When the engine's end closes, the zygote kills every child, removes
their cgroups and exits.

When not root, the zygote first makes a user namespace and a PID namespace of its own, whose
first process it is (``sandbox.own_namespaces``; the process the engine started waits for it):
there it may give each environment a PID namespace of its own (``sandbox.fork``). It then
reports pids as the host knows them (``sandbox.host_pid``); its environments die with it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import selectors
import signal
import site
import socket
import sys
import sysconfig

from lamina.runtime import bootstrap, cgroups, sandbox, wire

# The services Lamina serves: a client created at import in user code then finds its model loaded.
_WARM_SERVICES = ("dynamodb", "sqs", "s3", "sns", "events", "lambda", "stepfunctions")


def _preload(names: list[str]) -> None:
    for name in names:
        try:
            __import__(name)
        except Exception as exc:  # a missing optional module only costs speed
            print(f"lamina zygote: could not preload {name}: {exc}", file=sys.stderr)
    if "boto3" in sys.modules:
        _warm_boto3()


def _warm_boto3() -> None:
    import boto3

    # The default session persists into every child; its loader caches the parsed models.
    session = boto3.Session()
    boto3.DEFAULT_SESSION = session
    for service in _WARM_SERVICES:
        try:
            session.client(
                service,
                region_name="us-east-1",
                aws_access_key_id="warm",
                aws_secret_access_key="warm",
                endpoint_url="http://127.0.0.1:1",
            )
        except Exception as exc:
            print(f"lamina zygote: could not warm {service}: {exc}", file=sys.stderr)


def _third_party_modules() -> frozenset[str]:
    """Top-level names of preloaded modules that live outside the standard library."""
    paths = sysconfig.get_paths()
    stdlib = (paths["stdlib"], paths["platstdlib"])
    # site-packages sits inside stdlib's directory; a venv made with --system-site-packages
    # also imports from the base interpreter's, which is not this venv's purelib.
    installed = (paths["purelib"], paths["platlib"], *site.getsitepackages())
    names = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if (
            path
            and "." not in name
            and (
                path.startswith(installed)
                or not path.startswith(stdlib)
                # Packages reached through a .pth file (another environment's site-packages, which
                # may sit inside the base interpreter's stdlib directory) are installed ones too.
                or "/site-packages/" in path
                or "/dist-packages/" in path
            )
        ):
            names.add(name)
    names.discard("lamina")
    return frozenset(names)


class Zygote:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.children: set[int] = set()
        self.host_pids: dict[int, int] = {}
        self.memory: cgroups.Memory | None = None
        self.third_party = _third_party_modules()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)

    def serve(self) -> None:
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the engine's to handle
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ, "control")
        selector.register(self._wake_r, selectors.EVENT_READ, "signal")
        missing = sandbox.probe()
        self.memory, refused = cgroups.Memory.open()
        if self.memory is not None:
            self.memory.start()
        if refused:
            missing.append(f"memory cgroups (MemorySize is watched, not enforced): {refused}")
        self._send(wire.ZygoteReady(sandbox.host_pid(os.getpid()), missing).pack())
        while True:
            for key, _ in selector.select():
                if key.data == "signal":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    self._reap()
                elif not self._on_control():
                    self._shutdown()
                    return

    def _on_control(self) -> bool:
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.control, 1 << 20, 4)
        except InterruptedError:
            return True
        except ConnectionResetError:
            return False  # Lamina went away without closing (killed, or Ctrl+C): shut down
        if not data:
            return False
        frame = wire.decode(data)
        if frame.kind == wire.SPAWN:
            self._spawn(wire.Spawn.unpack(frame.header), fds)
        else:
            for fd in fds:
                os.close(fd)
        return True

    def _spawn(self, spec: wire.Spawn, fds: list[int]) -> None:
        inbox, outbox, log_fd = fds
        cgroup = ""
        if spec.isolate and self.memory is not None and spec.memory_limit:
            with contextlib.suppress(OSError):  # a protection less, never a failed start
                cgroup = self.memory.take(spec.memory_limit)
        pid = sandbox.fork() if spec.isolate else os.fork()
        if pid == 0:
            self._become_child()
            bootstrap.run(spec, wire.Channel(inbox, outbox), log_fd, self.third_party)
        for fd in fds:
            os.close(fd)
        self.children.add(pid)
        # The engine knows environments by their pids on the host (pidfds, /proc).
        self.host_pids[pid] = sandbox.host_pid(pid)
        if cgroup and self.memory is not None:
            self.memory.attach(pid, cgroup)
        self._send(wire.Spawned(spec.ref, self.host_pids[pid]).pack())
        if cgroup and self.memory is not None:
            self.memory.prepare(spec.memory_limit)  # the next one's, while this one starts

    def _become_child(self) -> None:
        if self.memory is not None:
            # The cgroup helper's pipe: an environment writing to it could move any process.
            os.close(self.memory.requests)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.control.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            oom = self.memory.release(pid) if self.memory is not None else False
            self._send(wire.Exited(self.host_pids.pop(pid, pid), code, oom).pack())

    def _send(self, message: bytes) -> None:
        # If the engine is gone the send fails; the control loop sees EOF next.
        with contextlib.suppress(OSError):
            self.control.send(message)

    def _shutdown(self) -> None:
        for pid in self.children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        if self.memory is not None:
            # A cgroup can be removed once its process is reaped.
            for pid in self.children:
                with contextlib.suppress(OSError):
                    os.waitpid(pid, 0)
            self.memory.close()


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    preload = [name for name in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if name]
    # Before any import can start a thread (a process with threads cannot enter a user namespace).
    sandbox.own_namespaces(close=(control.fileno(),))
    # The engine's working directory is not part of any function's code.
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", cwd)]
    _preload(preload)
    gc.collect()
    # Objects that exist now are never collected: children sharing them stay copy-on-write.
    gc.freeze()
    Zygote(control).serve()


if __name__ == "__main__":
    main()
