"""Linux mechanisms that set an environment apart from Lamina, the host and each other.

Each environment, forked by the zygote:

* runs in a PID namespace of its own (``fork``): it is process 1 there and cannot name, so
  cannot signal, the zygote, the engine or another environment (when not root, the zygote is
  the first process of a user and a PID namespace of its own, ``own_namespaces``, to be allowed
  to make them);
* enters a mount namespace of its own (inside a user namespace of its own when Lamina does not
  run as root, so no privilege is needed; ``enter``): its directory under the state directory is
  bind-mounted on ``/tmp``, so literal ``/tmp`` paths work as on Lambda and no function sees
  another's files there; Lamina's state directory and every other function's code are hidden
  under empty tmpfs mounts, but for the directories it runs from, which are bound back in place;
  its code, packages and layers are read-only (a write fails with ``EROFS`` as on Lambda, so a
  published version's code cannot change; EACCES comes first when it runs as another user than
  the code's owner); as root, so are ``/sys`` and ``/proc/sys``;
* as root, runs as another user (``become``): by default with user and group ids no other
  process has (``own_ids``), so that root-owned files elsewhere on the host are not its to
  write, nor other environments its to trace or read. Directories on the way to what it runs
  from that those ids may not search (``/root`` holding the interpreter) are covered by
  searchable tmpfs mounts with those bound back, and its ``/tmp`` is given to it;
* then gives up every privilege (``lock``): no capabilities (so the mounts cannot be undone),
  no new privileges through ``execve``, and not dumpable (nothing of the same user may trace it
  or open its ``/proc`` files) unless no other process has its ids: then its ``/proc/self`` is
  readable to it, as on Lambda.

Where the host refuses a mechanism (no user namespaces, seccomp), the zygote's ``probe`` says
which protection is missing and why, once; environments then go without it (``TMPDIR`` still
points at their own directory).

Standard library only (``ctypes`` reaches ``unshare``, ``setns``, ``mount``, ``mount_setattr``,
``capset`` and ``prctl``, which Python 3.11 lacks).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import tempfile

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
# statvfs flags -> the mount flags a remount must repeat (in a user namespace, the kernel
# refuses a remount that would clear flags the mount was locked with).
_KEPT_FLAGS = (
    (os.ST_NOSUID, _MS_NOSUID),
    (os.ST_NODEV, _MS_NODEV),
    (os.ST_NOEXEC, _MS_NOEXEC),
    (os.ST_NOATIME, _MS_NOATIME),
    (os.ST_NODIRATIME, _MS_NODIRATIME),
    (os.ST_RELATIME, _MS_RELATIME),
)
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522


# mount_setattr(2): the same number on every architecture (it is newer than their split).
_SYS_MOUNT_SETATTR = 442
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY = 0x1


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    )


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


# Set in the zygote by ``probe``; environments forked from it inherit the answers.
available = False  # the mount namespace: private /tmp, hidden state and code, read-only code
pid_namespaces = False
# As root, environments run with ids of their own from here on (``own_ids``): past any real
# user's, below 2**31 with any pid.
_OWN_ID_BASE = 2_100_000_000
# This environment runs with ids no other process has (``become``): it may stay dumpable.
_alone = False
# This environment changed from root's user id to another (``become``): its capabilities went.
_became = False
# The zygote's own PID namespace, to come back to after each ``fork`` (-1 before ``probe``).
_own_pid_namespace = -1
# This process made a PID namespace of its own (``own_namespaces``): its pids are not the host's.
_inside = False


_LIBC: list[ctypes.CDLL] = []
_RUNTIME_DIRS: list[str] = []
_KNOWN_DIRS: set[str] = set()


def _libc() -> ctypes.CDLL:
    """The C library, loaded once (by ``probe``, in the zygote): environments inherit it with
    its functions already looked up, which a child doing it anew paid for on its cold start."""
    if not _LIBC:
        libc = ctypes.CDLL(None, use_errno=True)
        for name in ("unshare", "setns", "mount", "umount2", "capset", "prctl", "syscall"):
            getattr(libc, name)  # ctypes keeps what it looked up
        _LIBC.append(libc)
    return _LIBC[0]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter(
    tmp: str,
    keep: tuple[str, ...] = (),
    hidden: tuple[str, ...] = (),
    read_only: tuple[str, ...] = (),
    user: tuple[int, int] | None = None,
) -> bool:
    """Make ``tmp`` this process's ``/tmp``, in mount (and user) namespaces of its own; hide
    the ``hidden`` directories (Lamina's state: its databases, credentials, other functions'
    code) under an empty tmpfs; the directories in ``keep`` (its code, its packages, ``tmp``)
    stay where they are even when they live under the host's ``/tmp`` or a hidden directory;
    the ``read_only`` ones (its code, packages and layers, the interpreter's) become read-only
    (a function must not change what other functions import). Every path is
    resolved already (no symbolic link in it: the engine and ``runtime_dirs`` resolve them
    once, not on each cold start). Raises ``OSError`` naming the step the host refused.

    As root with a ``user`` (uid, gid) to become (``become``): each directory on the way to
    ``tmp`` and ``keep`` that this user may not search (``/root``, mode 700, holding the
    interpreter; a state directory made by ``mkdtemp``) is covered by a searchable tmpfs with
    them bound back, as above: nothing the user could reach is lost, and the function reaches
    what it runs from. True when the user can then read all of ``keep`` and write ``tmp``
    (``tmp`` is given to it), False when a directory it runs from is closed to it: the
    environment keeps root's id then."""
    needed = _existing((tmp, *keep))
    root = os.geteuid() == 0
    libc = _private_namespaces()
    # The host's /tmp gives way to the environment's own.
    mounts = set(_cover(libc, "/tmp", (tmp.encode(), None, _MS_BIND, None), needed))
    bound = tuple(path for path in needed if path.startswith("/tmp/"))
    # What this environment runs from is never hidden (two functions may share their code).
    own = set(needed)
    covers = [
        top
        for top in _outermost(_existing(tuple(h for h in hidden if h not in own)))
        # Under /tmp, only what lies inside a directory bound back is there to hide. / or a
        # directory right below it is never covered: a template whose code is the whole disk
        # keeps working, unprotected.
        if not (top.startswith("/tmp/") and not any(top.startswith(b + "/") for b in bound))
        and top != "/tmp"
        and top.count("/") > 1
    ]
    # Before the covers below (which open what they cover to all): a directory this opens is
    # bound back alone (what is mounted under it would show again).
    reachable = root and user is not None and _open_ways(libc, needed, user, tuple(covers))
    # A searchable cover on the way (above) leaves only ``needed`` under it: what else was
    # there, a directory to hide included, is gone already.
    covers = [top for top in covers if os.path.lexists(top)]
    for top in covers:
        tmpfs = (b"tmpfs", b"tmpfs", 0, b"mode=755,size=1m")
        mounts.update(_cover(libc, top, tmpfs, needed))
    # Outer directories first. A remount changes one mount only: a directory inside one made
    # read-only already is read-only with it, unless it was bound back there (a mount of its
    # own: packages installed in the state directory below the code directory).
    done: list[str] = []
    # (``read_only`` is ``keep`` as a rule: what was found there exists.)
    present = set(needed)
    for directory in sorted({d for d in read_only if d in present or os.path.isdir(d)}):
        inside = any(directory.startswith(d + "/") for d in done)
        if directory != "/" and (directory in mounts or not inside):
            _read_only(libc, directory)
            done.append(directory)
    if root and not reachable:
        # (Run as another user, the kernel's knobs are root's, not its, to write: 0.2 ms saved.)
        _kernel_read_only(libc)
    if reachable and user is not None:
        os.chown(tmp, *user)
    return reachable


def _may(path: str, user: tuple[int, int], bits: int) -> bool:
    """``user`` (uid and gid, no other group) has the permission ``bits`` (4 read, 2 write,
    1 search) on ``path``: its owner's, group's or others' bits, as the kernel picks them."""
    status = os.stat(path)
    if status.st_uid == user[0]:
        shift = 6
    elif status.st_gid == user[1]:
        shift = 3
    else:
        shift = 0
    return (status.st_mode >> shift) & bits == bits


def _open_ways(
    libc: ctypes.CDLL,
    needed: tuple[str, ...],
    user: tuple[int, int],
    covered: tuple[str, ...] = (),
) -> bool:
    """Cover each directory on the way to ``needed`` that ``user`` cannot search with a tmpfs
    it can, binding ``needed`` back below it (``enter``); True when ``user`` can then read and
    search every one of ``needed``. What lies in a ``covered`` directory is left alone: its
    searchable cover is to come (a state directory made by ``mkdtemp``, hidden anyway)."""
    searchable = {"/"}
    for path in sorted(needed):
        parts = path.split("/")
        for end in range(2, len(parts)):
            way = "/".join(parts[:end])
            if way in searchable or any(way == c or way.startswith(c + "/") for c in covered):
                continue
            if not _may(way, user, 1):
                tmpfs = (b"tmpfs", b"tmpfs", 0, b"mode=755,size=1m")
                _cover(libc, way, tmpfs, needed)
            searchable.add(way)
    return all(_may(path, user, 5) for path in needed)


def become(user: tuple[int, int], alone: bool) -> None:
    """Run as ``user`` (uid, gid) from now on, with no supplementary group: as root, changing
    the user id to another also empties every capability set (``lock`` makes sure of the
    rest). ``alone``: no other process has these ids (``own_ids``), so this one may stay
    dumpable (``lock``). Raises ``OSError`` when the host refuses."""
    global _alone, _became
    os.setgroups([])
    os.setresgid(user[1], user[1], user[1])
    os.setresuid(user[0], user[0], user[0])
    _alone, _became = alone, True


def _kernel_read_only(libc: ctypes.CDLL) -> None:
    """As root, a function keeps root's user id without its capabilities, and root owns the
    kernel's knobs: /sys (cgroups: its memory limit, the freezer of Lamina's own cgroup) and
    /proc/sys (sysctls) are writable to their owner. Make both read-only, as in a container.
    (Not root, or run as another user, they are not the function's to write anyway.)"""
    with contextlib.suppress(OSError):
        _check(libc.mount(b"/proc/sys", b"/proc/sys", None, _MS_BIND | _MS_REC, None), "bind")
        _recursive_read_only(libc, "/proc/sys")
    try:
        _recursive_read_only(libc, "/sys")
    except OSError:
        # (A kernel before 5.12: no mount_setattr.) At least the cgroups go.
        _check(
            libc.mount(b"tmpfs", b"/sys/fs/cgroup", b"tmpfs", _MS_RDONLY, b"size=4k"),
            "mount on /sys/fs/cgroup",
        )


def _recursive_read_only(libc: ctypes.CDLL, path: str) -> None:
    """Make the mount at ``path`` and every mount below it read-only, in one call."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    # (Every argument a full register wide: syscall(2) reads them as longs.)
    result = libc.syscall(
        ctypes.c_long(_SYS_MOUNT_SETATTR),
        ctypes.c_long(_AT_FDCWD),
        ctypes.c_char_p(path.encode()),
        ctypes.c_long(_AT_RECURSIVE),
        ctypes.byref(attr),
        ctypes.c_long(ctypes.sizeof(attr)),
    )
    _check(result, f"mount_setattr {path}")


def runtime_dirs() -> tuple[str, ...]:
    """The directories the interpreter runs from (its ``sys.path``, its prefixes: a virtualenv
    may live under /tmp or the template's directory), resolved; computed once, in the zygote
    (by ``probe``), and inherited."""
    if not _RUNTIME_DIRS:
        interpreter = (sys.prefix, sys.exec_prefix, os.path.dirname(sys.executable))
        _RUNTIME_DIRS.extend(
            sorted(
                {os.path.realpath(p) for p in (*sys.path, *interpreter) if p and os.path.isdir(p)}
            )
        )
        _KNOWN_DIRS.update(_RUNTIME_DIRS)
    return tuple(_RUNTIME_DIRS)


def _existing(paths: tuple[str, ...]) -> tuple[str, ...]:
    # (The interpreter's directories were found in the zygote: no need to look again.)
    known = _KNOWN_DIRS
    return tuple(p for p in paths if p and (p in known or os.path.isdir(p)))


def _outermost(paths: tuple[str, ...]) -> list[str]:
    """``paths`` without those inside another."""
    found: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == f or path.startswith(f + "/") for f in found):
            found.append(path)
    return found


def _under(top: str, paths: tuple[str, ...]) -> list[str]:
    """The directories among ``paths`` below ``top``, outermost only."""
    return _outermost(tuple(path for path in paths if path.startswith(top + "/")))


def own_ids() -> tuple[int, int]:
    """Ids for this environment alone, to run as (``become``) when Lamina runs as root: a base
    past any real user's, plus its pid on the host, which /proc shows (unique among the
    living), for both its user and its group id."""
    ids = _OWN_ID_BASE + int(os.readlink("/proc/self"))
    return ids, ids


def _private_namespaces() -> ctypes.CDLL:
    """Enter a mount namespace of this process's own (and a user namespace when not root)."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    root = os.geteuid() == 0
    _check(libc.unshare(_CLONE_NEWNS | (0 if root else _CLONE_NEWUSER)), "unshare")
    if not root:
        _map_own_ids(uid, gid)
    # Nothing mounted here reaches the host's mount table, and nothing of it comes back.
    _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /")
    return libc


def _map_own_ids(uid: int, gid: int) -> None:
    """Keep this process's own ids inside the user namespace it just entered."""
    with open("/proc/self/setgroups", "w") as setgroups:
        setgroups.write("deny")
    with open("/proc/self/uid_map", "w") as uid_map:
        uid_map.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as gid_map:
        gid_map.write(f"{gid} {gid} 1")


def _cover(
    libc: ctypes.CDLL,
    top: str,
    mount: tuple[bytes, bytes | None, int, bytes | None],
    needed: tuple[str, ...],
) -> list[str]:
    """Mount ``mount`` (source, type, flags, data) over ``top``, then bind the ``needed``
    directories that lived below it back in place; returns those."""
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
    return [path for path, _ in handles]


def _read_only(libc: ctypes.CDLL, directory: str) -> None:
    """Bind ``directory`` on itself, then make that mount read-only (a bind mount takes its
    own flags only on a remount). Recursively: what is mounted below it (a tmpfs hiding the
    state directory inside a template's code) stays mounted."""
    path = directory.encode()
    _check(libc.mount(path, path, None, _MS_BIND | _MS_REC, None), f"bind {directory}")
    kept = os.statvfs(directory).f_flag
    flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
    for statvfs_flag, mount_flag in _KEPT_FLAGS:
        if kept & statvfs_flag:
            flags |= mount_flag
    _check(libc.mount(None, path, None, flags, None), f"read-only {directory}")


def lock() -> None:
    """Give up every privilege for good: capabilities (so the mounts above cannot be undone, and
    as root, nothing of root's but its user id is left), any ``execve`` could give back (no new
    privileges: a set-user-ID program or root's exec gains nothing, so the bounding set need not
    be emptied too), and dumpability (another process of the same user cannot trace this one or
    read its ``/proc`` files) unless no other process has its ids (``become``). Never fails: a step
    the host refuses is one protection less."""
    libc = _libc()
    zero = ctypes.c_ulong(0)
    if not _became:
        # (After ``become``, the kernel emptied them when root's user id went: capset, about
        # 0.13 ms of a cold start, would change nothing.)
        libc.prctl(_PR_CAP_AMBIENT, ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), zero, zero, zero)
        header = _CapHeader(_CAPABILITY_VERSION_3, 0)
        libc.capset(ctypes.byref(header), (_CapData * 2)())
    libc.prctl(_PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), zero, zero, zero)
    # (Dumpable with ids no other process has, where nothing else can reach it: its
    # /proc/self files are then its own, and readable to it, as on Lambda.)
    dumpable = ctypes.c_ulong(1 if _alone else 0)
    libc.prctl(_PR_SET_DUMPABLE, dumpable, zero, zero, zero)


