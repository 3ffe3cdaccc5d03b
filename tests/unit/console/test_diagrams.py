"""The console's SVG diagrams (console/stategraph.py, console/waterfall.py), drawn from plain
documents and read back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lamina.console.stategraph import graph, statuses
from lamina.console.waterfall import waterfall

SVG = "{http://www.w3.org/2000/svg}"
DEFINITION = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "<b>Boom</b>"}],
            "Default": "Work",
        },
        "Work": {
            "Type": "Task",
            "Resource": "arn:x",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
            "Next": "Done",
        },
        "<b>Boom</b>": {"Type": "Fail"},
        "Done": {"Type": "Succeed"},
    },
}


def entered(name: str, kind: str = "Pass") -> dict[str, object]:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}


def exited(name: str, kind: str = "Pass") -> dict[str, object]:
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name}}


def drawn_states(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {g.get("data-state", ""): g.get("data-status", "") for g in root.iter(f"{SVG}g")}


def test_states_are_coloured_by_the_history_and_names_are_text() -> None:
    """Entered and exited: succeeded; entered and never exited when the execution is over:
    failed; the states the execution never entered: not reached. A state named with markup is
    an attribute value and text in the SVG, never an element."""
    events = [
        {"type": "ExecutionStarted"},
        entered("Start"), exited("Start"),
        entered("Check", "Choice"), exited("Check", "Choice"),
        entered("<b>Boom</b>", "Fail"),
        {"type": "ExecutionFailed"},
    ]  # fmt: skip
    svg = graph(DEFINITION, statuses(events, running=False))
    assert drawn_states(svg) == {
        "Start": "succeeded",
        "Check": "succeeded",
        "<b>Boom</b>": "failed",
        "Work": "not-reached",
        "Done": "not-reached",
    }
    root = ET.fromstring(svg)
    assert not list(root.iter("b")) and not list(root.iter(f"{SVG}b"))
    # One arrow per transition named: Start->Check, two from Check, Work's Next and Catch.
    assert len(list(root.iter(f"{SVG}line"))) == 5


def test_a_running_execution_and_a_caught_error() -> None:
    """A state entered and not exited while the execution runs is running; a task whose error
    a Catch handled (a TaskFailed, then its exit) is caught."""
    events = [
        entered("Start"), exited("Start"),
        entered("Check", "Choice"), exited("Check", "Choice"),
        entered("Work", "Task"), {"type": "TaskFailed"}, exited("Work", "Task"),
        entered("Done", "Succeed"),
    ]  # fmt: skip
    found = statuses(events, running=True)
    assert found["Work"] == "caught" and found["Done"] == "running"


def test_an_error_belongs_to_the_branch_it_happened_on() -> None:
    """In a Parallel, an error event on one branch's chain (its previousEventId) marks that
    branch's state, not the state another branch entered after it; a state a Map's iterations
    entered twice and exited once is still running."""
    event_id = iter(range(1, 100))

    def on(previous: int, event: dict[str, object]) -> dict[str, object]:
        return {**event, "id": next(event_id), "previousEventId": previous}

    events = [on(0, {"type": "ExecutionStarted"}), on(1, entered("Fan", "Parallel"))]
    events.append(on(2, entered("A", "Task")))  # 3: branch A
    events.append(on(2, entered("B", "Task")))  # 4: branch B, entered after A
    events.append(on(3, {"type": "TaskFailed"}))  # 5: A's task failed
    events.append(on(5, exited("A", "Task")))  # a Catch handled it
    events.append(on(2, entered("Item")))
    events.append(on(2, entered("Item")))
    events.append(on(8, exited("Item")))
    found = statuses(events, running=True)
    assert found["A"] == "caught" and found["B"] == "running" and found["Item"] == "running"


def test_parallel_and_map_states_are_drawn_inside_their_parent() -> None:
    """A Parallel's branch states and a Map's iterator states are drawn (``data-parent``
    naming the state they are in) inside the parent's box, each with its own status."""
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "End": True,
            },
        },
    }
    svg = graph(definition, {"Fan": "succeeded", "A": "succeeded", "B": "caught"})
    root = ET.fromstring(svg)
    groups = {g.get("data-state"): g for g in root.iter(f"{SVG}g")}
    assert {k: g.get("data-parent") for k, g in groups.items()} == {
        "Fan": None, "A": "Fan", "B": "Fan", "Each": None, "Item": "Each",
    }  # fmt: skip
    assert groups["B"].get("data-status") == "caught"
    assert groups["Item"].get("data-status") == "not-reached"

    def box(name: str) -> tuple[float, float, float, float]:
        rect = groups[name].find(f"{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        return x, y, x + float(rect.get("width", 0)), y + float(rect.get("height", 0))

    for child, parent in (("A", "Fan"), ("B", "Fan"), ("Item", "Each")):
        inner, outer = box(child), box(parent)
        assert outer[0] < inner[0] and outer[1] < inner[1]
        assert inner[2] < outer[2] and inner[3] < outer[3]


def test_the_waterfall_nests_subsegments_under_their_parents_on_one_axis() -> None:
    """Segments, their nested subsegments and an SDK's independent subsegment (by parent_id)
    are one row each, in tree order with their depth; names are escaped text."""
    segments = [
        {
            "id": "a" * 16, "name": "api/prod", "trace_id": "t", "start_time": 10.0,
            "end_time": 10.5, "origin": "AWS::ApiGateway::Stage",
            "subsegments": [{"id": "b" * 16, "name": "Lambda", "start_time": 10.01, "end_time": 10.49}],
        },
        {
            "id": "c" * 16, "name": "fn", "trace_id": "t", "parent_id": "b" * 16,
            "start_time": 10.02, "end_time": 10.48, "fault": True,
        },
        {
            "id": "d" * 16, "type": "subsegment", "name": "<script>x</script>", "trace_id": "t",
            "parent_id": "c" * 16, "start_time": 10.1, "end_time": 10.2,
        },
    ]  # fmt: skip
    root = ET.fromstring(waterfall(segments))
    bars = [
        (g.get("data-name"), g.get("data-depth"), g.get("data-kind")) for g in root.iter(f"{SVG}g")
    ]
    assert bars == [
        ("api/prod", "0", "segment"),
        ("Lambda", "1", "subsegment"),
        ("fn", "2", "segment"),
        ("<script>x</script>", "3", "subsegment"),
    ]
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[0] == "0.0 ms" and ticks[-1] == "500.0 ms"
