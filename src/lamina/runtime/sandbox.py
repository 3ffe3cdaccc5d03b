"""Linux mechanisms that set an environment apart: for now, a ``/tmp`` of its own.

On Lambda every execution environment has its own ``/tmp``; here an environment enters a mount
namespace of its own (inside a user namespace of its own when Lamina does not run as root, so no
privilege is needed) and its directory under the state directory is bind-mounted on ``/tmp``:
literal ``/tmp`` paths work as on Lambda, and no function sees another's files there or the
host's. Where the host refuses (no user namespaces, seccomp), the zygote's ``probe`` says why
once, and environments keep the host's ``/tmp`` (``TMPDIR`` still points at their own).

Standard library only (``ctypes`` reaches ``unshare`` and ``mount``, which Python 3.11 lacks).
"""

from __future__ import annotations

import ctypes
import os
import tempfile

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18

# Set in the zygote by ``probe``; environments forked from it inherit the answer.
available = False


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter(tmp: str, keep: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> None:
    """Make ``tmp`` this process's ``/tmp``, in mount (and user) namespaces of its own, and hide
    the ``hidden`` directories (Lamina's state: its databases, credentials, other functions'
    code) under an empty tmpfs; the directories in ``keep`` (its code, its packages, ``tmp``)
    stay where they are even when they live under the host's ``/tmp`` or a hidden directory.
    Raises ``OSError`` naming the step the host refused."""
    needed = (tmp, *keep)
    libc = _private_namespaces()
    # The host's /tmp gives way to the environment's own.
    _cover(libc, "/tmp", (tmp.encode(), None, _MS_BIND, None), needed)
    for directory in hidden:
        top = os.path.realpath(directory)
        if os.path.isdir(top) and top != "/tmp" and not top.startswith("/tmp/"):
            # (Under /tmp it is hidden already.)
            _cover(libc, top, (b"tmpfs", b"tmpfs", 0, b"mode=755,size=1m"), needed)


def _under(top: str, paths: tuple[str, ...]) -> list[str]:
    """The directories among ``paths`` below ``top``, outermost only."""
    found: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)}):
        if path.startswith(top + "/") and not any(path.startswith(f + "/") for f in found):
            found.append(path)
    return found


def _private_namespaces() -> ctypes.CDLL:
    """Enter a mount namespace of this process's own (and a user namespace when not root)."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    root = os.geteuid() == 0
    _check(libc.unshare(_CLONE_NEWNS | (0 if root else _CLONE_NEWUSER)), "unshare")
    if not root:
        # Keep this process's own ids inside the new user namespace.
        with open("/proc/self/setgroups", "w") as setgroups:
            setgroups.write("deny")
        with open("/proc/self/uid_map", "w") as uid_map:
            uid_map.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as gid_map:
            gid_map.write(f"{gid} {gid} 1")
    # Nothing mounted here reaches the host's mount table, and nothing of it comes back.
    _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /")
    return libc


def _cover(
    libc: ctypes.CDLL,
    top: str,
    mount: tuple[bytes, bytes | None, int, bytes | None],
    needed: tuple[str, ...],
) -> None:
    """Mount ``mount`` (source, type, flags, data) over ``top``, then bind the ``needed``
    directories that lived below it back in place."""
    # Handles on what the mount will hide, taken in this namespace before it hides them (a bind
    # mount's source must belong to the namespace it is mounted in).
    handles = [(path, os.open(path, os.O_PATH)) for path in _under(top, needed)]
    try:
        source, kind, flags, data = mount
        _check(libc.mount(source, top.encode(), kind, flags, data), f"mount on {top}")
        for path, fd in handles:
            os.makedirs(path, exist_ok=True)
            bound = f"/proc/self/fd/{fd}".encode()
            _check(libc.mount(bound, path.encode(), None, _MS_BIND, None), f"bind {path}")
    finally:
        for _, fd in handles:
            os.close(fd)


def probe() -> str | None:
    """Try ``enter`` in a throwaway child; None when it works (and set ``available``), else what
    the host refused."""
    global available
    scratch = tempfile.mkdtemp(prefix="lamina-probe-")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            libc = _private_namespaces()
            _cover(libc, "/tmp", (scratch.encode(), None, _MS_BIND, None), ())
            answer = b"" if not os.listdir("/tmp") else b"the private /tmp is not empty"
        except OSError as exc:
            answer = str(exc).encode()
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    os.rmdir(scratch)
    refused = b"".join(chunks).decode("utf-8", "replace")
    available = not refused
    return refused or None
