"""``ExpressionAttributeNames`` and ``ExpressionAttributeValues`` of one request.

Both are checked when the request arrives (keys start with ``#``/``:``, values are valid
AttributeValues); the expressions of the request then draw on them, and every entry must be used
by at least one of them, or the request fails as on AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb.errors import SerializationException, ValidationException
from lamina.services.dynamodb.types import AttributeValue, check_value


class Substitutions:
    def __init__(self, names: Any = None, values: Any = None) -> None:
        self.names: Mapping[str, str] = _names(names)
        self.values: Mapping[str, AttributeValue] = _values(values)
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    @property
    def given(self) -> bool:
        return bool(self.names) or bool(self.values)

    def name(self, alias: str) -> str | None:
        """The attribute name ``#alias`` stands for, or None when it is not defined."""
        found = self.names.get(alias)
        if found is not None:
            self.used_names.add(alias)
        return found

    def value(self, alias: str) -> AttributeValue | None:
        found = self.values.get(alias)
        if found is not None:
            self.used_values.add(alias)
        return found

    def check_all_used(self) -> None:
        unused_names = sorted(set(self.names) - self.used_names)
        if unused_names:
            raise ValidationException(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: "
                "{" + ", ".join(unused_names) + "}"
            )
        unused_values = sorted(set(self.values) - self.used_values)
        if unused_values:
            raise ValidationException(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: "
                "{" + ", ".join(unused_values) + "}"
            )


def _names(names: Any) -> dict[str, str]:
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if not names:
        raise ValidationException("ExpressionAttributeNames must not be empty")
    for key in names:
        if not key.startswith("#") or len(key) < 2:
            raise ValidationException(
                f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
            )
    return dict(names)


def _values(values: Any) -> dict[str, AttributeValue]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if not values:
        raise ValidationException("ExpressionAttributeValues must not be empty")
    checked: dict[str, AttributeValue] = {}
    for key, value in values.items():
        if not key.startswith(":") or len(key) < 2:
            raise ValidationException(
                f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"'
            )
        try:
            checked[key] = check_value(value)
        except ValidationException as exc:
            raise ValidationException(
                f"ExpressionAttributeValues contains invalid value: {exc.message} for key {key}"
            ) from None
    return checked
