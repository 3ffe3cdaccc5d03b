"""A function that attacks Lamina and its neighbours from inside; it reports what the host let
it do. The test tells it where to aim (pids and paths it could find by scanning /proc)."""

import ctypes
import errno
import os
import signal

import boto3


def _outcome(action):
    """ "done" when ``action`` worked, else the name of the error the host answered."""
    try:
        action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
    return "done"


def _read(path):
    with open(path, "rb") as file:
        file.read()


def _write(path, text=None):
    """Open ``path`` for writing, and write ``text`` if given. Harmless when it works (the
    attack test must not break the code it runs, were isolation to fail): nothing is written to
    an existing file but ``text``, and a file it created is removed."""
    created = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if text is not None:
            os.write(fd, text.encode())
    finally:
        os.close(fd)
        if created and text is None:
            os.unlink(path)


_SYSCTL = "/proc/sys/vm/overcommit_memory"


def _current(path):
    with open(path) as file:
        return file.read()


def _memory_cgroup():
    """This environment's memory cgroup directory (cgroup v1), or None."""
    with open("/proc/self/cgroup") as own:
        for line in own.read().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return f"/sys/fs/cgroup/memory{path}"
    return None


def _listdir(path):
    """Raises when ``path`` is gone; "done" only when it lists something."""
    if not os.listdir(path):
        raise FileNotFoundError(errno.ENOENT, "empty", path)


def _pidfd_kill(pid):
    fd = os.open(f"/proc/{pid}", os.O_RDONLY | os.O_DIRECTORY)
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
    finally:
        os.close(fd)


def _umount(path):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.umount2(path.encode(), 2) != 0:  # MNT_DETACH
        raise OSError(ctypes.get_errno(), "umount2", path)


def attack(event, context):
    root = os.environ["LAMBDA_TASK_ROOT"]
    kills = {}
    for name, pid in event["pids"].items():
        kills[f"kill {name}"] = _outcome(lambda pid=pid: os.kill(pid, signal.SIGKILL))
        kills[f"pidfd kill {name}"] = _outcome(lambda pid=pid: _pidfd_kill(pid))
    state = event["state_dir"]
    pids = event["pids"]
    if "zygote" in pids:
        kills["read credentials via the zygote's root"] = _outcome(
            lambda: _read(f"/proc/{pids['zygote']}/root{state}/credentials.json")
        )
    if "engine" in pids:
        kills["read the engine's environment"] = _outcome(
            lambda: _read(f"/proc/{pids['engine']}/environ")
        )
    cgroup = _memory_cgroup()
    if cgroup:
        kills["raise own memory limit"] = _outcome(
            lambda: _write(os.path.join(cgroup, "memory.limit_in_bytes"), str(2**40))
        )
        kills["leave own memory cgroup"] = _outcome(
            lambda: _write(os.path.join(os.path.dirname(cgroup), "cgroup.procs"), "0")
        )
    return {
        "task root": root,
        **kills,
        # (The value it holds: were it writable, nothing changes on the host.)
        "change a sysctl": _outcome(lambda: _write(_SYSCTL, _current(_SYSCTL))),
        "read sibling code": _outcome(lambda: _read(event["sibling_handler"])),
        "list sibling code": _outcome(lambda: _listdir(event["sibling_code"])),
        "state dir holds": sorted(os.listdir(state)) if os.path.isdir(state) else [],
        "read credentials": _outcome(lambda: _read(os.path.join(state, "credentials.json"))),
        "read template": _outcome(lambda: _read(event["template"])),
        "unmount the cover on the state dir": _outcome(lambda: _umount(state)),
        "write own code": _outcome(lambda: _write(os.path.join(root, "handlers.py"))),
        "add to own code": _outcome(lambda: _write(os.path.join(root, "new.py"))),
        # What every function imports: the interpreter's packages, Lamina's runtime.
        "plant a module in site-packages": _outcome(
            lambda: _write(os.path.join(os.path.dirname(os.path.dirname(boto3.__file__)), "x.py"))
        ),
        "plant a module in the standard library": _outcome(
            lambda: _write(os.path.join(os.path.dirname(os.__file__), "x.py"))
        ),
        "change Lamina's runtime": _outcome(
            lambda: _write(os.path.join(os.environ["LAMBDA_RUNTIME_DIR"], "bootstrap.py"))
        ),
        "write /tmp": _outcome(lambda: _write("/tmp/mine", "mine")),
        "write TMPDIR": _outcome(lambda: _write(os.path.join(os.environ["TMPDIR"], "mine"), "x")),
        "read own code": _outcome(lambda: _read(os.path.join(root, "handlers.py"))),
    }


def memory_limit(event, context):
    """The limit of this environment's memory cgroup, as the kernel shows it."""
    with open("/proc/self/cgroup") as own:
        lines = own.read().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            with open(f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes") as limit:
                return {"limit": int(limit.read())}
        if controllers == "":
            with open(f"/sys/fs/cgroup{path}/memory.max") as limit:
                return {"limit": int(limit.read())}
    return {"limit": None}


def _capabilities():
    """The capability sets /proc/self/status shows, by name (hexadecimal masks)."""
    with open("/proc/self/status") as status:
        return {
            name: value.strip()
            for name, _, value in (line.partition(":") for line in status)
            if name in ("CapInh", "CapPrm", "CapEff", "CapAmb")
        }


def identity(event, context):
    """Who the function runs as, and what that user may do: write a root-owned file outside
    its sandbox (``event["host_file"]``, opened for writing, nothing written) or create one in
    /etc, write and read back its /tmp, read its own code and /proc/self/environ, read another
    environment's (``event["sibling"]``, a host pid)."""

    def tmp_round_trip():
        with open("/tmp/identity.txt", "w") as out:
            out.write("kept")
        if _current("/tmp/identity.txt") != "kept":
            raise OSError(errno.EIO, "read back something else")

    return {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "write a root-owned host file": _outcome(lambda: _write(event["host_file"])),
        "create a file in /etc": _outcome(lambda: _write("/etc/lamina-identity-probe")),
        "write /tmp": _outcome(tmp_round_trip),
        "read own code": _outcome(lambda: _read(__file__)),
        "read own environ": _outcome(lambda: _read("/proc/self/environ")),
        "capabilities": _capabilities(),
        "read a sibling's environ": _outcome(lambda: _read(f"/proc/{event['sibling']}/environ")),
    }
