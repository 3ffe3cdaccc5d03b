"""Which spec an invocation runs: a function found by name, logical id or ARN, then its qualifier
($LATEST, a version number, or an alias with weighted routing) resolved to one version.

Pure logic: the catalog is an immutable snapshot of every function that exists, built from the
whole snapshot the engine is deployed with (``FunctionControl.deploy``); it merges nothing (the
Lambda registry, or the app's template projection when Lambda is external, decided what exists).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass

from lamina.engine.report import PlatformLog
from lamina.errors import InvalidParameterValueException, ResourceNotFoundException
from lamina.model import arns
from lamina.model.lambdas import LATEST, EventInvokeConfig, LambdaFunction
from lamina.model.specs import FunctionSpec

_DEFAULT_CONFIG = EventInvokeConfig()
PoolKey = tuple[str, str]  # (function name, version)


@dataclass(frozen=True)
class Target:
    """One resolved invocation target (the catalog reuses it: its derived values are cached)."""

    function: LambdaFunction
    spec: FunctionSpec  # ``spec.version`` is the executed version
    qualifier: str | None  # as the caller gave it (an alias, a version, $LATEST or None)

    @functools.cached_property
    def key(self) -> PoolKey:
        return (self.spec.name, self.spec.version)

    @functools.cached_property
    def platform_log(self) -> PlatformLog:
        spec = self.spec
        return PlatformLog.for_function(spec)

    @functools.cached_property
    def invoked_arn(self) -> str:
        base = self.function.latest.arn
        return f"{base}:{self.qualifier}" if self.qualifier else base


def split_qualifier(function: str) -> tuple[str, str | None]:
    """``name:qualifier`` or an ARN with a qualifier -> (unqualified name or ARN, qualifier)."""
    qualifier = arns.split_function(function)[1]
    if qualifier is None:
        return function, None
    return function[: -len(qualifier) - 1], qualifier


class Catalog:
    def __init__(
        self,
        functions: Mapping[str, LambdaFunction],
        region: str,
        account_id: str,
        rng: random.Random | None = None,
    ) -> None:
        self.functions = dict(functions)
        self._region = region
        self._account = account_id
        # Template functions answer to their logical id too (an API function's is its name).
        self._logical = {fn.latest.logical_id: name for name, fn in self.functions.items()}
        self._rng = rng or random.Random()
        # Resolutions that cannot change while this catalog lives (everything but a weighted
        # alias, which picks a version per invocation); a new catalog replaces this one on any
        # change. Keys are only ones that resolved, so the cache stays as small as the catalog.
        self._resolved: dict[tuple[str, str | None], Target] = {}

    # -- lookup ----------------------------------------------------------------------------

    def find(self, function: str) -> LambdaFunction | None:
        """By name, logical id (template functions) or unqualified ARN."""
        found = self.functions.get(function) or self.functions.get(self._logical.get(function, ""))
        if found is None:
            name, qualifier = arns.split_function(function)
            if qualifier is None:
                found = self.functions.get(name)
        return found

    def arn(self, function: str, qualifier: str | None = None) -> str:
        if function.startswith("arn:"):
            return f"{function}:{qualifier}" if qualifier else function
        return arns.function_arn(self._region, self._account, function, qualifier)

    def resolve(self, function: str, qualifier: str | None = None) -> Target:
        """The spec to run; raises ``ResourceNotFoundException`` with Lambda's message."""
        known = self._resolved.get((function, qualifier))
        if known is not None:
            return known
        target = self._resolve(function, qualifier)
        fn = target.function
        alias = fn.aliases.get(target.qualifier) if target.qualifier else None
        if alias is None or not alias.weights:
            self._resolved[function, qualifier] = target
        return target

    def _resolve(self, function: str, qualifier: str | None) -> Target:
        base, embedded = split_qualifier(function)
        if embedded is not None and self.find(function) is None:
            if qualifier is not None and qualifier != embedded:
                raise InvalidParameterValueException(
                    "The derived qualifier from the function name does not match the specified "
                    "qualifier."
                )
            function, qualifier = base, embedded
        fn = self.find(function)
        if fn is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(function, qualifier)}")
        if qualifier is None or qualifier == LATEST:
            return Target(fn, fn.latest, qualifier)
        if qualifier in fn.versions:
            return Target(fn, fn.versions[qualifier], qualifier)
        alias = fn.aliases.get(qualifier)
        if alias is None:
            if qualifier.isdigit():
                raise ResourceNotFoundException(f"Function not found: {fn.latest.arn}:{qualifier}")
            raise ResourceNotFoundException(f"Cannot find alias arn: {fn.latest.arn}:{qualifier}")
        return Target(
            fn, self._spec(fn, self._route(alias.function_version, alias.weights)), qualifier
        )

    def _route(self, primary: str, weights: Mapping[str, float]) -> str:
        """Weighted routing: each extra version gets its share, the primary the rest."""
        if not weights:
            return primary
        draw = self._rng.random()
        for version, weight in weights.items():
            if draw < weight:
                return version
            draw -= weight
        return primary

    @staticmethod
    def _spec(fn: LambdaFunction, version: str) -> FunctionSpec:
        if version == LATEST:
            return fn.latest
        spec = fn.versions.get(version)
        if spec is None:
            raise ResourceNotFoundException(f"Function not found: {fn.latest.arn}:{version}")
        return spec

    # -- what the engine keeps running -----------------------------------------------------

    def runnable(self) -> dict[PoolKey, FunctionSpec]:
        """Every spec an invocation may run, by pool key."""
        specs: dict[PoolKey, FunctionSpec] = {}
        for fn in self.functions.values():
            specs[(fn.name, LATEST)] = fn.latest
            for version, spec in fn.versions.items():
                specs[(fn.name, version)] = spec
        return specs

    def provisioned(self) -> dict[PoolKey, int]:
        """Provisioned environments wanted per pool (an alias provisions its primary version)."""
        wanted: dict[PoolKey, int] = {}
        for fn in self.functions.values():
            for qualifier, count in fn.provisioned.items():
                alias = fn.aliases.get(qualifier)
                version = alias.function_version if alias else qualifier
                if version == LATEST or version in fn.versions:
                    key = (fn.name, version)
                    wanted[key] = wanted.get(key, 0) + count
        return wanted

    def reserved(self) -> dict[str, int]:
        return {
            name: fn.reserved_concurrency
            for name, fn in self.functions.items()
            if fn.reserved_concurrency is not None
        }

    def event_config(self, fn: LambdaFunction, qualifier: str | None) -> EventInvokeConfig:
        """The async configuration of the qualifier the event was sent to ($LATEST when none)."""
        return fn.event_invoke.get(qualifier or LATEST, _DEFAULT_CONFIG)
