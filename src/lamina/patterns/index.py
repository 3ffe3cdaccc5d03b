"""Many patterns, and which of them a document matches, without testing every one.

Each pattern is filed under its anchor (``Pattern.anchor``): a top-level field and the exact
strings one of which any document it matches has there, as AWS's event-ruler indexes rules by
the values they name. A document looks up its own values of the few anchor fields in use (one
dictionary lookup each), and only the patterns found there, plus those with no anchor, are
tested whole. With EventBridge rules, which nearly all name a ``source`` or ``detail-type``, the
cost of matching grows with the number of rules that could match, not with all the rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Generic, TypeVar

from lamina.patterns.pattern import Pattern, leaf_values

K = TypeVar("K", bound=Hashable)

# Fields EventBridge patterns name most: indexing on the same field keeps lookups few.
_PREFERRED = ("source", "detail-type")


class PatternIndex(Generic[K]):
    """Patterns by key. Not thread-safe for writes: build it, then share it read-only (or guard
    ``put``/``remove`` with the readers' lock)."""

    def __init__(self) -> None:
        self._patterns: dict[K, tuple[int, Pattern]] = {}
        self._anchored: dict[str, dict[str, set[K]]] = {}
        self._unanchored: set[K] = set()
        self._added = 0

    def __len__(self) -> int:
        return len(self._patterns)

    def put(self, key: K, pattern: Pattern) -> None:
        if key in self._patterns:
            self.remove(key)
        self._added += 1
        self._patterns[key] = (self._added, pattern)
        anchor = pattern.anchor(_PREFERRED)
        if anchor is None:
            self._unanchored.add(key)
            return
        field, strings = anchor
        by_value = self._anchored.setdefault(field, {})
        for value in strings:
            by_value.setdefault(value, set()).add(key)

    def remove(self, key: K) -> None:
        found = self._patterns.pop(key, None)
        if found is None:
            return
        self._unanchored.discard(key)
        anchor = found[1].anchor(_PREFERRED)
        if anchor is None:
            return
        field, strings = anchor
        by_value = self._anchored[field]
        for value in strings:
            keys = by_value[value]
            keys.discard(key)
            if not keys:
                del by_value[value]
        if not by_value:
            del self._anchored[field]

    def matching(self, document: Mapping[str, Any]) -> list[K]:
        """The keys whose patterns match ``document``, in the order they were put."""
        candidates = set(self._unanchored)
        for field, by_value in self._anchored.items():
            value = document.get(field)
            if value is None:
                continue
            for one in leaf_values(value):
                if isinstance(one, str):
                    keys = by_value.get(one)
                    if keys:
                        candidates |= keys
        found = [
            (self._patterns[k][0], k) for k in candidates if self._patterns[k][1].matches(document)
        ]
        found.sort(key=lambda pair: pair[0])
        return [k for _, k in found]
