"""The web console in a real browser (Debian's Chromium, driven by Playwright) against a real
`lamina up` of a template with a function behind an HTTP API, a table, a queue and a state
machine.

One `lamina up` and one browser serve the whole module; the tests run in file order and build
on each other's requests only where they say so. Outside CI, the module is skipped when
Chromium or Playwright cannot be found; in CI (.ci/run sets LAMINA_CI) that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

APP = Path(__file__).parent / "app"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A log line and an item holding markup: the console must show them as text.
MARKUP = "<script>window.__injected = 1</script><b>bold</b>"


def _missing(what: str) -> None:
    if os.environ.get("LAMINA_CI") or os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run the console's browser tests)")
    pytest.skip(f"{what}: the console's browser tests need it (.ci/run installs it)")


def _chromium() -> str:
    for candidate in (os.environ.get("LAMINA_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        _missing("Chromium was not found (/usr/bin/chromium, or chromium on PATH)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(APP / "template.yaml", tmp_path_factory.mktemp("console") / "state").start()
    try:
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def console_url(lamina: LaminaUp) -> str:
    """The console's URL, as the banner printed it."""
    for line in lamina.log().splitlines():
        if line.startswith("Console:"):
            return line.split()[1]
    raise AssertionError(f"no console URL in the banner:\n{lamina.log()}")


