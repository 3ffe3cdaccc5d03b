"""Recursive-descent parsers for condition, update and projection expressions.

Grammar (AWS's, precedence from loosest): ``OR`` < ``AND`` < ``NOT`` < comparisons,
``BETWEEN``, ``IN`` and functions < parentheses. Names and values are substituted while parsing;
semantic checks that need the whole tree live in ``validate``.

DynamoDB's limits are checked before the work they bound, so no expression costs more than its
4 KB: the size in bytes before tokenizing, the count of operators and functions (300) once
tokenized, and the nesting of parentheses, ``NOT`` and function calls (32) and of document paths
(32) while parsing.
"""

from __future__ import annotations

from lamina.services.dynamodb.expressions.ast import (
    And,
    Arith,
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
from lamina.services.dynamodb.expressions.reserved import is_reserved
from lamina.services.dynamodb.expressions.substitutions import Substitutions
from lamina.services.dynamodb.expressions.tokens import (
    ExpressionError,
    Token,
    syntax_error,
    tokenize,
)

CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
MAX_IN_OPTIONS = 100
MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_NESTING = 32
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
_OPERATOR_SIGNS = frozenset({*COMPARATORS, "+", "-"})
_CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")


class _Parser:
    def __init__(self, text: str, kind: str, subs: Substitutions) -> None:
        self.text = text
        self.kind = kind
        self.subs = subs
        if not text.strip():
            raise ExpressionError(kind, "The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_BYTES:
            raise ExpressionError(
                kind,
                f"Expression size has exceeded the maximum allowed size; expression size: {size}",
            )
        self.tokens = tokenize(text, kind)
        operators = _count_operators(self.tokens)
        if operators > MAX_OPERATORS:
            raise ExpressionError(
                kind, f"The expression contains too many operators; operator count: {operators}"
            )
        self.at = 0
        self.depth = 0

    # -- token plumbing ----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "EOF":
            self.at += 1
        return token

    def fail(self) -> ExpressionError:
        return syntax_error(self.text, self.kind, self.tokens, self.at)

    def error(self, detail: str) -> ExpressionError:
        return ExpressionError(self.kind, detail)

    def expect_op(self, op: str) -> None:
        if not self.peek().is_op(op):
            raise self.fail()
        self.take()

    def expect_end(self) -> None:
        if self.peek().kind != "EOF":
            raise self.fail()

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"The expression has too many nesting levels; nesting levels: {self.depth}"
            )

    # -- operands ----------------------------------------------------------------------------

    def path(self) -> Path:
        elements: list[PathElement] = [self._name()]
        while True:
            token = self.peek()
            if token.is_op("."):
                self.take()
                elements.append(self._name())
            elif token.is_op("["):
                self.take()
                index = self.peek()
                if index.kind != "NUMBER":
                    raise self.fail()
                self.take()
                self.expect_op("]")
                elements.append(int(index.text))
            else:
                if len(elements) > MAX_NESTING:
                    raise self.error(
                        "The document path has too many nesting levels; "
                        f"nesting levels: {len(elements)}"
                    )
                return Path(tuple(elements))

    def _name(self) -> str:
        token = self.peek()
        if token.kind == "ALIAS":
            self.take()
            name = self.subs.name(token.text)
            if name is None:
                raise self.error(
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {token.text}"
                )
            return name
        if token.kind == "NAME":
            if is_reserved(token.text):
                raise self.error(
                    f"Attribute name is a reserved keyword; reserved keyword: {token.text}"
                )
            self.take()
            return token.text
        raise self.fail()

    def value(self) -> Value:
        token = self.peek()
        if token.kind != "VALUE":
            raise self.fail()
        self.take()
        found = self.subs.value(token.text)
        if found is None:
            raise self.error(
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {token.text}"
            )
        return Value(found, token.text)

    def operand(self, functions: dict[str, int]) -> Operand:
        token = self.peek()
        if token.kind == "VALUE":
            return self.value()
        if token.kind == "NAME" and self.peek(1).is_op("("):
            name = token.text
            if name not in functions:
                self._refuse_function(name)
            self.take()
            self.deeper()
            call = Call(name, self.arguments(functions))
            self.depth -= 1
            return call
        return self.path()

    def _refuse_function(self, name: str) -> None:
        known = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}
        if name not in known:
            raise self.error(f"Invalid function name; function: {name}")
        if self.kind == "UpdateExpression":
            raise self.error(
                f"The function is not allowed in an update expression; function: {name}"
            )
        raise self.error(
            f"The function is not allowed to be used this way in an expression; function: {name}"
        )

    def arguments(self, functions: dict[str, int]) -> tuple[Operand, ...]:
        self.expect_op("(")
        args = [self.operand(functions)]
        while self.peek().is_op(","):
            self.take()
            args.append(self.operand(functions))
        self.expect_op(")")
        return tuple(args)

    # -- conditions --------------------------------------------------------------------------

    def condition(self) -> Condition:
        left = self._conjunction()
        while self.peek().is_word("OR"):
            self.take()
            left = Or(left, self._conjunction())
        return left

    def _conjunction(self) -> Condition:
        left = self._negation()
        while self.peek().is_word("AND"):
            self.take()
            left = And(left, self._negation())
        return left

    def _negation(self) -> Condition:
        if self.peek().is_word("NOT"):
            self.take()
            self.deeper()
            negated = Not(self._negation())
            self.depth -= 1
            return negated
        return self._primary()

    def _primary(self) -> Condition:
        token = self.peek()
        if token.is_op("("):
            self.take()
            self.deeper()
            inner = self.condition()
            self.expect_op(")")
            self.depth -= 1
            return inner
        if token.kind == "NAME" and token.text in CONDITION_FUNCTIONS and self.peek(1).is_op("("):
            self.take()
            return Function(token.text, self.arguments(OPERAND_FUNCTIONS))
        left = self.operand(OPERAND_FUNCTIONS)
        token = self.peek()
        if token.kind == "OP" and token.text in COMPARATORS:
            self.take()
            return Compare(token.text, left, self.operand(OPERAND_FUNCTIONS))
        if token.is_word("BETWEEN"):
            self.take()
            low = self.operand(OPERAND_FUNCTIONS)
            if not self.peek().is_word("AND"):
                raise self.fail()
            self.take()
            return Between(left, low, self.operand(OPERAND_FUNCTIONS))
        if token.is_word("IN"):
            self.take()
            self.expect_op("(")
            options = [self.operand(OPERAND_FUNCTIONS)]
            while self.peek().is_op(","):
                self.take()
                options.append(self.operand(OPERAND_FUNCTIONS))
            self.expect_op(")")
            return In(left, tuple(options))
        raise self.fail()

    # -- updates -----------------------------------------------------------------------------

    def update(self) -> Update:
        update = Update()
        seen: set[str] = set()
        while self.peek().kind != "EOF":
            token = self.peek()
            clause = token.text.upper() if token.kind == "NAME" else ""
            if clause not in _CLAUSES:
                raise self.fail()
            if clause in seen:
                raise self.error(
                    f'The "{clause}" section can only be used once in an update expression;'
                )
            seen.add(clause)
            self.take()
            while True:
                self._action(clause, update)
                if not self.peek().is_op(","):
                    break
                self.take()
        return update

    def _action(self, clause: str, update: Update) -> None:
        path = self.path()
        if clause == "SET":
            self.expect_op("=")
            update.set.append((path, self._set_value()))
        elif clause == "REMOVE":
            update.remove.append(path)
        elif clause == "ADD":
            update.add.append((path, self.value()))
        else:
            update.delete.append((path, self.value()))

    def _set_value(self) -> Operand:
        left = self.operand(UPDATE_FUNCTIONS)
        token = self.peek()
        if token.is_op("+", "-"):
            self.take()
            return Arith(token.text, left, self.operand(UPDATE_FUNCTIONS))
        return left


def _count_operators(tokens: list[Token]) -> int:
    """Operators as DynamoDB counts them: comparators, arithmetic, the logical words, BETWEEN,
    IN and function calls (a name followed by a parenthesis)."""
    count = 0
    for at, token in enumerate(tokens):
        if token.kind == "OP":
            count += token.text in _OPERATOR_SIGNS
        elif token.kind == "NAME" and (
            token.text.upper() in _OPERATOR_WORDS or tokens[at + 1].is_op("(")
        ):
            count += 1
    return count


def parse_condition(text: str, kind: str, subs: Substitutions) -> Condition:
    """``kind`` names the parameter in messages: ConditionExpression, FilterExpression or
    KeyConditionExpression."""
    parser = _Parser(text, kind, subs)
    condition = parser.condition()
    parser.expect_end()
    return condition


def parse_update(text: str, subs: Substitutions) -> Update:
    parser = _Parser(text, "UpdateExpression", subs)
    return parser.update()


def parse_projection(text: str, subs: Substitutions) -> list[Path]:
    parser = _Parser(text, "ProjectionExpression", subs)
    paths = [parser.path()]
    while parser.peek().is_op(","):
        parser.take()
        paths.append(parser.path())
    parser.expect_end()
    return paths
