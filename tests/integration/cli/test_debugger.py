"""Debugging a function: `lamina invoke --debug` waits for a real DAP client (the protocol VS
Code speaks to debugpy), stops at its breakpoint with the handler's variables, and finishes the
invocation past the function's timeout after `continue`; `breakpoint()` under `lamina invoke` on
a terminal opens pdb there. Both drive the real CLI in a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pexpect

from tests.integration.cli.dap import DapClient

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Stepper:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Timeout: 1
"""

STEPPED = """\
def handler(event, context):
    secret = event["n"] * 7
    doubled = secret * 2
    __import__("time").sleep(1.2)  # past the 1 s timeout: not enforced under a debugger
    return {"result": doubled}
"""

PAUSED = """\
import time


def handler(event, context):
    secret = event["n"] * 7
    if event.get("pause"):
        breakpoint()
    time.sleep(1.2)  # past the 1 s timeout: not enforced once at the prompt
    return {"result": secret}
"""


def project(root: Path, handler: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(handler)
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_invoke_debug_waits_for_a_dap_client_and_stops_at_its_breakpoint(tmp_path: Path) -> None:
    """--debug prints the port and a VS Code launch configuration, waits for the client, stops
    at the breakpoint it set (line 3, where `secret` is 21), and after `continue` the invocation
    succeeds although the handler runs longer than its 1 s timeout (not enforced under a
    debugger)."""
    root = project(tmp_path / "app", STEPPED)
    port = free_port()
    (root / "event.json").write_text('{"n": 3}')
    proc = subprocess.Popen(
        [sys.executable, "-m", "lamina", "invoke", "Stepper", "-t", str(root),
         "-e", str(root / "event.json"), "--debug", "--debug-port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with proc:
        try:
            client = DapClient("127.0.0.1", port)
            client.send("initialize", clientID="test", adapterID="debugpy", pathFormat="path",
                        linesStartAt1=True, columnsStartAt1=True)  # fmt: skip
            assert client.wait("response", "initialize")["success"]
            client.send("attach", justMyCode=True)
            client.wait("event", "initialized")
            client.send(
                "setBreakpoints",
                source={"path": str(root / "src" / "app.py")},
                breakpoints=[{"line": 3}],
            )
            assert client.wait("response", "setBreakpoints")["body"]["breakpoints"][0]["verified"]
            client.send("configurationDone")
            client.wait("response", "configurationDone")
            stopped = client.wait("event", "stopped")
            assert stopped["body"]["reason"] == "breakpoint"
            thread = stopped["body"]["threadId"]
            client.send("stackTrace", threadId=thread)
            frame = client.wait("response", "stackTrace")["body"]["stackFrames"][0]
            assert frame["line"] == 3
            client.send("evaluate", expression="secret", frameId=frame["id"], context="repl")
            assert client.wait("response", "evaluate")["body"]["result"] == "21"
            client.send("continue", threadId=thread)
            client.wait("response", "continue")
            out, err = proc.communicate(timeout=60)
            client.close()
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:  # a failed step must not leave it waiting
                proc.kill()
    assert json.loads(out) == {"result": 42}
    assert f"127.0.0.1:{port}" in err
    snippet, _ = json.JSONDecoder().raw_decode(err[err.index("{") :])
    assert snippet["request"] == "attach" and snippet["connect"] == {
        "host": "127.0.0.1",
        "port": port,
    }
    assert "Task timed out" not in err


def test_breakpoint_under_invoke_opens_pdb_on_the_terminal(tmp_path: Path) -> None:
    """On a terminal, breakpoint() in the handler is a pdb prompt there (not BdbQuit): `p` shows
    a local variable, `c` finishes the invocation (past its 1 s timeout: the clock stopped at
    the prompt), whose result is printed. Without a breakpoint the timeout still holds."""
    root = project(tmp_path / "app", PAUSED)
    (root / "event.json").write_text('{"n": 6, "pause": true}')
    (root / "plain.json").write_text('{"n": 6}')

    def invoke(event: str) -> pexpect.spawn:
        return pexpect.spawn(
            sys.executable,
            ["-m", "lamina", "invoke", "Stepper", "-t", str(root), "-e", str(root / event)],
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 200),
        )

    plain = invoke("plain.json")
    plain.expect(pexpect.EOF)
    plain.close()
    assert "Task timed out after 1.00 seconds" in str(plain.before)
    assert plain.exitstatus == 1

    child = invoke("event.json")
    try:
        child.expect(r"\(Pdb\) ")
        child.sendline("p secret")
        child.expect("42")
        child.expect(r"\(Pdb\) ")
        child.sendline("c")
        child.expect(pexpect.EOF)
        output = child.before
    finally:
        child.close(force=True)
    assert '{"result": 42}' in output
    assert "BdbQuit" not in output
    assert child.exitstatus == 0


def test_up_debug_waits_for_a_dap_client_then_serves_the_invocation(tmp_path: Path) -> None:
    """`lamina up --debug FUNCTION`: an invocation of FUNCTION waits for a DAP client on the
    printed port, stops at its breakpoint with the handler's variables, and after `continue`
    answers its result although the handler ran past its 1 s timeout (suspended while a
    debugger is attached)."""
    import threading

    from tests.integration.asyncinvoke.lamina_up import LaminaUp

    root = project(tmp_path / "app", STEPPED)
    port = free_port()
    args = ("--debug", "Stepper", "--debug-port", str(port))
    up = LaminaUp(root / "template.yaml", tmp_path / "state", args=args).start()
    answers: list[object] = []
    try:
        assert f"127.0.0.1:{port}" in up.log()
        call = threading.Thread(
            target=lambda: answers.append(
                json.loads(
                    up.client()
                    .invoke(FunctionName="Stepper", Payload=b'{"n": 3}')["Payload"]
                    .read()
                )
            ),
            daemon=True,
        )
        call.start()
        client = DapClient("127.0.0.1", port)
        client.send("initialize", clientID="test", adapterID="debugpy", pathFormat="path",
                    linesStartAt1=True, columnsStartAt1=True)  # fmt: skip
        assert client.wait("response", "initialize")["success"]
        client.send("attach", justMyCode=True)
        client.wait("event", "initialized")
        source = {"path": str(root / "src" / "app.py")}
        client.send("setBreakpoints", source=source, breakpoints=[{"line": 3}])
        assert client.wait("response", "setBreakpoints")["body"]["breakpoints"][0]["verified"]
        client.send("configurationDone")
        client.wait("response", "configurationDone")
        stopped = client.wait("event", "stopped")
        thread = stopped["body"]["threadId"]
        client.send("stackTrace", threadId=thread)
        frame = client.wait("response", "stackTrace")["body"]["stackFrames"][0]
        client.send("evaluate", expression="secret", frameId=frame["id"], context="repl")
        assert client.wait("response", "evaluate")["body"]["result"] == "21"
        client.send("continue", threadId=thread)
        client.wait("response", "continue")
        call.join(timeout=60)
        client.close()
    finally:
        up.stop()
    assert answers == [{"result": 42}]
