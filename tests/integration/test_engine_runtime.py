"""Inside an environment: init errors, handler errors, context, variables, logging, sys.path."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lamina.model.specs import LoggingSpec
from tests.integration.engine_support import (
    FUNCTIONS,
    RecordingSink,
    function,
    invoke,
    layer,
    run,
    running,
    status_field,
)


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "bad_import.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'bad_import': No module named 'module_that_does_not_exist'",
        ),
        (
            "no_handler.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'no_handler'",
        ),
        (
            "bad_syntax.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'bad_syntax': ",
        ),
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots': "),
        ("raises_at_import.handler", "RuntimeError", "configuration missing"),
    ],
)
def test_init_errors_as_lambda_names_them(
    tmp_path: Path, handler: str, error_type: str, message: str
) -> None:
    """A failing INIT answers the invocation with Lambda's init error document, logs it, and
    leaves no environment behind (the next call tries INIT again)."""

    async def scenario() -> None:
        async with running([function("Broken", handler, code="broken")], tmp_path) as engine:
            result = await invoke(engine, "Broken")
            doc = json.loads(result.payload)
            assert result.function_error == "Unhandled"
            assert doc["errorType"] == error_type
            assert doc["errorMessage"].startswith(message)
            assert set(doc) == {"errorMessage", "errorType", "requestId", "stackTrace"}
            assert f"[ERROR] {error_type}: {doc['errorMessage']}" in result.log
            assert f"Error Type: {error_type}" in result.log
            assert "Init Duration" in result.log
            again = await invoke(engine, "Broken")
            assert json.loads(again.payload)["errorType"] == error_type

    run(scenario())


def test_handler_exception_has_lambdas_shape(tmp_path: Path) -> None:
    """An exception in the handler: errorMessage, errorType, requestId and a stack trace that
    starts in user code; the text log shows it as one [ERROR] record."""

    async def scenario() -> None:
        async with running([function("Fail", "basic.fail")], tmp_path) as engine:
            result = await invoke(engine, "Fail")
            doc = json.loads(result.payload)
            assert doc["errorMessage"] == "division by zero"
            assert doc["errorType"] == "ZeroDivisionError"
            assert doc["requestId"] == result.request_id
            assert len(doc["stackTrace"]) == 1
            assert re.match(
                r'  File ".*basic\.py", line \d+, in fail\n    return 1 / 0\n', doc["stackTrace"][0]
            )
            assert "[ERROR] ZeroDivisionError: division by zero\rTraceback" in result.log
            # The environment survives a handler exception.
            assert (
                json.loads((await invoke(engine, "Fail")).payload)["errorType"]
                == "ZeroDivisionError"
            )
            assert len(engine.environments("Fail")) == 1

    run(scenario())


def test_unserialisable_result_is_marshal_error(tmp_path: Path) -> None:
    """A result json cannot encode fails with Runtime.MarshalError."""

    async def scenario() -> None:
        async with running([function("Set", "basic.unserialisable")], tmp_path) as engine:
            doc = json.loads((await invoke(engine, "Set")).payload)
            assert doc["errorType"] == "Runtime.MarshalError"
            assert doc["errorMessage"] == (
                "Unable to marshal response: Object of type set is not JSON serializable"
            )

    run(scenario())


def test_context_fields_and_remaining_time(tmp_path: Path) -> None:
    """Every context field is filled as on Lambda; remaining time counts down to the deadline."""
    client_context = {"custom": {"k": "v"}, "env": {"e": "1"}, "client": {"installation_id": "i-1"}}

    async def scenario() -> None:
        fn = function("Ctx", "basic.context_fields", timeout_s=5.0, memory_mb=256)
        async with running([fn], tmp_path) as engine:
            result = await invoke(
                engine,
                "Ctx",
                b'{"sleep": 0.3}',
                client_context=base64.b64encode(json.dumps(client_context).encode()).decode(),
                cognito_identity='{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}',
            )
            ctx = json.loads(result.payload)
            assert ctx["function_name"] == fn.name
            assert ctx["function_version"] == "$LATEST"
            assert ctx["invoked_function_arn"] == fn.arn
            assert ctx["memory_limit_in_mb"] == "256"
            assert ctx["aws_request_id"] == result.request_id
            assert ctx["log_group_name"] == f"/aws/lambda/{fn.name}"
            assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
            assert ctx["identity"] == {
                "cognito_identity_id": "id-1",
                "cognito_identity_pool_id": "pool-1",
            }
            assert ctx["client_context"] == {
                "custom": {"k": "v"},
                "env": {"e": "1"},
                "installation_id": "i-1",
            }
            assert ctx["tenant_id"] is None
            assert 4000 < ctx["before"] <= 5000
            assert 200 <= ctx["before"] - ctx["after"] < 1500

    run(scenario())


def test_reserved_environment_variables(tmp_path: Path) -> None:
    """The reserved variables of the contracts page are set, the template's too, and the code
    directory is the working directory and first on sys.path; AWS_LAMBDA_LOG_STREAM_NAME names
    the stream the environment's log really goes to."""
    sink = RecordingSink()

    async def scenario() -> None:
        fn = function(
            "Env",
            "basic.environment",
            environment={"TABLE": "items", "TZ": "mine"},
            memory_mb=512,
            runtime="python3.12",
        )
        async with running([fn], tmp_path, sink) as engine:
            got = json.loads(
                (await invoke(engine, "Env", trace_id="Root=1-abc-def;Sampled=1")).payload
            )
            env = got["env"]
            code = str(FUNCTIONS / "app")
            expected = {
                "_HANDLER": "basic.environment",
                "_X_AMZN_TRACE_ID": "Root=1-abc-def;Sampled=1",
                "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
                "AWS_LAMBDA_FUNCTION_NAME": fn.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
                "LAMBDA_TASK_ROOT": code,
                "TZ": ":UTC",
                "LANG": "en_US.UTF-8",
                "TABLE": "items",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            }
            assert {k: env.get(k) for k in expected} == expected
            for present in (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_LAMBDA_RUNTIME_API",
                "LAMBDA_RUNTIME_DIR",
                "PATH",
                "LD_LIBRARY_PATH",
            ):
                assert env.get(present), present
            assert got["cwd"] == code
            assert got["path"][0] == code
            streams = {(group, stream) for group, stream, _ in sink.events}
            assert streams == {
                (env["AWS_LAMBDA_LOG_GROUP_NAME"], env["AWS_LAMBDA_LOG_STREAM_NAME"])
            }

    run(scenario())