@pytest.fixture(scope="module")
def page(console_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=FLAGS,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(console_url)
            yield page
        finally:
            context.close()


def _status(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_console_refuses_requests_without_its_token_or_cookie(
    lamina: LaminaUp, console_url: str
) -> None:
    """Nothing of the console answers without the banner's token or the session cookie: not
    the page, its state, the live stream, nor the form that runs code; a wrong token or cookie
    is refused the same, and a page of another origin is turned away at the endpoint's door."""
    base = lamina.endpoint + "/_lamina/console/"
    for path in ("", "console.js", "api/state", "events", "api/table?name=x"):
        assert _status(base + path) == 403, path
    assert _status(base + "?token=not-the-token") == 403
    assert _status(base + "api/state", {"Cookie": "lamina_console=guessed"}) == 403
    send = b'{"method":"GET","path":"/","headers":{},"body":""}'
    assert _status(base + "api/send", data=send) == 403
    token = console_url.split("token=", 1)[1]
    # The token itself, without the console's own Origin, cannot send a request.
    assert _status(f"{base}api/send?token={token}", data=send) == 403
    evil = {"Origin": "http://evil.example"}
    assert _status(f"{base}api/send?token={token}", evil, send) == 403


def test_banner_url_opens_the_console_and_lists_the_function(page: Any) -> None:
    """Opening the banner's URL trades the token for an HttpOnly, SameSite=Strict cookie, drops
    the token from the address bar, and shows the template's function with its runtime, handler,
    memory and timeout."""
    from playwright.sync_api import expect

    assert "token=" not in page.url
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "lamina_console"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    row = page.locator("#function-list tbody tr", has_text="NotesFunction")
    expect(row).to_contain_text("python3.11")
    expect(row).to_contain_text("app.handler")
    expect(row).to_contain_text("256 MB")
    expect(row).to_contain_text("7 s")
    expect(page.locator("#live")).to_have_text("live")


def test_route_form_invokes_and_the_invocation_and_its_log_appear_live(page: Any) -> None:
    """Sending a request through the route form invokes the function: the form shows the API's
    answer, and the new invocation (with its duration and status) and its log line arrive over
    the live stream without reloading the page; opening the invocation shows its log. Markup in
    the log is shown as text and never runs."""
    from playwright.sync_api import expect

    page.locator("#api-list button", has_text="use").first.click()
    form = page.locator("#send")
    expect(form.locator("input[name=path]")).to_have_value("/notes")
    form.locator("textarea[name=body]").fill(f'{{"id": "n1", "text": "{MARKUP}"}}')
    form.locator("button[type=submit]").click()
    expect(page.locator("#response-status")).to_have_text("201")
    expect(page.locator("#response-body")).to_contain_text('"stored": "n1"')

    expect(page.locator("#tail-log")).to_contain_text(f"note n1: {MARKUP}")
    invocation = page.locator("#function-list button.invocation.success").first
    expect(invocation).to_contain_text("ms success")
    invocation.click()
    log = page.locator("#invocation-log")
    expect(log).to_contain_text("START RequestId:")
    expect(log).to_contain_text(f"note n1: {MARKUP}")
    expect(log).to_contain_text("REPORT RequestId:")
    # Text, not markup: no element was made from the line, and its script never ran.
    assert page.locator("#tail-log script, #tail-log b, #invocation-log script").count() == 0
    assert page.evaluate("window.__injected") is None


def test_an_invocation_from_elsewhere_shows_live(page: Any, lamina: LaminaUp) -> None:
    """An invocation the console did not start (boto3, through the Lambda API) shows in the
    live log and the function's recent invocations without a reload."""
    from playwright.sync_api import expect

    before = page.locator("#function-list button.invocation").count()
    lamina.client().invoke(
        FunctionName="NotesFunction",
        Payload=b'{"headers": {"content-type": "application/json"}, "body": "{\\"id\\": \\"n2\\", \\"text\\": \\"from boto3\\"}"}',
    )
    expect(page.locator("#tail-log")).to_contain_text("note n2: from boto3")
    expect(page.locator("#function-list button.invocation")).to_have_count(before + 1)


def test_table_shows_its_items_as_text(page: Any) -> None:
    """The table's first page lists the item the function stored, markup shown as text."""
    from playwright.sync_api import expect

    page.locator("#table-list button").first.click()
    items = page.locator("#items")
    expect(items).to_contain_text('"id":{"S":"n1"}')
    expect(items).to_contain_text(MARKUP)
    assert page.locator("#items script, #items b").count() == 0


def test_queue_peek_shows_messages_and_leaves_them_visible(page: Any, lamina: LaminaUp) -> None:
    """A queue's peek lists its messages without receiving them: afterwards they are still
    visible, and a consumer receives them as if nobody had looked."""
    from playwright.sync_api import expect

    sqs = lamina.aws("sqs")
    url = sqs.list_queues()["QueueUrls"][0]
    sqs.send_message(QueueUrl=url, MessageBody="peek <i>me</i>")
    page.reload()
    row = page.locator("#queue-list tbody tr", has_text="NotesQueue")
    expect(row).to_contain_text("1")
    row.locator("button").click()
    expect(page.locator("#messages")).to_contain_text("peek <i>me</i>")
    expect(page.locator("#messages")).to_contain_text("visible")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert received[0]["Body"] == "peek <i>me</i>"
    assert received[0].get("Attributes", {}).get("ApproximateReceiveCount", "1") == "1"


def test_buses_rules_and_schedules_are_listed_as_text(page: Any, lamina: LaminaUp) -> None:
    """A rule put on the default bus through EventBridge's API is listed under its bus with
    its pattern and target; the template's schedule is listed with its expression and as
    disabled; a rule's pattern holding markup is shown as text."""
    from playwright.sync_api import expect

    events = lamina.aws("events")
    pattern = json.dumps({"source": [MARKUP]})
    events.put_rule(Name="notes-changed", EventPattern=pattern)
    target = "arn:aws:sqs:us-east-1:123456789012:notes-sink"
    events.put_targets(Rule="notes-changed", Targets=[{"Id": "sink", "Arn": target}])
    page.reload()
    rule = page.locator("#bus-list tr", has_text="notes-changed")
    expect(rule).to_contain_text(target)
    expect(rule).to_contain_text(MARKUP)
    assert page.locator("#bus-list h3", has_text="default").count() == 1
    assert page.locator("#bus-list script, #bus-list b").count() == 0
    schedule = page.locator("#schedule-list tr", has_text="cron(0 3 * * ? *)")
    expect(schedule.locator("td").nth(3)).to_have_text("no")  # Enabled: false
    assert page.evaluate("window.__injected") is None


def test_state_machines_and_the_metrics_placeholder(page: Any) -> None:
    """The template's state machine is listed (Step Functions is served); metrics and traces
    have their sections, filled by what Lamina measures and X-Ray holds."""
    from playwright.sync_api import expect

    expect(page.locator("#machine-list")).to_contain_text("notes-flow")
    expect(page.locator("#machine-list")).to_contain_text("EXPRESS")
    expect(page.locator("#panel-list")).to_contain_text("Metrics (since start)")
    expect(page.locator("#panel-list")).to_contain_text("Traces (latest)")
    expect(page.locator("#panel-list")).not_to_contain_text("Nothing collects these yet.")


def test_an_execution_is_drawn_as_its_states_coloured_by_its_history(
    page: Any, lamina: LaminaUp
) -> None:
    """A Standard state machine's executions are listed under it; opening one draws its states
    as a graph coloured by the history: the failed run's path succeeded up to its Fail state
    (failed), the branches it did not take not reached; a run waiting in a Wait state shows it
    running. A state named with markup is drawn as text."""
    from playwright.sync_api import expect

    sfn = lamina.aws("stepfunctions")
    boom = f"Boom {MARKUP}"
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.fail", "BooleanEquals": True, "Next": boom},
                    {"Variable": "$.hold", "BooleanEquals": True, "Next": "Hold"},
                ],
                "Default": "Done",
            },
            boom: {"Type": "Fail", "Error": "Boom"},
            "Hold": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = sfn.create_state_machine(
        name="drawn",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/drawn",
    )["stateMachineArn"]
    failed = sfn.start_execution(
        stateMachineArn=machine, name="fails", input='{"fail": true, "hold": false}'
    )
    held = sfn.start_execution(
        stateMachineArn=machine, name="holds", input='{"fail": false, "hold": true}'
    )

    def status(execution: dict[str, Any], wanted: str) -> bool:
        found = sfn.describe_execution(executionArn=execution["executionArn"])
        return bool(found["status"] == wanted)

    wait_for(lambda: status(failed, "FAILED"), timeout=30)
    wait_for(
        lambda: any(
            e["type"] == "WaitStateEntered"
            for e in sfn.get_execution_history(executionArn=held["executionArn"])["events"]
        ),
        timeout=30,
    )
    assert status(held, "RUNNING")
    try:
        page.reload()
        page.locator("#machine-list tr", has_text="drawn").locator("button").click()
        page.locator("#executions button", has_text="fails FAILED").click()
        graph = page.locator("#execution-graph svg.state-graph")
        expect(graph.locator('g[data-status="failed"]')).to_have_count(1)
        assert graph.locator('g[data-state="Start"]').get_attribute("data-status") == "succeeded"
        assert graph.locator('g[data-state="Check"]').get_attribute("data-status") == "succeeded"
        assert graph.locator("g.failed").get_attribute("data-state") == boom
        for name in ("Hold", "Done"):
            state = graph.locator(f'g[data-state="{name}"]')
            assert state.get_attribute("data-status") == "not-reached"
        assert graph.locator("line.transition").count() == 5
        assert page.locator("#execution-graph script, #execution-graph b").count() == 0
        assert page.evaluate("window.__injected") is None

        page.locator("#executions button", has_text="holds RUNNING").click()
        expect(graph.locator('g[data-state="Hold"]')).to_have_attribute("data-status", "running")
    finally:
        sfn.stop_execution(executionArn=held["executionArn"])


