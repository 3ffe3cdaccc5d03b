"""Functions are isolated from Lamina and from each other (issue 12, item 6), tried as an
attacker would: a real function under `lamina up` goes after the zygote, the engine, a sibling
environment, Lamina's state directory, other functions' code and its own code."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
APP = Path(__file__).parent / "app"
# Lamina's default (tests/conftest.py keeps root's id for other suites).
OWN_IDS = {"LAMINA_FUNCTION_USER": ""}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    state = tmp_path_factory.mktemp("isolation") / "state"
    up = LaminaUp(APP / "template.yaml", state, OWN_IDS).start()
    yield up
    up.stop()


def names(server: LaminaUp) -> dict[str, str]:
    functions = server.client().list_functions()["Functions"]
    return {f["FunctionName"].split("-")[1]: f["FunctionName"] for f in functions}


def invoke(server: LaminaUp, name: str, event: Any = None) -> tuple[dict[str, Any], str]:
    """The function's answer (its payload, decoded) and the tail of its log."""
    answer = server.client().invoke(
        FunctionName=names(server)[name], Payload=json.dumps(event or {}), LogType="Tail"
    )
    payload = json.loads(answer["Payload"].read())
    return payload, base64.b64decode(answer.get("LogResult", "")).decode()


def missing(server: LaminaUp) -> list[str]:
    """The protections the host refuses, as health reports them."""
    import urllib.request

    with urllib.request.urlopen(f"{server.endpoint}/_lamina/health", timeout=5) as answer:
        return list(json.loads(answer.read())["isolation"]["missing"])


def require(server: LaminaUp, protection: str) -> None:
    refused = [m for m in missing(server) if m.startswith(protection)]
    if refused:
        pytest.skip(f"this host refuses it: {refused[0]}")


def zygote_pid(server: LaminaUp) -> int:
    """The zygote: the child of `lamina up` running ``lamina.runtime.zygote``."""
    assert server.process is not None
    engine = server.process.pid
    for task in os.listdir(f"/proc/{engine}/task"):
        for child in Path(f"/proc/{engine}/task/{task}/children").read_text().split():
            if b"lamina.runtime.zygote" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise AssertionError("no zygote among the children of lamina up")


def test_a_function_cannot_signal_read_or_change_what_is_not_its_own(server: LaminaUp) -> None:
    """From inside a function: killing the zygote, the engine or a sibling environment (by pid
    or pidfd) fails and they live on; other functions' code, the template, the state directory
    (credentials, databases) are not there, not even through the zygote's /proc root; the cover
    cannot be unmounted; its memory cgroup and sysctls cannot be changed; its own code is
    readable but not writable (EROFS as on Lambda, or EACCES first when it runs as another
    user than the code's owner), and its /tmp is writable."""
    require(server, "private /tmp")
    require(server, "signals")
    assert server.process is not None
    victim, _ = invoke(server, "VictimFunction")
    assert victim["own_pid"] == 1  # process 1 of its own PID namespace
    pids = {"zygote": zygote_pid(server), "engine": server.process.pid, "sibling": victim["pid"]}
    event = {
        "pids": pids,
        "state_dir": str(server.state_dir),
        "sibling_code": victim["task_root"],
        "sibling_handler": os.path.join(victim["task_root"], "handlers.py"),
        "template": str(APP / "template.yaml"),
    }
    report, _ = invoke(server, "AttackerFunction", event)
    for name in ("zygote", "engine", "sibling"):
        assert report[f"kill {name}"] in ("ESRCH", "EPERM"), report
        assert report[f"pidfd kill {name}"] in ("EINVAL", "EPERM", "ESRCH", "EACCES"), report
    for what in ("read sibling code", "list sibling code", "read credentials", "read template"):
        assert report[what] == "ENOENT", (what, report)
    # (Its own directory under envs/ is its TMPDIR, bound back in place.)
    assert report["state dir holds"] in ([], ["envs"]), report
    assert report["read credentials via the zygote's root"] in ("EACCES", "EPERM"), report
    assert report["read the engine's environment"] in ("EACCES", "EPERM"), report
    assert report["unmount the cover on the state dir"] == "EPERM", report
    # The kernel's knobs: its own memory cgroup (as root, owned by its user id) and sysctls.
    if not any(m.startswith("memory cgroups") for m in missing(server)):
        assert "raise own memory limit" in report, report
    for knob in ("raise own memory limit", "leave own memory cgroup", "change a sysctl"):
        assert report.get(knob, "EROFS") in ("EROFS", "EACCES", "EPERM"), (knob, report)
    # (Run as another user than the code's owner, the kernel's permission check answers first.)
    assert report["write own code"] in ("EROFS", "EACCES"), report
    assert report["add to own code"] == "EROFS", report
    for shared in ("plant a module in site-packages", "plant a module in the standard library",
                   "change Lamina's runtime"):  # fmt: skip
        assert report[shared] in ("EROFS", "EACCES"), (shared, report)
    assert report["write /tmp"] == "done", report
    assert report["read own code"] == "done", report
    # Nobody died: the same (warm) sibling answers, the zygote was never replaced.
    again, _ = invoke(server, "VictimFunction")
    assert again["pid"] == victim["pid"]
    assert zygote_pid(server) == pids["zygote"]
    assert server.process.poll() is None
    assert "the zygote exited unexpectedly" not in server.log()