def test_text_logging_like_lambda(tmp_path: Path) -> None:
    """print, stderr and raw fd writes are captured; the root logger writes
    [LEVEL]\\ttime\\trequest id\\tmessage and stays at WARNING unless configured."""

    async def scenario() -> None:
        async with running([function("Logs", "basic.logs")], tmp_path) as engine:
            result = await invoke(engine, "Logs")
            body = result.log.split(f"START RequestId: {result.request_id} Version: $LATEST\n")[1]
            body = body.split("END RequestId")[0]
            assert "printed line\n" in body
            assert "stderr line\n" in body
            assert "raw fd line\n" in body
            assert re.search(
                rf"^\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{result.request_id}\twarned here$",
                body,
                re.MULTILINE,
            )
            assert "info line" not in body and "debug line" not in body

    run(scenario())


def test_json_logging_format(tmp_path: Path) -> None:
    """LoggingConfig LogFormat JSON: application records and platform lines are JSON objects,
    with the configured application log level."""

    async def scenario() -> None:
        fn = function(
            "Logs",
            "basic.logs",
            logging=LoggingSpec(log_format="JSON", application_log_level="DEBUG"),
        )
        async with running([fn], tmp_path) as engine:
            result = await invoke(engine, "Logs")
            records = [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]
            app = [r for r in records if "level" in r]
            assert {r["message"] for r in app} == {"warned here", "info line", "debug line"}
            assert all(r["requestId"] == result.request_id and r["logger"] == "root" for r in app)
            platform = {r["type"]: r["record"] for r in records if "type" in r}
            assert platform["platform.start"]["requestId"] == result.request_id
            metrics = platform["platform.report"]["metrics"]
            assert {
                "durationMs",
                "billedDurationMs",
                "memorySizeMB",
                "maxMemoryUsedMB",
                "initDurationMs",
            } <= set(metrics)

    run(scenario())


def test_function_shipping_its_own_boto3_gets_it(tmp_path: Path) -> None:
    """The zygote's preloaded boto3 is dropped for a function that ships its own; other
    functions keep the preloaded one."""

    async def scenario() -> None:
        fns = [function("Own", "app.handler", code="shadow"), function("Std", "basic.modules")]
        async with running(fns, tmp_path) as engine:
            own = json.loads((await invoke(engine, "Own")).payload)
            std = json.loads((await invoke(engine, "Std")).payload)
            assert own["boto3_version"] == "0.0.0-shipped"
            assert own["boto3_file"] == str(FUNCTIONS / "shadow" / "boto3" / "__init__.py")
            assert std["boto3_version"] != "0.0.0-shipped"
            assert "site-packages" in std["boto3_file"]

    run(scenario())


