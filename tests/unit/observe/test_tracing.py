"""The segments Lamina records itself (observe/tracing.py), built from the facts the gateway
and the engine record, without a server."""

from __future__ import annotations

from typing import Any

from lamina.observe.tracing import (
    HttpFacts,
    InvocationFacts,
    Recorded,
    Tracing,
    documents,
    parse,
)


class Drawn(list[dict[str, Any]]):
    """A sink that keeps the documents of what it is handed, drawn as a reader would."""

    def __call__(self, recorded: list[Recorded]) -> None:
        self.extend(documents(recorded))


def facts(status: int = 200) -> HttpFacts:
    return HttpFacts(
        api_id="a1b2c3",
        stage="prod",
        rest=True,
        method="POST",
        url="http://localhost:3000/prod/orders",
        status=status,
        client_ip="127.0.0.1",
        user_agent="curl/8",
        content_length=12,
        function="orders",
        region="us-east-1",
        account_id="123456789012",
        request_id="r-1",
    )


def test_an_unsampled_header_records_nothing_and_a_missing_one_starts_a_trace() -> None:
    """``Sampled=0`` (or no root) leaves the request untraced; without a header the gateway
    starts a sampled trace of its own, with no parent, and hands its integration's id on."""
    tracing = Tracing()
    unsampled = "Root=1-5f84c7a0-abcdefabcdefabcdefabcdef;Sampled=0"
    assert tracing.enter(unsampled, 1.0) == (None, unsampled)
    assert tracing.enter_lambda(unsampled) is None
    assert tracing.enter_lambda(None) is None
    hop, header = tracing.enter(None, 1_602_537_376.0)
    assert hop is not None and hop.parent is None and hop.root.startswith("1-5f84c7a0-")
    assert header == hop.header
    assert parse(header).parent == hop.onward and parse(header).sampled


def test_traces_started_here_are_sampled_by_reservoir_then_rate() -> None:
    """Requests without a header: the first ``reservoir`` of each second are sampled, the
    rest at ``rate`` (0 here: none), and the count starts again the next second. An unsampled
    request still gets a header, with a root and ``Sampled=0``."""
    tracing = Tracing(reservoir=3, rate=0.0)
    first = [tracing.enter(None, 100.2)[0] is not None for _ in range(5)]
    assert first == [True, True, True, False, False]
    hop, header = tracing.enter(None, 100.9)
    assert hop is None and header.endswith(";Sampled=0") and parse(header).root
    # Given the request's id (a random UUID), the root's random part is taken from it.
    hop, header = tracing.enter(None, 100.9, "8d1c2f3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")
    assert (hop, header) == (None, f"Root=1-{100:08x}-8d1c2f3e4a5b4c6d8e7f0a1b;Sampled=0")
    assert tracing.enter(None, 101.0)[0] is not None


def test_the_chain_gateway_lambda_function_links_by_parent_ids() -> None:
    """The gateway's segment (AWS::ApiGateway::Stage, API/STAGE, HTTP facts, its Lambda
    subsegment), the Lambda service segment under that subsegment, and the function segment
    under it with Initialization/Invocation/Overhead on a cold start; the function is handed
    the function segment as its Parent; an error marks the function segment a fault."""
    got = Drawn()
    tracing = Tracing([got])
    gateway, _ = tracing.enter(
        "Root=1-5f84c7a0-abcdefabcdefabcdefabcdef;Parent=00000000000000aa;Sampled=1", 10.0
    )
    assert gateway is not None
    lam = tracing.enter_lambda(gateway.header)
    assert lam is not None and parse(lam.header).parent == lam.onward
    tracing.invocation(
        lam, InvocationFacts("orders", "arn:aws:lambda:us-east-1:1:function:orders", "r-2",
                             10.01, 0.2, 10.25, 0.05, 10.31, "Unhandled")
    )  # fmt: skip
    tracing.gateway(gateway, 10.0, 10.01, 10.32, lambda: facts(502))
    tracing.flush()
    by = {s["origin"]: s for s in got}
    stage = by["AWS::ApiGateway::Stage"]
    assert stage["name"] == "a1b2c3/prod" and stage["parent_id"] == "00000000000000aa"
    assert stage["fault"] is True and stage["http"]["response"]["status"] == 502
    assert stage["resource_arn"] == "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod"
    (integration,) = stage["subsegments"]
    service, function = by["AWS::Lambda"], by["AWS::Lambda::Function"]
    assert service["parent_id"] == integration["id"] == gateway.onward
    assert function["parent_id"] == service["id"] and function["id"] == lam.onward
    assert [s["name"] for s in function["subsegments"]] == [
        "Initialization",
        "Invocation",
        "Overhead",
    ]
    assert function["start_time"] == 10.05 and function["fault"] is True
    assert {s["trace_id"] for s in got} == {"1-5f84c7a0-abcdefabcdefabcdefabcdef"}


def test_a_failing_sink_does_not_starve_the_others_and_close_flushes() -> None:
    """A sink that raises is logged and the next sink still gets the batch; ``close`` hands
    over what waits (the worker thread's batch is not lost at shutdown)."""
    got = Drawn()

    def broken(recorded: list[Recorded]) -> None:
        raise RuntimeError("down")

    tracing = Tracing([broken, got])
    hop, _ = tracing.enter(None, 10.0)
    assert hop is not None
    tracing.gateway(hop, 10.0, 10.0, 10.1, facts)
    tracing.close()
    assert [s["origin"] for s in got] == ["AWS::ApiGateway::Stage"]