def test_memory_size_is_the_limit_of_a_memory_cgroup(server: LaminaUp) -> None:
    """Each environment is in a memory cgroup limited to its function's MemorySize (moved
    into it as it starts, off the cold start's path: its first invocation may come first)."""
    require(server, "memory cgroups")
    limit = {"limit": 256 * 1024 * 1024}
    assert wait_for(lambda: invoke(server, "MemoryFunction")[0] == limit, 10)


def test_memory_allocated_at_init_past_memory_size_is_killed_as_on_lambda(
    server: LaminaUp,
) -> None:
    """A function touching 512 MB while imported (where the resident-set watchdog, which
    watches invocations, does not look) is killed by its cgroup at MemorySize 128: the
    request gets Lambda's "signal: killed" exit error and the REPORT says Runtime.OutOfMemory."""
    require(server, "memory cgroups")
    answer, log = invoke(server, "HogFunction")
    assert answer["errorType"] == "Runtime.ExitError", answer
    assert "Runtime exited with error: signal: killed" in answer["errorMessage"], answer
    assert "Runtime.OutOfMemory" in log, log


def test_health_lists_no_missing_protection_on_a_host_that_allows_them(
    server: LaminaUp,
) -> None:
    """Health says which protections the host refuses (none here when root or user namespaces
    are allowed), and the start said the same once."""
    refused = missing(server)
    warnings = [line for line in server.log().splitlines() if "not isolated here" in line]
    assert len(warnings) == len(refused), (warnings, refused)


def test_a_missing_protection_is_said_once_at_start_and_in_health(tmp_path: Path) -> None:
    """With isolation turned off (as where the host refuses every mechanism), `lamina up`
    keeps serving, says so once at start, and health lists it under isolation.missing."""
    up = LaminaUp(APP / "template.yaml", tmp_path / "state", {"LAMINA_ISOLATION": "0"}).start()
    try:
        answer, _ = invoke(up, "VictimFunction")
        assert answer["own_pid"] == answer["pid"]  # a plain fork: no PID namespace of its own
        assert missing(up) == ["isolation: turned off (LAMINA_ISOLATION=0)"]
        warnings = [line for line in up.log().splitlines() if "not isolated here" in line]
        assert warnings == [
            "lamina: functions are not isolated here as on Lambda: no isolation: turned off "
            "(LAMINA_ISOLATION=0)"
        ]
    finally:
        up.stop()