def test_boto3_from_the_base_interpreter_counts_as_third_party(tmp_path: Path) -> None:
    """In a venv made with --system-site-packages, boto3 is imported from the base interpreter's
    site-packages (inside the standard library's directory): it is still a third-party module
    the zygote drops for a function that ships its own."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    probe = (
        "import sys, boto3; sys.path.insert(0, sys.argv[1]);"
        "from lamina.runtime.zygote import _third_party_modules;"
        "print(boto3.__file__); print('boto3' in _third_party_modules())"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe, src],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not out[0].startswith(str(venv))  # the base interpreter's copy
    assert out[1] == "True"


def test_layers_are_on_sys_path(tmp_path: Path) -> None:
    """A layer's python/ directory is importable, like /opt/python on Lambda."""

    async def scenario() -> None:
        fn = function("Layered", "basic.layered", layers=(layer("layer1"),))
        async with running([fn], tmp_path) as engine:
            assert json.loads((await invoke(engine, "Layered")).payload) == "hello from a layer"

    run(scenario())


def test_other_interpreter_version_is_announced_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A python3.x runtime other than the host's runs on the host interpreter, said once."""
    other = "python3.9" if sys.version_info[:2] != (3, 9) else "python3.10"

    async def scenario() -> None:
        fns = [
            function("A", "basic.count", runtime=other),
            function("B", "basic.count", runtime=other),
        ]
        async with running(fns, tmp_path) as engine:
            assert (await invoke(engine, "A")).ok

    with caplog.at_level("WARNING", logger="lamina.engine"):
        run(scenario())
    notes = [r.getMessage() for r in caplog.records if other in r.getMessage()]
    assert len(notes) == 1


def test_trace_id_reaches_python_and_subprocesses_and_leaks_nothing(tmp_path: Path) -> None:
    """Each invocation's trace id is in os.environ and in the C environment a subprocess
    inherits; a trace id per invocation does not make the environment grow (os.environ's
    setenv kept every value ever set: about 110 bytes an invocation, 2 to 5 MB over this test)."""

    async def scenario() -> tuple[list[dict[str, str]], int]:
        fns = [function("Trace", "basic.trace_seen"), function("Count", "basic.count")]
        async with running(fns, tmp_path) as engine:
            seen = []
            steps = [
                ("Root=1-aaa;Sampled=1", {}),
                ("Root=1-bbb;Sampled=0", {"set": "by the handler"}),
                ("Root=1-ccc;Sampled=0", {"unset": True}),
                ("Root=1-ddd;Sampled=0", {}),
                (None, {}),
                ("Root=1-eee;Sampled=1", {}),
            ]
            for trace, event in steps:
                payload = json.dumps(event).encode()
                result = await invoke(engine, "Trace", payload, trace_id=trace)
                seen.append(json.loads(result.payload))
            pid = json.loads((await invoke(engine, "Count", trace_id="Root=1-0")).payload)["pid"]
            before = status_field(pid, "VmRSS")
            for i in range(50_000):
                await invoke(engine, "Count", trace_id=f"Root=1-5759e988-{i:024x};Sampled=0")
            return seen, status_field(pid, "VmRSS") - before

    seen, growth_kb = run(scenario())
    # Whatever the handler did to the variable, the next invocation sees its own trace id.
    assert seen == [
        {"python": "Root=1-aaa;Sampled=1", "subprocess": "Root=1-aaa;Sampled=1"},
        {"python": "Root=1-bbb;Sampled=0", "subprocess": "Root=1-bbb;Sampled=0"},
        {"python": "Root=1-ccc;Sampled=0", "subprocess": "Root=1-ccc;Sampled=0"},
        {"python": "Root=1-ddd;Sampled=0", "subprocess": "Root=1-ddd;Sampled=0"},
        {"python": None, "subprocess": ""},
        {"python": "Root=1-eee;Sampled=1", "subprocess": "Root=1-eee;Sampled=1"},
    ]
    assert growth_kb < 1024, growth_kb