def fork() -> int:
    """``os.fork``, the child in a PID namespace of its own when ``probe`` found them: there
    it is process 1, and the processes outside (the zygote, the engine, other environments)
    have no pid it could name. The zygote's own children stay in the zygote's namespace."""
    if not pid_namespaces:
        return os.fork()
    libc = _libc()
    if libc.unshare(_CLONE_NEWPID) != 0:  # (refused after the probe: a protection less)
        return os.fork()
    try:
        pid = os.fork()
    except OSError:
        libc.setns(_own_pid_namespace, _CLONE_NEWPID)
        raise
    if pid == 0:
        os.close(_own_pid_namespace)  # the zygote's, of no use to an environment
    else:
        # The next child (the probe's, a shell's) is born here again. (setns to the caller's
        # own namespace is the one way back; unshare cannot be repeated before it.)
        libc.setns(_own_pid_namespace, _CLONE_NEWPID)
    return pid


def probe() -> list[str]:
    """Try each mechanism; the protections the host refuses, each with why (empty when none).
    Sets ``available`` and ``pid_namespaces`` for the environments forked from here on."""
    global available
    missing = []
    runtime_dirs()
    refused = _probe_mounts()
    available = not refused
    if refused:
        missing.append(f"private /tmp, hidden state and code, read-only code: {refused}")
    refused = _probe_pid_namespaces()
    if refused:
        missing.append(f"signals to Lamina and other functions: {refused}")
    return missing


