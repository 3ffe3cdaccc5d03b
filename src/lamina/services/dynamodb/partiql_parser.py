"""PartiQL statement text -> ``Statement`` (the subset DynamoDB's ExecuteStatement users write).

Literals: ``'string'`` (``''`` escapes a quote), numbers, ``TRUE``/``FALSE``, ``NULL``, ``?``
(the next of ``Parameters``), maps ``{'k': v}``, lists ``[v]`` and sets ``<<v>>``. Identifiers
may be double-quoted. Conditions: comparisons, ``AND``/``OR``/``NOT``, parentheses, ``BETWEEN``,
``IN [..]``, ``IS [NOT] MISSING`` and the functions ``begins_with``, ``contains``,
``attribute_type``, ``size``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.expressions.ast import (
    And,
    Between,
    Call,
    Compare,
    Condition,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    Update,
    Value,
)
from lamina.services.dynamodb.types import AttributeValue, check_value, normalize_number

_TOKEN = re.compile(
    r"\s+|(?P<str>'(?:[^']|'')*')|(?P<qid>\"(?:[^\"]|\"\")*\")|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><<|>>|<>|!=|<=|>=|[=<>(){}\[\],:.*?])"
)
_FUNCTIONS = ("begins_with", "contains", "attribute_type")


@dataclass
class Statement:
    kind: str
    table: str
    index: str | None = None
    projection: list[Path] | None = None
    where: Condition | None = None
    item: dict[str, Any] | None = None
    update: Update = field(default_factory=Update)


def _error(detail: str) -> ValidationException:
    return ValidationException(f"Statement wasn't well formed, can't be processed: {detail}")


class _Parser:
    def __init__(self, text: str, parameters: list[AttributeValue]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise _error(f"Unexpected character {text[position]!r}")
            if match.lastgroup:
                self.tokens.append((match.lastgroup, match.group()))
            position = match.end()
        self.tokens.append(("eof", ""))
        self.at = 0
        self.parameters = parameters
        self.used = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1 if token[0] != "eof" else 0
        return token

    def word(self, *words: str) -> bool:
        kind, text = self.peek()
        return kind == "id" and text.upper() in words

    def expect(self, text: str) -> None:
        _kind, got = self.take()
        if got.upper() != text:
            raise _error(f"expected {text} but found {got or 'end of statement'}")

    def identifier(self) -> str:
        kind, text = self.take()
        if kind == "qid":
            return text[1:-1].replace('""', '"')
        if kind == "id":
            return text
        raise _error(f"expected an identifier but found {text or 'end of statement'}")

    def path(self) -> Path:
        elements: list[PathElement] = [self.identifier()]
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                elements.append(self.identifier())
            else:
                kind, number = self.take()
                if kind != "num":
                    raise _error("a list index must be a number")
                elements.append(int(number))
                self.expect("]")
        return Path(tuple(elements))

    def literal(self) -> AttributeValue:
        kind, text = self.take()
        if kind == "str":
            return {"S": text[1:-1].replace("''", "'")}
        if kind == "num":
            return {"N": normalize_number(text)}
        if text == "?":
            if self.used >= len(self.parameters):
                raise ValidationException(
                    "Number of parameters in request and statement don't match."
                )
            self.used += 1
            return self.parameters[self.used - 1]
        if kind == "id" and text.upper() in ("TRUE", "FALSE"):
            return {"BOOL": text.upper() == "TRUE"}
        if kind == "id" and text.upper() == "NULL":
            return {"NULL": True}
        if text == "{":
            members: dict[str, AttributeValue] = {}
            while self.peek()[1] != "}":
                name = self.literal()
                if "S" not in name:
                    raise _error("map keys must be strings")
                self.expect(":")
                members[name["S"]] = self.literal()
                if self.peek()[1] == ",":
                    self.take()
            self.take()
            return {"M": members}
        if text in ("[", "<<"):
            closing = "]" if text == "[" else ">>"
            values = []
            while self.peek()[1] != closing:
                values.append(self.literal())
                if self.peek()[1] == ",":
                    self.take()
            self.take()
            if text == "[":
                return {"L": values}
            kinds = {next(iter(v)) for v in values}
            if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
                raise _error("a set holds strings, numbers or binaries of one type")
            kind_name = next(iter(kinds))
            return check_value({kind_name + "S": [v[kind_name] for v in values]})
        raise _error(f"unexpected {text or 'end of statement'}")

    def operand(self) -> Operand:
        kind, text = self.peek()
        if kind == "id" and text.lower() == "size" and self.tokens[self.at + 1][1] == "(":
            self.take()
            self.expect("(")
            inner = self.path()
            self.expect(")")
            return Call("size", (inner,))
        if kind in ("id", "qid") and text.upper() not in ("TRUE", "FALSE", "NULL"):
            return self.path()
        return Value(self.literal(), "?")

    def condition(self) -> Condition:
        left = self.conjunction()
        while self.word("OR"):
            self.take()
            left = Or(left, self.conjunction())
        return left

    def conjunction(self) -> Condition:
        left = self.negation()
        while self.word("AND"):
            self.take()
            left = And(left, self.negation())
        return left

    def negation(self) -> Condition:
        if self.word("NOT"):
            self.take()
            return Not(self.negation())
        if self.peek()[1] == "(":
            self.take()
            inner = self.condition()
            self.expect(")")
            return inner
        kind, text = self.peek()
        if kind == "id" and text.lower() in _FUNCTIONS:
            self.take()
            self.expect("(")
            target = self.path()
            self.expect(",")
            argument = self.operand()
            self.expect(")")
            return Function(text.lower(), (target, argument))
        left = self.operand()
        return self.predicate(left)

    def predicate(self, left: Operand) -> Condition:
        _kind, text = self.take()
        if text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            return Compare("<>" if text == "!=" else text, left, self.operand())
        word = text.upper()
        if word == "BETWEEN":
            low = self.operand()
            self.expect("AND")
            return Between(left, low, self.operand())
        if word == "IN":
            opening = self.take()[1]
            closing = "]" if opening == "[" else ")"
            options = []
            while self.peek()[1] != closing:
                options.append(self.operand())
                if self.peek()[1] == ",":
                    self.take()
            self.take()
            return In(left, tuple(options))
        if word == "IS":
            negated = self.word("NOT")
            if negated:
                self.take()
            self.expect("MISSING")
            if not isinstance(left, Path):
                raise _error("IS MISSING needs a path")
            return Function("attribute_exists" if negated else "attribute_not_exists", (left,))
        raise _error(f"unexpected {text or 'end of statement'}")

    def target(self) -> tuple[str, str | None]:
        table = self.identifier()
        if self.peek()[1] == ".":
            self.take()
            return table, self.identifier()
        return table, None

    def statement(self) -> Statement:
        verb = self.take()[1].upper()
        if verb == "SELECT":
            projection: list[Path] | None = None
            if self.peek()[1] == "*":
                self.take()
            else:
                projection = [self.path()]
                while self.peek()[1] == ",":
                    self.take()
                    projection.append(self.path())
            self.expect("FROM")
            table, index = self.target()
            statement = Statement("SELECT", table, index, projection)
        elif verb == "INSERT":
            self.expect("INTO")
            table, _ = self.target()
            self.expect("VALUE")
            item = self.literal()
            if "M" not in item:
                raise _error("INSERT needs a map of attributes")
            statement = Statement("INSERT", table, item=item["M"])
        elif verb == "UPDATE":
            statement = Statement("UPDATE", self.target()[0])
            self.update_clauses(statement.update)
        elif verb == "DELETE":
            self.expect("FROM")
            statement = Statement("DELETE", self.target()[0])
        else:
            raise _error(f"unsupported statement {verb or 'end of statement'}")
        if self.word("WHERE"):
            self.take()
            statement.where = self.condition()
        if self.peek()[0] != "eof":
            raise _error(f"unexpected {self.peek()[1]}")
        return statement

    def update_clauses(self, update: Update) -> None:
        while self.word("SET", "REMOVE"):
            clause = self.take()[1].upper()
            while True:
                path = self.path()
                if clause == "SET":
                    self.expect("=")
                    update.set.append((path, Value(self.literal(), "?")))
                else:
                    update.remove.append(path)
                if self.peek()[1] != ",":
                    break
                self.take()


def parse(text: str, parameters: list[AttributeValue]) -> Statement:
    parser = _Parser(text, parameters)
    statement = parser.statement()
    if parser.used != len(parameters):
        raise ValidationException("Number of parameters in request and statement don't match.")
    return statement