def test_parallel_branches_and_map_iterator_states_are_drawn_inside_their_parent(
    page: Any, lamina: LaminaUp
) -> None:
    """A Parallel's branch states and a Map's iterator states are drawn inside their parent's
    box (``data-parent``), each with its status from the execution's history: the finished
    branches' states succeeded, the iterator state both iterations wait in is running (and so
    is the Map), the iterator state they passed succeeded, the state after the Map not
    reached."""
    from playwright.sync_api import expect

    sfn = lamina.aws("stepfunctions")
    item = {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "Next": "Nap"}}}
    item["States"]["Nap"] = {"Type": "Wait", "Seconds": 600, "End": True}
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                    {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
                ],
                "ResultPath": None,
                "Next": "Each",
            },
            "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": item, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = sfn.create_state_machine(
        name="nested",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/nested",
    )["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=machine, name="nests", input='{"items": [1, 2]}')
    arn = started["executionArn"]

    def napping() -> bool:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return sum(e["type"] == "WaitStateEntered" for e in events) == 2

    assert wait_for(napping, timeout=30)
    try:
        page.reload()
        page.locator("#machine-list tr", has_text="nested").locator("button").click()
        page.locator("#executions button", has_text="nests RUNNING").click()
        graph = page.locator("#execution-graph svg.state-graph")
        expect(graph.locator('g[data-state="Nap"]')).to_have_attribute("data-status", "running")
        expected = {
            "Fan": (None, "succeeded"),
            "Left": ("Fan", "succeeded"),
            "Right": ("Fan", "succeeded"),
            "Each": (None, "running"),
            "Item": ("Each", "succeeded"),
            "Nap": ("Each", "running"),
            "Done": (None, "not-reached"),
        }
        for name, (parent, status) in expected.items():
            state = graph.locator(f'g[data-state="{name}"]')
            assert state.get_attribute("data-parent") == parent, name
            assert state.get_attribute("data-status") == status, name
    finally:
        sfn.stop_execution(executionArn=arn)


def test_a_trace_opens_as_a_waterfall_of_its_segments(page: Any) -> None:
    """The request the route form sent was traced: its row in the traces panel opens a
    waterfall with a bar for the gateway's segment, its Lambda integration subsegment below
    it, and the function's segments and their Invocation subsegment, on one time axis."""
    from playwright.sync_api import expect

    page.reload()
    page.locator("#panel-list button.trace").first.click()
    chart = page.locator("#trace-waterfall svg.waterfall")
    expect(chart.locator('g.bar[data-name="Lambda"]')).to_have_count(1)
    assert chart.locator('g.bar[data-kind="segment"]').count() >= 3
    assert chart.locator('g.bar[data-name="Invocation"]').count() == 1
    gateway = chart.locator('g.bar[data-kind="segment"]').first
    assert gateway.get_attribute("data-depth") == "0"
    assert chart.locator('g.bar[data-name="Lambda"]').get_attribute("data-depth") == "1"


def test_a_traced_execution_shows_in_the_waterfall_with_its_states(
    page: Any, lamina: LaminaUp
) -> None:
    """A state machine with X-Ray tracing on: its execution's trace opens as a waterfall whose
    root bar is the state machine's segment, its states' subsegments one level below it, and
    a Parallel's branch state one level below the Parallel."""
    from playwright.sync_api import expect

    sfn = lamina.aws("stepfunctions")
    definition = {
        "StartAt": "Begin",
        "States": {
            "Begin": {"Type": "Pass", "Next": "Split"},
            "Split": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Side", "States": {"Side": {"Type": "Pass", "End": True}}}
                ],
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name="traced-flow",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/traced",
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    header = sfn.describe_execution(executionArn=arn)["traceHeader"]
    root = header.split(";")[0].removeprefix("Root=")
    xray = lamina.aws("xray")
    assert wait_for(lambda: xray.batch_get_traces(TraceIds=[root])["Traces"], timeout=30)
    page.reload()
    page.locator(f'#panel-list button.trace[data-trace="{root}"]').click()
    chart = page.locator("#trace-waterfall svg.waterfall")
    machine_bar = chart.locator('g.bar[data-name="traced-flow"]')
    expect(machine_bar).to_have_count(1)
    assert machine_bar.get_attribute("data-depth") == "0"
    assert machine_bar.get_attribute("data-kind") == "segment"
    for name, depth in (("Begin", "1"), ("Split", "1"), ("Side", "2")):
        assert chart.locator(f'g.bar[data-name="{name}"]').get_attribute("data-depth") == depth