def test_a_function_whose_code_is_the_template_directory_sees_no_state_nor_sibling(
    tmp_path: Path,
) -> None:
    """`CodeUri: .` with the state directory beside the template (inside the function's code)
    and a sibling's code below it: the function sees neither the state (but for its own TMPDIR,
    writable) nor the sibling's code, and its code stays read-only."""
    project = tmp_path / "project"
    (project / "sibling").mkdir(parents=True)
    shutil.copy(APP / "attacker" / "handlers.py", project / "handlers.py")
    shutil.copy(APP / "victim" / "handlers.py", project / "sibling" / "handlers.py")
    template = (APP / "template.yaml").read_text()
    (project / "template.yaml").write_text(
        template[: template.index("  HogFunction:")]
        .replace("CodeUri: attacker/", "CodeUri: .")
        .replace("CodeUri: victim/", "CodeUri: sibling/")
    )
    up = LaminaUp(project / "template.yaml", project / ".lamina", OWN_IDS).start()
    try:
        require(up, "private /tmp")
        sibling, _ = invoke(up, "VictimFunction")
        event = {
            "pids": {"sibling": sibling["pid"]},
            "state_dir": str(project / ".lamina"),
            "sibling_code": str(project / "sibling"),
            "sibling_handler": str(project / "sibling" / "handlers.py"),
            "template": str(project / "template.yaml"),
        }
        report, _ = invoke(up, "AttackerFunction", event)
        assert report["read sibling code"] == "ENOENT", report
        assert report["list sibling code"] == "ENOENT", report
        assert report["read credentials"] == "ENOENT", report
        assert report["state dir holds"] == ["envs"], report
        assert report["write own code"] in ("EROFS", "EACCES"), report
        assert report["write TMPDIR"] == "done", report
        assert report["read template"] == "done", report  # its own code, as CodeUri says
        # Environments cannot write __pycache__ in their code: Lamina compiled it at deploy
        # (and not what lies in the state directory).
        tag = sys.implementation.cache_tag
        for code in (project, project / "sibling"):
            assert wait_for(
                lambda code=code: (code / "__pycache__" / f"handlers.{tag}.pyc").exists(), 30
            )
        assert not list((project / ".lamina").rglob("__pycache__"))
    finally:
        up.stop()


def test_a_published_version_cannot_change_its_code(server: LaminaUp) -> None:
    """A version published through the Lambda API runs its own snapshot of the code, and that
    snapshot is read-only to it (EROFS), as is Lamina's state directory where it lives."""
    require(server, "private /tmp")
    client = server.client()
    name = names(server)["AttackerFunction"]
    version = client.publish_version(FunctionName=name)["Version"]
    event = {
        "pids": {},
        "state_dir": str(server.state_dir),
        "sibling_code": "/nonexistent",
        "sibling_handler": "/nonexistent/handlers.py",
        "template": str(APP / "template.yaml"),
    }
    answer = client.invoke(FunctionName=name, Qualifier=version, Payload=json.dumps(event))
    report = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, report
    # (Its snapshot lives in the state directory, hidden but for the snapshot itself.)
    assert report["task root"].startswith(os.path.realpath(server.state_dir)), report
    assert report["read credentials"] == "ENOENT", report
    # (Run as another user than the code's owner, the kernel's permission check answers first.)
    assert report["write own code"] in ("EROFS", "EACCES"), report
    assert report["add to own code"] == "EROFS", report
    assert report["read own code"] == "done", report


@pytest.mark.skipif(os.geteuid() != 0, reason="Lamina runs as root only there")
def test_as_root_a_function_runs_as_a_user_of_its_own(server: LaminaUp) -> None:
    """When Lamina runs as root, a function runs with user and group ids of its environment's
    own (not root, no other group, not a sibling's): a root-owned file elsewhere on the host
    (0644, on a writable mount, neither hidden nor read-only) cannot be opened for writing nor
    a file created in /etc (EACCES), nor a sibling environment's /proc files read, while its
    /tmp is writable and its own code and /proc/self/environ readable; it holds no capability."""
    require(server, "private /tmp")
    sibling, _ = invoke(server, "VictimFunction")
    fd, host_file = tempfile.mkstemp(dir="/var/tmp", prefix="lamina-root-owned-")
    os.close(fd)
    os.chmod(host_file, 0o644)
    try:
        event = {"host_file": host_file, "sibling": sibling["pid"]}
        report, _ = invoke(server, "IdentityFunction", event)
        assert os.stat(host_file).st_size == 0
    finally:
        os.unlink(host_file)
    assert report["uid"] not in (0, os.stat(f"/proc/{sibling['pid']}").st_uid), report
    assert (report["euid"], report["gid"], report["groups"]) == (report["uid"], report["uid"], [])
    assert report["write a root-owned host file"] == "EACCES", report
    assert report["create a file in /etc"] == "EACCES", report
    assert not os.path.exists("/etc/lamina-identity-probe")
    assert report["read a sibling's environ"] == "EACCES", report
    assert report["write /tmp"] == "done", report
    assert report["read own code"] == "done", report
    assert report["read own environ"] == "done", report
    held = {name: int(mask, 16) for name, mask in report["capabilities"].items()}
    assert held == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapAmb": 0}, report
