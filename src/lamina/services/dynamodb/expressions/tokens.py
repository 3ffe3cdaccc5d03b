"""Expression text -> tokens, with the syntax errors DynamoDB words.

Token kinds: ``NAME`` (an attribute name, keyword or function name), ``ALIAS`` (``#name``),
``VALUE`` (``:value``), ``NUMBER`` (a list index), ``OP`` (punctuation and comparators) and
``EOF``. Keywords are recognised by the parser, case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lamina.services.dynamodb.errors import ValidationException

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ALIAS>\#[A-Za-z0-9_]+)
  | (?P<VALUE>:[A-Za-z0-9_]+)
  | (?P<NUMBER>[0-9]+)
  | (?P<OP><>|<=|>=|[=<>()\[\],.+\-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    def is_op(self, *ops: str) -> bool:
        return self.kind == "OP" and self.text in ops

    def is_word(self, *words: str) -> bool:
        return self.kind == "NAME" and self.text.upper() in words


class ExpressionError(ValidationException):
    """A problem in one expression, worded as ``Invalid <Kind>Expression: <detail>``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"Invalid {kind}: {detail}")
        self.detail = detail


def tokenize(text: str, kind: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            bad = Token("OP", text[position], position, position + 1)
            raise syntax_error(text, kind, [*tokens, bad], len(tokens))
        group = match.lastgroup
        assert group is not None
        if group != "space":
            tokens.append(Token(group, match.group(), match.start(), match.end()))
        position = match.end()
    tokens.append(Token("EOF", "<EOF>", len(text), len(text)))
    return tokens


def syntax_error(text: str, kind: str, tokens: list[Token], at: int) -> ExpressionError:
    """DynamoDB's ``Syntax error; token: "<bad>", near: "<context>"``: the context runs from the
    token before the bad one to the token after it."""
    token = tokens[at]
    start = tokens[at - 1].start if at > 0 else token.start
    end = tokens[at + 1].end if at + 1 < len(tokens) else token.end
    near = text[start:end]
    return ExpressionError(kind, f'Syntax error; token: "{token.text}", near: "{near}"')
