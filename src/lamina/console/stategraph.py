"""A Step Functions execution drawn as the graph of its state machine's states (SVG).

``graph(definition, found)`` lays the top-level states out in rows by their distance from
``StartAt`` (each state placed once, at the first row that reaches it), draws an arrow
for every transition the definition names (``Next``, a Choice's rules and ``Default``, a
``Catch``'s ``Next``), and colours each state by what the execution's history says of it:

* ``succeeded``: entered and exited;
* ``failed``: entered, never exited, and the execution is over (a Fail state, a task whose
  error was not caught);
* ``running``: entered, not exited, and the execution still runs;
* ``caught``: exited after an error a ``Catch`` handled (a ``...Failed`` event, then on);
* ``not-reached``: never entered.

A Parallel's box holds its branches side by side, a Map's box its iterator, each laid out the
same way (and so on for nested ones); their states' ``g`` carry ``data-parent``, the Parallel
or Map they are in, and their statuses come from the same history (a Map's iterator state is
``running`` while one of its iterations is in it). Every name and status is XML-escaped: a
state named ``<script>`` is text in the picture. The SVG uses presentation attributes only (no
``style``), so the console's Content-Security-Policy applies to it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_WIDTH, _HEIGHT, _GAP_X, _GAP_Y, _MARGIN = 160, 36, 24, 40, 16
# The room around a Parallel's branches (a Map's iterator) inside its box.
_PAD = 12
COLOURS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "running": "#1565c0",
    "caught": "#ef6c00",
    "not-reached": "#9e9e9e",
}


def statuses(events: Iterable[Mapping[str, Any]], running: bool) -> dict[str, str]:
    """Each entered state's status from an execution's history events, in order.

    A state entered more than once (in a loop, in each of a Map's iterations) is ``running``
    (or ``failed``, once the execution is over) while one of its entries has not exited. An
    error event belongs to the state whose branch it is on: its ``previousEventId`` chain leads
    back to that state's ``...StateEntered`` (a Parallel's branches run side by side, so the
    last state entered overall is not the one)."""
    entered: dict[str, int] = {}
    exited: dict[str, int] = {}
    errored: set[str] = set()
    owner: dict[int, str] = {}  # event id -> the state whose branch the event is on
    last: str | None = None  # the state entered last (events without ids: one branch)
    for event in events:
        kind = str(event.get("type", ""))
        event_id, previous = event.get("id"), event.get("previousEventId")
        current: str | None = last
        if isinstance(previous, int) and previous in owner:
            current = owner[previous]
        if kind.endswith("StateEntered"):
            current = last = str((event.get("stateEnteredEventDetails") or {}).get("name", ""))
            entered[current] = entered.get(current, 0) + 1
        elif kind.endswith("StateExited"):
            name = str((event.get("stateExitedEventDetails") or {}).get("name", ""))
            exited[name] = exited.get(name, 0) + 1
        elif kind.endswith("Failed") and not kind.startswith("Execution") and current:
            errored.add(current)
        if isinstance(event_id, int) and current is not None:
            owner[event_id] = current
    found = {}
    for name, times in entered.items():
        if exited.get(name, 0) >= times:
            found[name] = "caught" if name in errored else "succeeded"
        else:
            found[name] = "running" if running else "failed"
    return found


def _targets(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The states ``state`` may go to, each with the arrow's label."""
    found: list[tuple[str, str]] = []
    for rule in state.get("Choices") or ():
        if isinstance(rule, Mapping) and rule.get("Next"):
            found.append((str(rule["Next"]), ""))
    if state.get("Default"):
        found.append((str(state["Default"]), "default"))
    if state.get("Next"):
        found.append((str(state["Next"]), ""))
    for catcher in state.get("Catch") or ():
        if isinstance(catcher, Mapping) and catcher.get("Next"):
            found.append((str(catcher["Next"]), "catch"))
    return found


def _layers(definition: Mapping[str, Any]) -> list[list[str]]:
    states = definition.get("States") or {}
    start = str(definition.get("StartAt", ""))
    placed: set[str] = set()
    layers: list[list[str]] = []
    frontier = [start] if start in states else []
    while frontier:
        layer = [name for name in dict.fromkeys(frontier) if name not in placed]
        if not layer:
            break
        placed.update(layer)
        layers.append(layer)
        frontier = [t for name in layer for t, _ in _targets(states[name]) if t in states]
    unreachable = [name for name in states if name not in placed]
    if unreachable:
        layers.append(unreachable)
    return layers


