"""Lambda's list pages: ``Marker`` and ``MaxItems`` in, one page and ``NextMarker`` out.

A marker is an opaque position (Lambda's are too): the index of the page's first item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_PAGE = 50


def paginate(
    items: Sequence[Any], marker: str | None, max_items: int | None, default: int = DEFAULT_PAGE
) -> tuple[list[Any], str | None]:
    """One page and the marker of the next (None after the last page)."""
    start = int(marker) if marker and marker.isdigit() else 0
    size = max_items if max_items is not None and max_items > 0 else default
    page = list(items[start : start + size])
    more = start + size < len(items)
    return page, (str(start + size) if more else None)


def page(key: str, items: Sequence[Any], params: dict[str, Any]) -> dict[str, Any]:
    """A List operation's result: the page of ``items`` under ``key``, ``NextMarker`` if more."""
    found, marker = paginate(items, params.get("Marker"), params.get("MaxItems"))
    result: dict[str, Any] = {key: found}
    if marker:
        result["NextMarker"] = marker
    return result
