"""CloudFormation's intrinsic functions and conditions, resolved the way a deployment would.

Pure: the resolver sees parameter values, the template's Conditions and Mappings, and a
``Resources`` lookup for ``Ref``/``Fn::GetAtt`` of resources; it does no I/O. Values are resolved
lazily, one property at a time, so a function that cannot be resolved locally (``Fn::ImportValue``)
only fails the resources that use it. Only the branch ``Fn::If`` picks is resolved, as in AWS.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from lamina import fastjson
from lamina.template.dynamic import (
    MARKER,
    DynamicReferenceError,
    DynamicValues,
    substitute,
)

KeyPath = tuple[str | int, ...]
Resolve = Callable[[Any, KeyPath], Any]

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class ResolveError(Exception):
    """An intrinsic function that cannot be resolved; ``path`` locates it in the template."""

    def __init__(self, message: str, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class _NoValue:
    """``Ref: AWS::NoValue``: the property (or list item) holding it is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class Resources(Protocol):
    """What ``Ref`` and ``Fn::GetAtt`` of a resource resolve to (``names.ResourceIds``)."""

    def __contains__(self, logical_id: object) -> bool: ...

    def ref(self, logical_id: str, resolve: Resolve) -> Any: ...

    def get_att(self, logical_id: str, attribute: str, resolve: Resolve) -> Any: ...


