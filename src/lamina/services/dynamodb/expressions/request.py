"""The expressions of one request, parsed and checked before anything is read or written.

A request may use expressions or the legacy parameters, never both for the same purpose;
``ExpressionAttributeNames``/``Values`` are only allowed with expressions and must all be used.
Call ``finish()`` once every expression of the request has been parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb.errors import SerializationException, ValidationException
from lamina.services.dynamodb.expressions import legacy, validate
from lamina.services.dynamodb.expressions.ast import Condition, Path, Update
from lamina.services.dynamodb.expressions.parser import (
    parse_condition,
    parse_projection,
    parse_update,
)
from lamina.services.dynamodb.expressions.substitutions import Substitutions

_EXPRESSIONS = (
    "ConditionExpression",
    "UpdateExpression",
    "ProjectionExpression",
    "FilterExpression",
    "KeyConditionExpression",
)


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise SerializationException(f"Unexpected value type for {name}")
    return value


class RequestExpressions:
    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        names = params.get("ExpressionAttributeNames")
        values = params.get("ExpressionAttributeValues")
        uses_expressions = any(params.get(name) is not None for name in _EXPRESSIONS)
        if not uses_expressions:
            if names is not None:
                raise ValidationException(
                    "ExpressionAttributeNames can only be specified when using expressions"
                )
            if values is not None:
                raise ValidationException(
                    "ExpressionAttributeValues can only be specified when using expressions"
                )
        self.subs = Substitutions(names, values)

    def _exclusive(self, legacy_names: tuple[str, ...], expression_names: tuple[str, ...]) -> None:
        old = [n for n in legacy_names if self.params.get(n) is not None]
        new = [n for n in expression_names if self.params.get(n) is not None]
        if old and new:
            raise ValidationException(
                "Can not use both expression and non-expression parameters in the same request: "
                f"Non-expression parameters: {{{', '.join(old)}}} "
                f"Expression parameters: {{{', '.join(new)}}}"
            )

    def condition(self) -> Condition | None:
        """``ConditionExpression`` or ``Expected`` (with ``ConditionalOperator``)."""
        self._exclusive(("Expected",), ("ConditionExpression",))
        text = _text(self.params, "ConditionExpression")
        if text is not None:
            condition = parse_condition(text, "ConditionExpression", self.subs)
            validate.condition("ConditionExpression", condition)
            return condition
        return legacy.conditions(
            self.params.get("Expected"), self.params.get("ConditionalOperator"), expected=True
        )

    def filter(self, legacy_name: str) -> Condition | None:
        """``FilterExpression`` or the legacy ``QueryFilter``/``ScanFilter``."""
        self._exclusive((legacy_name,), ("FilterExpression",))
        text = _text(self.params, "FilterExpression")
        if text is not None:
            condition = parse_condition(text, "FilterExpression", self.subs)
            validate.condition("FilterExpression", condition)
            return condition
        return legacy.conditions(
            self.params.get(legacy_name), self.params.get("ConditionalOperator")
        )

    def key_condition(self) -> Condition | None:
        self._exclusive(("KeyConditions",), ("KeyConditionExpression",))
        text = _text(self.params, "KeyConditionExpression")
        if text is not None:
            condition = parse_condition(text, "KeyConditionExpression", self.subs)
            validate.condition("KeyConditionExpression", condition)
            return condition
        return legacy.conditions(self.params.get("KeyConditions"), "AND")

    def projection(self) -> list[Path] | None:
        self._exclusive(("AttributesToGet",), ("ProjectionExpression",))
        text = _text(self.params, "ProjectionExpression")
        if text is not None:
            paths = parse_projection(text, self.subs)
            validate.projection(paths)
            return paths
        if self.params.get("AttributesToGet") is not None:
            return legacy.attributes_to_get(self.params["AttributesToGet"])
        return None

    def update(self) -> Update | None:
        self._exclusive(("AttributeUpdates",), ("UpdateExpression",))
        text = _text(self.params, "UpdateExpression")
        if text is not None:
            update = parse_update(text, self.subs)
            validate.update(update)
            return update
        if self.params.get("AttributeUpdates") is not None:
            return legacy.attribute_updates(self.params["AttributeUpdates"])
        return None

    def finish(self) -> None:
        self.subs.check_all_used()
