"""An event pattern (EventBridge rules, Lambda ``FilterCriteria``, SNS filter policies),
compiled once and matched against many documents.

A pattern is a JSON object. Each key names a field of the document: its value is either an
object (the field is an object; match inside it) or an array of rules (``values``), any of which
may match. Keys are ANDed; ``"$or": [{...}, {...}]`` at any level matches when one of its
objects does. A document's arrays match when any element does (arrays of objects: one element
must match the whole sub-pattern). A field that is absent, or an empty array, matches only
``{"exists": false}``.

``compile_pattern(pattern, rules)`` validates with the reasons AWS's matcher gives (one error
type, ``PatternError``; callers word it for their API) and returns a ``Pattern`` whose
``matches(document)`` is pure. ``rules`` says where the pattern is used: EventBridge and Lambda
take everything; SNS limits a policy to five keys and 150 combinations, and its
``MessageAttributes`` scope takes no nesting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lamina import fastjson
from lamina.patterns.values import Exists, PatternError, Test, as_float, compile_rule, is_number

_ABSENT: Any = object()
_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Rules:
    """Where a pattern is used: what it may contain."""

    nesting: bool = True
    max_keys: int | None = None
    max_combinations: int | None = None


EVENTBRIDGE = Rules()
SNS_ATTRIBUTES = Rules(nesting=False, max_keys=5, max_combinations=150)
SNS_BODY = Rules(nesting=True, max_keys=5, max_combinations=150)


class _Leaf:
    """A field's rules: exact strings and numbers as sets (the common case, one lookup), the
    operators as tests, and what absence or presence alone decides."""

    __slots__ = ("if_absent", "if_present", "numbers", "others", "strings", "tests")

    def __init__(
        self,
        tests: list[Test],
        strings: set[str],
        numbers: set[float],
        others: list[Any],
        if_absent: bool,
        if_present: bool,
    ) -> None:
        self.tests = tuple(tests)
        self.strings = frozenset(strings)
        self.numbers = frozenset(numbers)
        # null, true and false: compared by identity (True is not 1 here).
        self.others = tuple(others)
        self.if_absent = if_absent
        self.if_present = if_present

    def matches(self, value: Any) -> bool:
        if isinstance(value, list | dict) or value is _ABSENT:
            values = _leaf_values(value)
            if not values:
                return self.if_absent
            return self.if_present or any(self._one(one) for one in values)
        return self.if_present or self._one(value)

    def _one(self, value: Any) -> bool:
        if isinstance(value, str):
            if value in self.strings:
                return True
        elif is_number(value):
            if as_float(value) in self.numbers:
                return True
        elif any(value is other for other in self.others):
            return True
        return any(test(value) for test in self.tests)


class _Object:
    __slots__ = ("alternatives", "fields")

    def __init__(self, fields: list[tuple[str, _Object | _Leaf]], alternatives: list[_Object]):
        self.fields = tuple(fields)
        self.alternatives = tuple(alternatives)

    def matches(self, document: Mapping[str, Any]) -> bool:
        for key, node in self.fields:
            value = document.get(key, _ABSENT)
            if isinstance(node, _Leaf):
                if not node.matches(value):
                    return False
            elif not node.matches_any(value):
                return False
        if self.alternatives:
            return any(one.matches(document) for one in self.alternatives)
        return True

    def matches_any(self, value: Any) -> bool:
        """Matched against a field: an object, or any object in an array; else nothing."""
        objects = _objects(value)
        if not objects:
            return self.matches(_EMPTY)
        return any(self.matches(one) for one in objects)


class Pattern:
    """A compiled pattern; ``matches`` is safe to call from any thread."""

    __slots__ = ("_root", "source")

    def __init__(self, source: Mapping[str, Any], root: _Object) -> None:
        self.source = source
        self._root = root

    def matches(self, document: Any) -> bool:
        if not isinstance(document, Mapping):
            return False
        return self._root.matches(document)

    def anchor(self, preferred: tuple[str, ...] = ()) -> tuple[str, frozenset[str]] | None:
        """A top-level field and strings such that every document this pattern matches has one
        of them there (the field's rule is exact strings and nothing else), for an index: the
        first of ``preferred`` that qualifies, else the one with the fewest strings."""
        found = {
            key: node.strings
            for key, node in self._root.fields
            if isinstance(node, _Leaf)
            and node.strings
            and not (node.tests or node.numbers or node.others)
            and not (node.if_absent or node.if_present)
        }
        for key in preferred:
            if key in found:
                return key, found[key]
        if not found:
            return None
        key = min(found, key=lambda k: len(found[k]))
        return key, found[key]


def compile_pattern(pattern: Any, rules: Rules = EVENTBRIDGE) -> Pattern:
    if not isinstance(pattern, dict):
        raise PatternError("Filter policy must be a JSON object")
    root = _compile_object(pattern, rules, depth=1)
    if rules.max_keys is not None or rules.max_combinations is not None:
        _check_limits(pattern, rules)
    return Pattern(pattern, root)


def parse(text: str, rules: Rules = EVENTBRIDGE) -> Pattern:
    """A pattern from its JSON text."""
    try:
        pattern = fastjson.loads(text)
    except ValueError:
        raise PatternError("failed to parse JSON.") from None
    return compile_pattern(pattern, rules)


# -- compiling --------------------------------------------------------------------------------


def _is_or(key: str, value: Any) -> bool:
    # AWS's matcher reads "$or" as a field name unless it holds objects.
    return key == "$or" and isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _compile_object(pattern: Mapping[str, Any], rules: Rules, depth: int) -> _Object:
    fields: list[tuple[str, _Object | _Leaf]] = []
    alternatives: list[_Object] = []
    for key, value in pattern.items():
        if _is_or(key, value):
            if len(value) < 2:
                raise PatternError("Or relationship must have at least two operands")
            alternatives = [_compile_object(one, rules, depth) for one in value]
        elif isinstance(value, dict):
            if not rules.nesting:
                raise PatternError(
                    "Filter policy scope MessageAttributes does not support nested filter policy"
                )
            fields.append((key, _compile_object(value, rules, depth + 1)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value)))
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return _Object(fields, alternatives)


def _compile_leaf(values: list[Any]) -> _Leaf:
    if not values:
        raise PatternError("Empty arrays are not allowed")
    tests: list[Test] = []
    strings: set[str] = set()
    numbers: set[float] = set()
    others: list[Any] = []
    if_absent = if_present = False
    for rule in values:
        if isinstance(rule, str):
            strings.add(rule)
        elif rule is None or isinstance(rule, bool):
            others.append(rule)
        elif is_number(rule):
            compile_rule(rule)  # refuses what is not a finite number
            numbers.add(as_float(rule))
        else:
            compiled = compile_rule(rule)
            if isinstance(compiled, Exists):
                if compiled.present:
                    if_present = True
                else:
                    if_absent = True
            else:
                tests.append(compiled)
    return _Leaf(tests, strings, numbers, others, if_absent, if_present)


# -- SNS's limits -----------------------------------------------------------------------------


def _check_limits(pattern: Mapping[str, Any], rules: Rules) -> None:
    """Each way through the ``$or``s is one flat policy: at most ``max_keys`` top-level keys;
    its combinations are the product of each leaf's values times its depth (AWS's own
    arithmetic: four values three levels deep and three values two deep make 4x3x3x2 = 72),
    and the policy's the sum over the ways."""
    limit = rules.max_combinations
    total = 0
    for flat in _flatten(pattern, (), limit):
        keys = {path[0] for path, _ in flat}
        if rules.max_keys is not None and len(keys) > rules.max_keys:
            raise PatternError(f"Filter policy can not have more than {rules.max_keys} keys")
        product = 1
        for path, count in flat:
            product *= count * len(path)
        total += product
        if limit is not None and total > limit:
            raise PatternError("Filter policy is too complex")


