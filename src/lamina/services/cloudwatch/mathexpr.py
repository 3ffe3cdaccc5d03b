"""Metric math, the part Lamina evaluates: arithmetic (``+ - * /``, parentheses, numbers) on the
ids of a ``GetMetricData`` request's queries, and ``SUM``/``AVG``/``MIN``/``MAX``, over an
array (``SUM([m1, m2])``, ``SUM(METRICS())``: one time series, per timestamp) or over one time
series (a single value), plus ``ABS``. Pure.

A time series is ``{timestamp: value}``; arithmetic between two joins them on their timestamps;
with a number it applies to every value. Any other function is refused by name
(``Unsupported``), so a user knows what Lamina lacks rather than getting wrong numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Union

Series = dict[float, float]
Value = Union[float, Series, list[Series]]  # noqa: UP007 (a runtime alias)
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.))")
_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda xs: sum(xs) / len(xs),
    "MIN": min,
    "MAX": max,
}


class ExpressionError(ValueError):
    """The expression cannot be read or evaluated; ``str()`` says why."""


class Unsupported(ExpressionError):
    def __init__(self, function: str) -> None:
        super().__init__(f"Lamina does not support the metric math function {function} yet.")
        self.function = function


def evaluate(expression: str, series: Mapping[str, Value]) -> Value:
    """``expression`` over the queries' results by id (``METRICS()`` is every time series in
    ``series``)."""
    parser = _Parser(expression, series)
    result = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"Unexpected '{parser.peek()}' in expression {expression!r}.")
    return result


class _Parser:
    def __init__(self, text: str, series: Mapping[str, Value]) -> None:
        self.tokens: list[str] = []
        for number, name, other in _TOKEN.findall(text):
            token = number or name or other
            if token.strip():
                self.tokens.append(token)
        self.at = 0
        self.series = series
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ExpressionError(f"Expected '{expected or 'a value'}' in {self.text!r}.")
        self.at += 1
        return token

    def expression(self) -> Value:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            left = _apply(op, left, self.term())
        return left

    def term(self) -> Value:
        left = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take()
            left = _apply(op, left, self.factor())
        return left

    def factor(self) -> Value:
        token = self.take()
        if token == "-":
            return _apply("*", -1.0, self.factor())
        if token == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token == "[":
            items: list[Series] = []
            while True:
                item = self.expression()
                if not isinstance(item, dict):
                    raise ExpressionError("An array holds time series only.")
                items.append(item)
                if self.peek() != ",":
                    break
                self.take(",")
            self.take("]")
            return items
        if token[0].isdigit():
            return float(token)
        if self.peek() == "(":
            return self.call(token)
        found = self.series.get(token)
        if found is None:
            raise ExpressionError(f"Unrecognized id {token} in expression {self.text!r}.")
        return found

    def call(self, name: str) -> Value:
        self.take("(")
        upper = name.upper()
        if upper == "METRICS":
            self.take(")")
            return [s for s in self.series.values() if isinstance(s, dict)]
        if upper not in _AGGREGATES and upper != "ABS":
            raise Unsupported(upper)
        argument = self.expression()
        self.take(")")
        if upper == "ABS":
            return _map(argument, abs)
        return _aggregate(_AGGREGATES[upper], argument)


def _aggregate(function: Callable[[list[float]], float], argument: Value) -> Value:
    if isinstance(argument, list):
        stamps = sorted({t for s in argument for t in s})
        return {t: function([s[t] for s in argument if t in s]) for t in stamps}
    if isinstance(argument, dict):
        return function(list(argument.values())) if argument else float("nan")
    return argument


def _map(value: Value, function: Callable[[float], float]) -> Value:
    if isinstance(value, list):
        return [{t: function(v) for t, v in s.items()} for s in value]
    if isinstance(value, dict):
        return {t: function(v) for t, v in value.items()}
    return function(value)


def _op(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b if b else float("nan")


def _apply(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, list) or isinstance(right, list):
        raise ExpressionError("Arithmetic on an array: aggregate it first (SUM, AVG...).")
    if isinstance(left, dict) and isinstance(right, dict):
        return {t: _op(op, v, right[t]) for t, v in left.items() if t in right}
    if isinstance(left, dict):
        return {t: _op(op, v, float(right)) for t, v in left.items()}  # type: ignore[arg-type]
    if isinstance(right, dict):
        return {t: _op(op, float(left), v) for t, v in right.items()}
    return _op(op, left, right)