def is_intrinsic(value: Any) -> bool:
    """A one-key mapping whose key is ``Ref`` or ``Fn::*``. (``{Condition: name}`` is one only
    inside a condition: elsewhere it may be plain data, as in an IAM statement.)"""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def text(value: Any, what: str, path: KeyPath) -> str:
    """A scalar as CloudFormation turns it into a string (``true``, ``3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ResolveError(f"{what} needs a string, got {fastjson.spaced(value, default=str)}", path)


class Resolver:
    """Resolves values of one template; caches what resources resolve to."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        resources: Resources,
        conditions: Mapping[str, Any],
        mappings: Mapping[str, Any],
        region: str,
        dynamic: DynamicValues | None = None,
    ) -> None:
        self._dynamic = dynamic
        self._parameters = parameters
        self._resources = resources
        self._conditions = conditions
        self._mappings = mappings
        self._region = region
        self._refs: dict[str, Any] = {}
        self._condition_values: dict[str, bool] = {}
        # Resources and conditions being resolved right now, to report cycles instead of recursing.
        self._pending: list[str] = []

    def resolve(self, value: Any, path: KeyPath = ()) -> Any:
        """``value`` with every intrinsic function replaced by its result; ``NO_VALUE`` items
        of mappings and lists are dropped, and ``NO_VALUE`` itself when ``value`` is one."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                name, argument = next(iter(value.items()))
                return self._call(name, argument, (*path, name))
            resolved = {}
            for key, item in value.items():
                result = self.resolve(item, (*path, key))
                if result is not NO_VALUE:
                    resolved[key] = result
            return resolved
        if isinstance(value, list):
            items = (self.resolve(item, (*path, i)) for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, str) and MARKER in value:
            return self._dynamic_references(value, path)
        return value

    def _dynamic_references(self, value: str, path: KeyPath) -> str:
        if self._dynamic is None:  # reading without deploying (`lamina validate`): as written
            return value
        try:
            return substitute(value, self._dynamic)
        except DynamicReferenceError as exc:
            raise ResolveError(str(exc), path) from None

    def condition(self, name: str, path: KeyPath = ()) -> bool:
        """The value of the template condition ``name``."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._conditions:
            raise ResolveError(f"Condition {name} is not defined in Conditions", path)
        marker = f"condition {name}"
        if marker in self._pending:
            raise ResolveError(f"Circular dependency between conditions: [{name}]", path)
        self._pending.append(marker)
        try:
            value = self._truth(self._conditions[name], ("Conditions", name))
        finally:
            self._pending.pop()
        self._condition_values[name] = value
        return value

    def _truth(self, expression: Any, path: KeyPath) -> bool:
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, str) and expression.lower() in ("true", "false"):
            return expression.lower() == "true"
        if isinstance(expression, dict) and list(expression) == ["Condition"]:
            return self.condition(str(expression["Condition"]), (*path, "Condition"))
        if not is_intrinsic(expression):
            raise ResolveError(
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition", path
            )
        name, argument = next(iter(expression.items()))
        path = (*path, name)
        if name == "Fn::Equals":
            left, right = self._arguments(name, argument, 2, path)
            return bool(
                _comparable(self.resolve(left, path)) == _comparable(self.resolve(right, path))
            )
        if name == "Fn::Not":
            (operand,) = self._arguments(name, argument, 1, path)
            return not self._truth(operand, path)
        if name in ("Fn::And", "Fn::Or"):
            if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
                raise ResolveError(f"{name} takes between 2 and 10 conditions", path)
            results = (self._truth(item, (*path, i)) for i, item in enumerate(argument))
            return all(results) if name == "Fn::And" else any(results)
        # Fn::If and friends may produce a condition's operand.
        return self._truth(self.resolve(expression, path[:-1]), path)

    @staticmethod
    def _arguments(name: str, argument: Any, count: int, path: KeyPath) -> list[Any]:
        if not isinstance(argument, list) or len(argument) != count:
            raise ResolveError(f"{name} takes a list of {count} elements", path)
        return argument

    def _call(self, name: str, argument: Any, path: KeyPath) -> Any:
        handlers: dict[str, Callable[[Any, KeyPath], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda a, p: base64.b64encode(
                text(self.resolve(a, p), "Fn::Base64", p).encode()
            ).decode(),
            "Fn::GetAZs": self._get_azs,
            "Fn::Cidr": self._cidr,
            "Fn::Length": self._length,
            "Fn::ToJsonString": lambda a, p: fastjson.dumps_text(self.resolve(a, p), default=str),
            "Fn::Equals": lambda a, p: self._truth({name: a}, p[:-1]),
            "Fn::And": lambda a, p: self._truth({name: a}, p[:-1]),
            "Fn::Or": lambda a, p: self._truth({name: a}, p[:-1]),
            "Fn::Not": lambda a, p: self._truth({name: a}, p[:-1]),
        }
        if name == "Fn::ImportValue":
            raise ResolveError(
                "Fn::ImportValue cannot be resolved: Lamina runs one stack, so there are no "
                "exports of other stacks (use a parameter instead)",
                path,
            )
        if name not in handlers:
            raise ResolveError(f"{name} is not supported by Lamina", path)
        return handlers[name](argument, path)

    def _ref(self, argument: Any, path: KeyPath) -> Any:
        if not isinstance(argument, str):
            raise ResolveError("Ref needs the name of a parameter or resource", path)
        if argument == "AWS::NoValue":
            return NO_VALUE
        if argument in self._parameters:
            return self._parameters[argument]
        if argument in self._resources:
            return self._resource(argument, "", path)
        raise ResolveError(
            f"Unresolved resource dependencies [{argument}] in the Resources block of the template",
            path,
        )

    def _resource(self, logical_id: str, attribute: str, path: KeyPath) -> Any:
        key = f"{logical_id}.{attribute}"
        if key in self._refs:
            return self._refs[key]
        if logical_id in self._pending:
            cycle = self._pending[self._pending.index(logical_id) :]
            raise ResolveError(f"Circular dependency between resources: [{', '.join(cycle)}]", path)
        self._pending.append(logical_id)
        try:
            if attribute:
                value = self._resources.get_att(logical_id, attribute, self.resolve)
            else:
                value = self._resources.ref(logical_id, self.resolve)
        finally:
            self._pending.pop()
        self._refs[key] = value
        return value

    def _get_att(self, argument: Any, path: KeyPath) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise ResolveError(
                "Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute'", path
            )
        logical_id = argument[0]
        attribute = text(self.resolve(argument[1], (*path, 1)), "Fn::GetAtt", path)
        if logical_id not in self._resources:
            raise ResolveError(
                "Template error: instance of Fn::GetAtt references undefined resource "
                f"{logical_id}",
                path,
            )
        return self._resource(str(logical_id), attribute, path)

    def _sub(self, argument: Any, path: KeyPath) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise ResolveError("Fn::Sub takes a string or [string, {variables}]", path)
            argument, raw = argument
            variables = {k: self.resolve(v, (*path, 1, k)) for k, v in raw.items()}
        if not isinstance(argument, str):
            raise ResolveError("Fn::Sub needs a string", path)

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif name in self._parameters or name in self._resources or "." not in name:
                value = self._ref(name, path)
            else:
                value = self._get_att(name, path)
            return text(value, f"Fn::Sub variable ${{{name}}}", path)

        result = _SUB_VARIABLE.sub(substitute, argument)
        return self._dynamic_references(result, path) if MARKER in result else result

    def _join(self, argument: Any, path: KeyPath) -> str:
        delimiter, items = self._arguments("Fn::Join", argument, 2, path)
        items = self.resolve(items, (*path, 1))
        if not isinstance(items, list):
            raise ResolveError("Fn::Join needs a list of values to join", path)
        return text(delimiter, "Fn::Join", path).join(text(i, "Fn::Join", path) for i in items)

    def _select(self, argument: Any, path: KeyPath) -> Any:
        index, items = self._arguments("Fn::Select", argument, 2, path)
        index = self.resolve(index, (*path, 0))
        items = self.resolve(items, (*path, 1))
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise ResolveError("Fn::Select needs a numeric index", path) from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            raise ResolveError(f"Fn::Select cannot select nonexistent value at index {index}", path)
        return items[position]

    def _split(self, argument: Any, path: KeyPath) -> list[str]:
        delimiter, source = self._arguments("Fn::Split", argument, 2, path)
        source = text(self.resolve(source, (*path, 1)), "Fn::Split", path)
        separator = text(delimiter, "Fn::Split", path)
        if not separator:
            raise ResolveError("Fn::Split needs a delimiter that is not empty", path)
        return source.split(separator)

    def _if(self, argument: Any, path: KeyPath) -> Any:
        name, when_true, when_false = self._arguments("Fn::If", argument, 3, path)
        if self.condition(str(name), path):
            return self.resolve(when_true, (*path, 1))
        return self.resolve(when_false, (*path, 2))

    def _find_in_map(self, argument: Any, path: KeyPath) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise ResolveError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]", path)
        keys = [
            text(self.resolve(k, (*path, i)), "Fn::FindInMap", path)
            for i, k in enumerate(argument[:3])
        ]
        node: Any = self._mappings
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                # AWS::LanguageExtensions' optional fourth argument: {DefaultValue: ...}.
                if (
                    len(argument) == 4
                    and isinstance(argument[3], dict)
                    and "DefaultValue" in argument[3]
                ):
                    return self.resolve(argument[3]["DefaultValue"], (*path, 3))
                where = "Mappings" if depth == 0 else f"Mapping '{keys[0]}'"
                raise ResolveError(f"Fn::FindInMap - Key '{key}' not found in {where}", path)
            node = node[key]
        return node

    def _get_azs(self, argument: Any, path: KeyPath) -> list[str]:
        region = self.resolve(argument, path) or self._region
        return [f"{text(region, 'Fn::GetAZs', path)}{zone}" for zone in "abc"]

    def _cidr(self, argument: Any, path: KeyPath) -> list[str]:
        block, count, bits = (
            self.resolve(a, (*path, i))
            for i, a in enumerate(self._arguments("Fn::Cidr", argument, 3, path))
        )
        try:
            network = ipaddress.ip_network(text(block, "Fn::Cidr", path), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        except (TypeError, ValueError, StopIteration) as exc:
            raise ResolveError(
                f"Fn::Cidr cannot split {block} into {count} blocks of {bits} bits", path
            ) from exc

    def _length(self, argument: Any, path: KeyPath) -> int:
        items = self.resolve(argument, path)
        if not isinstance(items, list):
            raise ResolveError("Fn::Length needs a list", path)
        return len(items)


def _comparable(value: Any) -> Any:
    """Fn::Equals compares what the template means: ``1`` equals ``"1"`` and ``true`` ``"true"``."""
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, bool | int | float):
        return text(value, "Fn::Equals", ())
    return value