def _inner(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The definitions drawn inside a state: a Parallel's branches, a Map's iterator."""
    if state.get("Type") == "Parallel":
        return [b for b in state.get("Branches") or () if isinstance(b, Mapping)]
    if state.get("Type") == "Map":
        found = state.get("ItemProcessor") or state.get("Iterator")
        return [found] if isinstance(found, Mapping) else []
    return []


class _Block:
    """A definition's states laid out in rows (the machine's, a branch's, an iterator's)."""

    def __init__(self, definition: Mapping[str, Any], parent: str | None) -> None:
        self.definition = definition
        self.parent = parent
        states = definition.get("States") or {}
        self.rows = [
            [_Node(name, states[name] or {}, parent) for name in layer]
            for layer in _layers(definition)
        ]
        self.heights = [max(n.height for n in row) for row in self.rows]
        widths = [sum(n.width for n in row) + (len(row) - 1) * _GAP_X for row in self.rows]
        self.width = max(widths, default=_WIDTH)
        self.height = sum(self.heights) + max(len(self.rows) - 1, 0) * _GAP_Y

    def place(self, left: float, top: float) -> None:
        y = top
        for row, height in zip(self.rows, self.heights, strict=True):
            span = sum(n.width for n in row) + (len(row) - 1) * _GAP_X
            x = left + (self.width - span) / 2
            for node in row:
                node.place(x, y)
                x += node.width + _GAP_X
            y += height + _GAP_Y

    def nodes(self) -> dict[str, _Node]:
        return {n.name: n for row in self.rows for n in row}


class _Node:
    """One state's box: a plain one, or a Parallel's (Map's) holding its branches' blocks."""

    def __init__(self, name: str, state: Mapping[str, Any], parent: str | None) -> None:
        self.name = name
        self.state = state
        self.parent = parent
        self.blocks = [_Block(d, name) for d in _inner(state)]
        self.x = self.y = 0.0
        self.width: float
        self.height: float
        if self.blocks:
            inside = sum(b.width for b in self.blocks) + (len(self.blocks) - 1) * _GAP_X
            self.width = max(_WIDTH, inside + 2 * _PAD)
            self.height = _HEIGHT + max(b.height for b in self.blocks) + _PAD
        else:
            self.width, self.height = _WIDTH, _HEIGHT

    def place(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        inside = sum(b.width for b in self.blocks) + (len(self.blocks) - 1) * _GAP_X
        left = x + (self.width - inside) / 2
        for block in self.blocks:
            block.place(left, y + _HEIGHT)
            left += block.width + _GAP_X


def graph(definition: Mapping[str, Any], found: Mapping[str, str]) -> str:
    """The SVG of ``definition``'s states, coloured by ``found`` (``statuses``)."""
    block = _Block(definition, None)
    width = _MARGIN * 2 + block.width
    height = _MARGIN * 2 + block.height
    block.place(_MARGIN, _MARGIN)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="state-graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    _draw(block, found, parts)
    parts.append("</svg>")
    return "".join(parts)


def _draw(block: _Block, found: Mapping[str, str], parts: list[str]) -> None:
    """Append ``block``'s transitions and states; a container's box before what it holds."""
    where = block.nodes()
    for node in where.values():
        for target, label in _targets(node.state):
            other = where.get(target)
            if other is None:
                continue
            x1, y1 = node.x + node.width / 2, node.y + node.height
            x2, y2 = other.x + other.width / 2, other.y
            if other.y <= node.y:  # a loop back up: leave from the side
                x1, y1 = node.x + node.width, node.y + _HEIGHT / 2
                x2, y2 = other.x + other.width, other.y + _HEIGHT / 2
            parts.append(
                f'<line class="transition" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                f'y2="{y2:.1f}" stroke="#555" marker-end="url(#arrow)"/>'
            )
            if label:
                parts.append(
                    f'<text x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2:.1f}" '
                    f'font-size="10" fill="#555">{label}</text>'
                )
    for node in where.values():
        status = found.get(node.name, "not-reached")
        kind = str(node.state.get("Type", ""))
        colour = COLOURS.get(status, COLOURS["not-reached"])
        parent = f" data-parent={quoteattr(node.parent)}" if node.parent is not None else ""
        # A container's label sits in its header row; a plain state's in its middle.
        text_y = node.y + (_HEIGHT / 2 + 4 if not node.blocks else 16)
        dashed = ' stroke-dasharray="6 3"' if node.blocks else ""
        parts.append(
            f'<g class="state {status}" data-state={quoteattr(node.name)} '
            f'data-status="{status}"{parent}>'
            f"<title>{escape(f'{node.name} ({kind}): {status}')}</title>"
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.width:.0f}" '
            f'height="{node.height:.0f}" rx="6" fill="{colour}" '
            f'fill-opacity="{0.06 if node.blocks else 0.15}" stroke="{colour}" '
            f'stroke-width="2"{dashed}/>'
            f'<text x="{node.x + node.width / 2:.1f}" y="{text_y:.1f}" '
            f'text-anchor="middle" font-size="12" fill="#1b1f24">'
            f"{escape(_short(node.name))}</text>"
            "</g>"
        )
        for inner in node.blocks:
            _draw(inner, found, parts)


def _short(name: str, room: int = 22) -> str:
    return name if len(name) <= room else name[: room - 1] + "…"