def _probe_mounts() -> str:
    """Try ``enter`` in a throwaway child; "" when it works, else what the host refused."""
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
    return b"".join(chunks).decode("utf-8", "replace")


def _probe_pid_namespaces() -> str:
    """Make a PID namespace for a child and come back to this one, in a throwaway child (a
    process that made one and could not come back would put every later child in it); ""
    when both work."""
    global pid_namespaces, _own_pid_namespace
    try:
        own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        return str(exc)
    libc = _libc()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            _check(libc.unshare(_CLONE_NEWPID), "unshare(CLONE_NEWPID)")
            _check(libc.setns(own, _CLONE_NEWPID), "setns(CLONE_NEWPID)")
            answer = b""
        except OSError as exc:
            answer = str(exc).encode()
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    refused = os.read(read, 4096).decode("utf-8", "replace")
    os.close(read)
    os.waitpid(pid, 0)
    if refused:
        os.close(own)
        return refused
    _own_pid_namespace, pid_namespaces = own, True
    return ""


def own_namespaces(close: tuple[int, ...] = ()) -> None:
    """When not root: make this process the first of a user namespace and a PID namespace of
    its own, where it may give each child a PID namespace and come back (``fork``), which
    outside them takes root. The process that called stays outside, stands for it (it waits
    for it and exits as it does, its descriptors in ``close`` closed) and takes it along when
    it dies. Best effort: where the host refuses, ``probe`` says what that costs."""
    global _inside
    if os.geteuid() == 0:
        return
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID) != 0:
        return
    try:
        _map_own_ids(uid, gid)
    except OSError:
        return
    pid = os.fork()
    if pid == 0:
        zero = ctypes.c_ulong(0)
        libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), zero, zero, zero)
        _inside = True
        return
    for fd in close:
        os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def host_pid(pid: int) -> int:
    """``pid`` (of this process's PID namespace) as the host (the engine) knows it."""
    if not _inside:
        return pid
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return pid
    try:
        # /proc is the host's: the pid it shows for a pidfd is the host's.
        with open(f"/proc/self/fdinfo/{fd}") as info:
            for line in info:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    finally:
        os.close(fd)
    return pid
