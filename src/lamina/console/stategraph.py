"""A Step Functions execution drawn as the graph of its state machine's states (SVG).

``graph(definition, events, status)`` lays the top-level states out in rows by their distance
from ``StartAt`` (each state placed once, at the first row that reaches it), draws an arrow
for every transition the definition names (``Next``, a Choice's rules and ``Default``, a
``Catch``'s ``Next``), and colours each state by what the execution's history says of it:

* ``succeeded``: entered and exited;
* ``failed``: entered, never exited, and the execution is over (a Fail state, a task whose
  error was not caught);
* ``running``: entered, not exited, and the execution still runs;
* ``caught``: exited after an error a ``Catch`` handled (a ``...Failed`` event, then on);
* ``not-reached``: never entered.

States inside a Parallel's branches or a Map's iterator are not drawn (the Parallel or Map is
one node). Every name and status is XML-escaped: a state named ``<script>`` is text in the
picture. The SVG uses presentation attributes only (no ``style``), so the console's
Content-Security-Policy applies to it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_WIDTH, _HEIGHT, _GAP_X, _GAP_Y, _MARGIN = 160, 36, 24, 40, 16
COLOURS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "running": "#1565c0",
    "caught": "#ef6c00",
    "not-reached": "#9e9e9e",
}


def statuses(events: Iterable[Mapping[str, Any]], running: bool) -> dict[str, str]:
    """Each entered state's status from an execution's history events, in order."""
    entered: dict[str, bool] = {}
    errored: set[str] = set()
    current: str | None = None
    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            current = str((event.get("stateEnteredEventDetails") or {}).get("name", ""))
            entered[current] = False
        elif kind.endswith("StateExited"):
            name = str((event.get("stateExitedEventDetails") or {}).get("name", ""))
            entered[name] = True
        elif kind.endswith("Failed") and not kind.startswith("Execution") and current:
            errored.add(current)
    found = {}
    for name, exited in entered.items():
        if exited:
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


def graph(definition: Mapping[str, Any], found: Mapping[str, str]) -> str:
    """The SVG of ``definition``'s states, coloured by ``found`` (``statuses``)."""
    states = definition.get("States") or {}
    layers = _layers(definition)
    widest = max((len(layer) for layer in layers), default=1)
    width = _MARGIN * 2 + widest * _WIDTH + (widest - 1) * _GAP_X
    height = _MARGIN * 2 + len(layers) * _HEIGHT + max(len(layers) - 1, 0) * _GAP_Y
    where: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        span = len(layer) * _WIDTH + (len(layer) - 1) * _GAP_X
        left = (width - span) / 2
        for column, name in enumerate(layer):
            where[name] = (left + column * (_WIDTH + _GAP_X), _MARGIN + row * (_HEIGHT + _GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="state-graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for name, (x, y) in where.items():
        for target, label in _targets(states[name]):
            if target not in where:
                continue
            tx, ty = where[target]
            x1, y1 = x + _WIDTH / 2, y + _HEIGHT
            x2, y2 = tx + _WIDTH / 2, ty
            if ty <= y:  # a loop back up: leave from the side
                x1, y1, x2, y2 = x + _WIDTH, y + _HEIGHT / 2, tx + _WIDTH, ty + _HEIGHT / 2
            parts.append(
                f'<line class="transition" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                f'y2="{y2:.1f}" stroke="#555" marker-end="url(#arrow)"/>'
            )
            if label:
                parts.append(
                    f'<text x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2:.1f}" '
                    f'font-size="10" fill="#555">{label}</text>'
                )
    for name, (x, y) in where.items():
        status = found.get(name, "not-reached")
        kind = str((states[name] or {}).get("Type", ""))
        colour = COLOURS.get(status, COLOURS["not-reached"])
        parts.append(
            f'<g class="state {status}" data-state={quoteattr(name)} data-status="{status}">'
            f"<title>{escape(f'{name} ({kind}): {status}')}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{_WIDTH}" height="{_HEIGHT}" rx="6" '
            f'fill="{colour}" fill-opacity="0.15" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + _WIDTH / 2:.1f}" y="{y + _HEIGHT / 2 + 4:.1f}" '
            f'text-anchor="middle" font-size="12" fill="#1b1f24">{escape(_short(name))}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, room: int = 22) -> str:
    return name if len(name) <= room else name[: room - 1] + "…"