Flat = list[tuple[tuple[str, ...], int]]


def _flatten(pattern: Mapping[str, Any], parent: tuple[str, ...], limit: int | None) -> list[Flat]:
    ways: list[Flat] = [[]]
    for key, value in pattern.items():
        if _is_or(key, value):
            branches = [way for one in value for way in _flatten(one, parent, limit)]
            ways = [way + branch for way in ways for branch in branches]
        elif isinstance(value, dict):
            inner = _flatten(value, (*parent, key), limit)
            ways = [way + branch for way in ways for branch in inner]
        else:
            ways = [[*way, ((*parent, key), len(value))] for way in ways]
        if limit is not None and len(ways) > limit:
            raise PatternError("Filter policy is too complex")
    return ways


# -- reading documents ------------------------------------------------------------------------


def leaf_values(value: Any) -> list[Any]:
    """The scalars a field's value offers a rule: itself, or an array's (nested arrays
    flattened); an object offers none."""
    return _leaf_values(value)


def _leaf_values(value: Any) -> list[Any]:
    if value is _ABSENT or isinstance(value, dict):
        return []
    if isinstance(value, list):
        found: list[Any] = []
        for one in value:
            if isinstance(one, list):
                found.extend(_leaf_values(one))
            elif not isinstance(one, dict):
                found.append(one)
        return found
    return [value]


def _objects(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        found: list[Mapping[str, Any]] = []
        for one in value:
            found.extend(_objects(one))
        return found
    return []
