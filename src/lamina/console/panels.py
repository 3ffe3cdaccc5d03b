"""The seam where metrics and traces will show: panels other parts hand the console.

The console does not compute metrics or traces; the parts that do (``observe.metrics``, the
tracing work) hand it ``Panel`` objects through the composition root
(``Console.add_panel``). A panel is a titled table: ``rows()`` is called on the event loop
whenever the page asks for the console's state (at most a few times a second), must return at
once, and returns plain values (strings and numbers, shown as text: the page escapes them).
``function`` rows (the first column named ``function``) are also shown beside that function.
Until a panel is added, the page shows the section with a note that nothing collects it yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Row = dict[str, str | int | float | None]


class Panel(Protocol):
    # Stable, short, lower-case: "metrics", "traces".
    key: str
    title: str

    def rows(self) -> Sequence[Row]: ...


# Sections the page always shows, filled when a panel with their key is added.
EXPECTED = {
    "metrics": "Metrics",
    "traces": "Traces",
}


def document(panels: Sequence[Panel]) -> list[dict[str, object]]:
    """Every expected section (empty until filled), then any other panel, as the page reads
    them."""
    by_key = {panel.key: panel for panel in panels}
    out: list[dict[str, object]] = []
    for key, title in EXPECTED.items():
        panel = by_key.pop(key, None)
        out.append(
            {
                "key": key,
                "title": panel.title if panel else title,
                "rows": _rows(panel),
                "ready": panel is not None,
            }
        )
    for panel in by_key.values():
        out.append({"key": panel.key, "title": panel.title, "rows": _rows(panel), "ready": True})
    return out


def _rows(panel: Panel | None) -> list[Row]:
    return [dict(row) for row in panel.rows()] if panel is not None else []
