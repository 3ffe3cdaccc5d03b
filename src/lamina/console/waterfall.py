"""A trace drawn as a waterfall (SVG): one bar per segment and subsegment on a shared time axis.

``waterfall(segments)`` takes a trace's segment documents as X-Ray stores them (segments with
nested ``subsegments``, and independent subsegments an SDK sent with a ``parent_id``), orders
them as a tree (each node under its parent, siblings by start time; a node whose parent is
not in the trace is a root) and draws one row per node: its name indented by depth, a bar
from its start to its end relative to the trace's first start, and its duration. Bars are
coloured by outcome (fault red, error orange, throttle purple, else by kind: segments blue,
subsegments teal); an in-progress node runs to the trace's end, hatched lighter. Every name is
XML-escaped, and only presentation attributes are used (the console's CSP applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_ROW, _LABEL, _BARS, _MARGIN, _AXIS = 22, 260, 560, 12, 24


class _Node:
    __slots__ = ("children", "depth", "doc", "kind", "parent")

    def __init__(self, doc: Mapping[str, Any], kind: str, parent: str | None) -> None:
        self.doc = doc
        self.kind = kind
        self.parent = parent
        self.children: list[_Node] = []
        self.depth = 0


def _collect(segments: Iterable[Mapping[str, Any]]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}

    def add(doc: Mapping[str, Any], kind: str, parent: str | None) -> None:
        if not isinstance(doc.get("id"), str) or doc.get("start_time") is None:
            return
        nodes.setdefault(doc["id"], _Node(doc, kind, parent))
        for sub in doc.get("subsegments") or ():
            if isinstance(sub, Mapping):
                add(sub, "subsegment", doc["id"])

    for segment in segments:
        independent = segment.get("type") == "subsegment"
        add(segment, "subsegment" if independent else "segment", segment.get("parent_id"))
    return nodes


def _ordered(nodes: dict[str, _Node]) -> list[_Node]:
    roots: list[_Node] = []
    for node in nodes.values():
        parent = nodes.get(node.parent) if node.parent else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    rows: list[_Node] = []

    def visit(node: _Node, depth: int) -> None:
        node.depth = depth
        rows.append(node)
        for child in sorted(node.children, key=_start):
            visit(child, depth + 1)

    for root in sorted(roots, key=_start):
        visit(root, 0)
    return rows


def _start(node: _Node) -> float:
    return float(node.doc["start_time"])


def _colour(node: _Node) -> str:
    doc = node.doc
    if doc.get("fault"):
        return "#c62828"
    if doc.get("throttle"):
        return "#6a1b9a"
    if doc.get("error"):
        return "#ef6c00"
    return "#1565c0" if node.kind == "segment" else "#00897b"


def waterfall(segments: Iterable[Mapping[str, Any]]) -> str:
    rows = _ordered(_collect(segments))
    if not rows:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" width="300" height="30">'
            '<text x="8" y="20" font-size="12">No segments in this trace.</text></svg>'
        )
    begin = min(_start(n) for n in rows)
    ends = [float(n.doc["end_time"]) for n in rows if n.doc.get("end_time") is not None]
    finish = max([*ends, begin])
    total = max(finish - begin, 1e-6)
    width = _MARGIN * 2 + _LABEL + _BARS + 80
    height = _MARGIN * 2 + _AXIS + len(rows) * _ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
    ]
    left = _MARGIN + _LABEL
    for tick in range(5):  # the time axis: 0, a quarter, ... the whole trace
        x = left + _BARS * tick / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{_MARGIN + _AXIS - 6}" x2="{x:.1f}" y2="{height - _MARGIN}" '
            'stroke="#e0e0e0"/>'
            f'<text class="tick" x="{x:.1f}" y="{_MARGIN + 10}" font-size="10" '
            f'text-anchor="middle" fill="#555">{total * 1000 * tick / 4:.1f} ms</text>'
        )
    for index, node in enumerate(rows):
        doc = node.doc
        y = _MARGIN + _AXIS + index * _ROW
        start = _start(node) - begin
        end_time = doc.get("end_time")
        end = (float(end_time) if end_time is not None else finish) - begin
        x = left + _BARS * start / total
        bar = max(_BARS * (end - start) / total, 1.0)
        name = str(doc.get("name", ""))
        origin = str(doc.get("origin") or doc.get("namespace") or "")
        title = f"{name} {origin}: {(end - start) * 1000:.2f} ms".strip()
        opacity = "0.45" if end_time is None or doc.get("in_progress") else "0.9"
        parts.append(
            f'<g class="bar {node.kind}" data-name={quoteattr(name)} data-kind="{node.kind}" '
            f'data-depth="{node.depth}"><title>{escape(title)}</title>'
            f'<text x="{_MARGIN + 8 * node.depth}" y="{y + 15}" font-size="12" '
            f'fill="#1b1f24">{escape(_short(name, 34 - node.depth))}</text>'
            f'<rect x="{x:.1f}" y="{y + 4}" width="{bar:.1f}" height="{_ROW - 8}" rx="2" '
            f'fill="{_colour(node)}" fill-opacity="{opacity}"/>'
            f'<text x="{x + bar + 4:.1f}" y="{y + 15}" font-size="10" fill="#555">'
            f"{(end - start) * 1000:.1f} ms</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, room: int) -> str:
    room = max(room, 8)
    return name if len(name) <= room else name[: room - 1] + "…"