def test_an_active_function_samples_what_no_caller_decided() -> None:
    """Active tracing: an invocation without a header, or with one that made no sampling
    decision, is sampled by the rule (a new root, or the caller's); an explicit ``Sampled=0``
    is respected, and a PassThrough function traces only sampled headers."""
    tracing = Tracing(reservoir=1, rate=0.0)
    hop = tracing.enter_lambda(None, active=True, now=200.0)
    assert hop is not None and hop.parent is None and hop.root.startswith(f"1-{200:08x}-")
    assert tracing.enter_lambda(None, active=True, now=200.5) is None  # reservoir spent
    undecided = "Root=1-5f84c7a0-abcdefabcdefabcdefabcdef;Parent=00000000000000aa"
    decided = tracing.enter_lambda(undecided, active=True, now=201.0)
    assert decided is not None and decided.root == "1-5f84c7a0-abcdefabcdefabcdefabcdef"
    assert decided.parent == "00000000000000aa"
    assert tracing.enter_lambda(undecided + ";Sampled=0", active=True, now=202.0) is None
    assert tracing.enter_lambda(None, active=False, now=203.0) is None


def test_an_executions_segment_nests_its_states_and_a_span_left_open_ends_with_it() -> None:
    """A traced execution's segment: named after its state machine, its resource the
    execution, under the caller's Parent; states nest under the state they ran in; a call's
    header names its subsegment as Parent; a failed state carries its error; a span still
    open when the execution ended (a branch cancelled with its Parallel) ends with it; a
    FAILED execution is a fault, an ABORTED one is not."""
    from lamina.observe.statetrace import ExecutionTrace

    arn = "arn:aws:states:us-east-1:123456789012:execution:flow:run-1"
    trace = ExecutionTrace(
        "1-5f84c7a1-" + "ab" * 12, "0a1b2c3d4e5f6a7b", "flow", arn, "us-east-1", "1"
    )
    fan = trace.enter(None, "Fan", "Parallel", 10.0)
    left = trace.enter(fan, "Left", "Task", 10.1)
    call, header = trace.call(
        left, "Lambda", "Invoke", "arn:aws:lambda:us-east-1:1:function:f", 10.2
    )
    trace.leave(call, 10.3, "Lambda.Unknown")
    trace.leave(left, 10.4, "Lambda.Unknown")
    trace.enter(fan, "Right", "Wait", 10.1)  # never left: cancelled with the Parallel
    trace.leave(fan, 10.5, "Lambda.Unknown")
    got = Drawn()
    tracing = Tracing([got])
    tracing.execution(trace, 10.0, 11.0, "FAILED")
    tracing.execution(trace, 10.0, 11.0, "ABORTED")
    tracing.close()
    failed, aborted = got
    assert header == f"Root={trace.root};Parent={call.id};Sampled=1"
    assert (failed["name"], failed["origin"]) == ("flow", "AWS::StepFunctions::StateMachine")
    assert (failed["resource_arn"], failed["parent_id"]) == (arn, "0a1b2c3d4e5f6a7b")
    assert failed["fault"] is True and "fault" not in aborted
    (fan_doc,) = failed["subsegments"]
    left_doc, right_doc = fan_doc["subsegments"]
    assert (left_doc["name"], right_doc["name"]) == ("Left", "Right")
    assert right_doc["end_time"] == 11.0
    (call_doc,) = left_doc["subsegments"]
    assert call_doc["id"] == call.id and call_doc["namespace"] == "aws"
    assert call_doc["aws"]["function_name"] == "f"
    assert call_doc["cause"]["exceptions"][0]["type"] == "Lambda.Unknown"


def test_recorded_hops_are_plain_facts_drawn_the_same_on_every_reading() -> None:
    """What a sink gets is one row per hop whose facts survive a JSON round trip (the X-Ray
    store keeps them so), and drawing them twice gives the same documents: the ids of the
    subsegments and exceptions the drawing adds derive from the hop, they are not invented
    anew on each read."""
    import json

    kept: list[Recorded] = []
    tracing = Tracing([kept.extend])
    gateway, _ = tracing.enter(None, 10.0)
    assert gateway is not None
    lam = tracing.enter_lambda(gateway.header)
    assert lam is not None
    tracing.invocation(
        lam, InvocationFacts("orders", "arn:aws:lambda:us-east-1:1:function:orders", "r-2",
                             10.01, 0.2, 10.25, 0.05, 10.31, "Unhandled")
    )  # fmt: skip
    tracing.gateway(gateway, 10.0, 10.01, 10.32, facts)
    tracing.flush()
    assert [(r.kind, r.id, r.trace_id) for r in kept] == [
        ("lambda", lam.id, lam.root),
        ("gateway", gateway.id, gateway.root),
    ]
    stored = [r._replace(facts=json.loads(json.dumps(r.facts))) for r in kept]
    first, again = documents(stored), documents(stored)
    assert first == again == documents(kept)
    function = next(d for d in first if d["origin"] == "AWS::Lambda::Function")
    sub_ids = [s["id"] for s in function["subsegments"]]
    assert len(set(sub_ids)) == 3 and all(len(i) == 16 for i in sub_ids)
    assert function["cause"]["exceptions"][0]["id"] not in sub_ids
