"""Isolation needs no privilege: what a zygote started by an ordinary user does, tried as one.

The suite usually runs as root here, where the zygote takes the privileged path. This test
forks a process that becomes an unprivileged user (uid 65534) and then does what such a zygote
does (``sandbox.own_namespaces``, ``probe``, ``fork`` per environment, ``enter``, ``lock``): the
host must refuse nothing, environments must be told apart by the host pids the zygote reports,
and one of them, attacking, must be unable to signal the zygote, the process that started it or
a sibling, or to write its own code. When the suite runs unprivileged, ``test_isolation`` covers
the same path end to end.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest

from lamina.runtime import sandbox

NOBODY = 65534


def _as_nobody(code: Path, report: int) -> None:
    """The child: an unprivileged user's zygote with two environments, one of them attacking."""
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    # Dumpable again, as a process this user started (changing ids cleared it).
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)
    starter = os.getpid()
    sandbox.own_namespaces()
    out: dict[str, Any] = {"missing": sandbox.probe(), "zygote": sandbox.host_pid(os.getpid())}
    read, write = os.pipe()
    sibling = sandbox.fork()
    if sibling == 0:
        os.write(write, str(int(os.readlink("/proc/self"))).encode())
        signal.pause()
    sibling_host = int(os.read(read, 64))
    out["sibling"] = {"reported": sandbox.host_pid(sibling), "seen": sibling_host}
    attacker = sandbox.fork()
    if attacker == 0:
        attempts: dict[str, Any] = {"pid": os.getpid()}
        sandbox.enter("/tmp", (str(code),), (), (str(code),))
        sandbox.lock()
        targets = (("zygote", out["zygote"]), ("starter", starter), ("sibling", sibling_host))
        for name, pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
                attempts[name] = "done"
            except OSError as exc:
                attempts[name] = errno.errorcode[exc.errno]
        try:
            (code / "handlers.py").write_text("changed")
            attempts["write code"] = "done"
        except OSError as exc:
            attempts["write code"] = errno.errorcode[exc.errno]
        os.write(write, json.dumps(attempts).encode())
        os._exit(0)
    os.waitpid(attacker, 0)
    out["attack"] = json.loads(os.read(read, 4096))
    out["sibling alive"] = os.waitpid(sibling, os.WNOHANG) == (0, 0)
    os.kill(sibling, signal.SIGKILL)
    os.waitpid(sibling, 0)
    os.write(report, json.dumps(out).encode())


@pytest.mark.skipif(os.geteuid() != 0, reason="test_isolation covers this user's path")
def test_an_unprivileged_zygote_isolates_its_environments() -> None:
    """As uid 65534: no protection missing; each environment is process 1 of its own PID
    namespace, reported by its host pid; an attacking one cannot signal the zygote, the
    process that started it or its sibling (ESRCH), nor write its own code (EROFS).

    The code is a copy the unprivileged user could write to (under a directory it can reach,
    wherever the checkout lives), so only the read-only mount can refuse the write."""
    root = Path(tempfile.mkdtemp(prefix="lamina-victim-", dir="/tmp"))
    try:
        os.chmod(root, 0o755)
        code = root / "victim"
        shutil.copytree(Path(__file__).parent / "app" / "victim", code)
        os.chmod(code, 0o777)
        for path in code.iterdir():
            os.chmod(path, 0o666)
        out = _attacked(code)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if out["missing"]:
        pytest.skip(f"this host refuses it: {out['missing']}")
    assert out["sibling"]["reported"] == out["sibling"]["seen"], out
    assert out["attack"]["pid"] == 1, out
    for target in ("zygote", "starter", "sibling"):
        assert out["attack"][target] == "ESRCH", out
    assert out["attack"]["write code"] == "EROFS", out
    assert out["sibling alive"], out


def _attacked(code: Path) -> dict[str, Any]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - reports through the pipe
        try:
            os.close(read)
            _as_nobody(code, write)
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return dict(json.loads(b"".join(chunks)))
