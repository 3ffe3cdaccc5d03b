"""The syntax trees of DynamoDB expressions, after ``#name`` and ``:value`` substitution.

Operands: ``Path`` (a document path), ``Value`` (a checked AttributeValue), ``Call`` (``size``,
``if_not_exists``, ``list_append``) and ``Arith`` (``+``/``-`` in SET). Conditions: ``Compare``,
``Between``, ``In``, ``Function`` (``attribute_exists`` ...), ``And``, ``Or``, ``Not``. Update
expressions are an ``Update`` holding one list of actions per clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lamina.services.dynamodb.types import AttributeValue

PathElement = str | int


@dataclass(frozen=True, slots=True)
class Path:
    elements: tuple[PathElement, ...]

    def describe(self) -> str:
        """As DynamoDB prints paths in messages: ``[a, b, [0]]``."""
        parts = [f"[{e}]" if isinstance(e, int) else e for e in self.elements]
        return "[" + ", ".join(parts) + "]"

    def __str__(self) -> str:
        text = ""
        for element in self.elements:
            text += (
                f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
            )
        return text


@dataclass(frozen=True, slots=True)
class Value:
    value: AttributeValue
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arith:
    op: str
    left: Operand
    right: Operand


Operand = Path | Value | Call | Arith


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    options: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


Condition = Compare | Between | In | Function | And | Or | Not


@dataclass(frozen=True, slots=True)
class Update:
    set: list[tuple[Path, Operand]] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    add: list[tuple[Path, Value]] = field(default_factory=list)
    delete: list[tuple[Path, Value]] = field(default_factory=list)

    def paths(self) -> list[Path]:
        return [
            *(p for p, _ in self.set),
            *self.remove,
            *(p for p, _ in self.add),
            *(p for p, _ in self.delete),
        ]