def test_each_log_holds_exactly_its_invocations_output(tmp_path: Path) -> None:
    """What a handler prints goes to its environment's log stream between its own START and
    END, all of it and nothing of another invocation's: small outputs read by the loop's log
    reader before the reply resumes the caller, and outputs larger than the pipe's buffer.
    The result keeps only a bounded tail of it (what LogType=Tail answers)."""
    sink = RecordingSink()

    async def scenario() -> list[tuple[str, str, int]]:
        async with running([function("Chatter", "basic.chatter")], tmp_path, sink) as engine:
            seen = []
            for i in range(200):
                event = {"lines": 1 + i % 5, "width": 200_000 if i % 50 == 7 else 10}
                result = await invoke(engine, "Chatter", json.dumps(event).encode())
                seen.append((result.request_id, result.log, event["lines"]))
            return seen

    results = run(scenario())
    messages = sink.messages()
    for request_id, text, lines in results:
        start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
        end = messages.index(f"END RequestId: {request_id}")
        printed = [line for line in messages[start:end] if " line " in line]
        assert [line.split(" ")[:3] for line in printed] == [
            [request_id, "line", str(i)] for i in range(lines)
        ]
        assert len(text) < 3 * 4096 + 1024  # START, the tail, END and REPORT only
        assert text.rstrip().endswith(messages[end + 1].rstrip())


def test_functions_do_not_see_the_hosts_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host's AWS keys and other variables reach neither a function's os.environ nor its
    /proc/self/environ (the block the process started with): the zygote starts with a clean
    environment, and a function gets the Lambda variables and Lamina's own credentials only."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret-value")
    monkeypatch.setenv("AWS_PROFILE", "host-profile")
    monkeypatch.setenv("SOME_HOST_TOKEN", "host-token-value")

    async def scenario() -> None:
        async with running([function("Env", "basic.environment")], tmp_path) as engine:
            got = json.loads((await invoke(engine, "Env")).payload)
        for leaked in ("host-secret-value", "host-profile", "host-token-value"):
            assert leaked not in json.dumps(got["env"])
            assert leaked not in got["proc_environ"]
        assert got["env"]["AWS_SECRET_ACCESS_KEY"] == "lamina"

    run(scenario())


def test_each_environment_has_a_tmp_of_its_own(tmp_path: Path) -> None:
    """A literal /tmp path works, and what one environment writes there neither another
    environment (of another function) nor the host sees: /tmp is the environment's own."""
    marker = f"lamina-test-{tmp_path.name}"

    async def scenario() -> None:
        fns = [function("Writer", "basic.tmp_files"), function("Reader", "basic.tmp_files")]
        async with running(fns, tmp_path) as engine:
            wrote = json.loads(
                (
                    await invoke(engine, "Writer", payload=json.dumps({"write": marker}).encode())
                ).payload
            )
            seen = json.loads((await invoke(engine, "Reader")).payload)
        assert marker in wrote
        assert marker not in seen
        assert not Path("/tmp", marker).exists()

    run(scenario())


def test_packages_under_the_hosts_tmp_stay_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interpreter whose packages live under the host's /tmp (a virtualenv made by mktemp, as
    CI makes one) still imports them inside an environment with a /tmp of its own."""
    packages = Path(tempfile.mkdtemp(dir="/tmp", prefix="lamina-site-"))
    try:
        (packages / "under_host_tmp.py").write_text("VALUE = 'found'\n")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(packages), *sys.path]))

        async def scenario() -> None:
            async with running([function("Imp", "basic.import_named")], tmp_path) as engine:
                got = await invoke(engine, "Imp", payload=b'{"module": "under_host_tmp"}')
            assert json.loads(got.payload) == "found", got.payload

        run(scenario())
    finally:
        shutil.rmtree(packages, ignore_errors=True)


def test_lamina_s_state_is_hidden_from_functions(tmp_path: Path) -> None:
    """A function cannot read Lamina's state files (its databases, its credentials), though it
    runs, its TMPDIR included, from directories inside the state directory."""
    secret = tmp_path / "credentials.json"
    secret.write_text('{"aws_secret_access_key": "never-shown"}')

    async def scenario() -> None:
        async with running([function("Peek", "basic.read_file")], tmp_path) as engine:
            got = json.loads(
                (await invoke(engine, "Peek", json.dumps({"path": str(secret)}).encode())).payload
            )
            env = json.loads(
                (await invoke(engine, "Peek", b'{"path": "/proc/self/environ"}')).payload
            )
        assert got == {"error": "FileNotFoundError"}
        assert "read" in env, "a function's own files still read"

    run(scenario())
