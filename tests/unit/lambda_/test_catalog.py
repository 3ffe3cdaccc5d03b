"""Which spec an invocation runs: lookup by name, logical id or ARN; versions; aliases; weights."""

from __future__ import annotations

import dataclasses
import random
from types import MappingProxyType

import pytest

from lamina.engine.catalog import Catalog, split_qualifier
from lamina.errors import InvalidParameterValueException, ResourceNotFoundException
from lamina.model.lambdas import AliasSpec, LambdaFunction
from tests.integration.engine_support import ACCOUNT, REGION, function

ARN = "arn:aws:lambda:us-east-1:123456789012:function:test-Fn"


def _catalog(seed: int = 1) -> Catalog:
    spec = function("Fn", "app.handler")
    versions = {v: dataclasses.replace(spec, version=v) for v in ("1", "2")}
    overlay = LambdaFunction(
        latest=spec,
        versions=MappingProxyType(versions),
        aliases=MappingProxyType(
            {
                "live": AliasSpec("live", "1"),
                "canary": AliasSpec("canary", "1", MappingProxyType({"2": 0.25})),
            }
        ),
        provisioned=MappingProxyType({"live": 2, "2": 1}),
    )
    return Catalog({spec.name: overlay}, REGION, ACCOUNT, random.Random(seed))


@pytest.mark.parametrize(
    ("function", "qualifier", "version"),
    [
        ("Fn", None, "$LATEST"),
        ("test-Fn", "$LATEST", "$LATEST"),
        (ARN, "2", "2"),
        (f"{ARN}:1", None, "1"),
        ("123456789012:function:test-Fn:live", None, "1"),
        ("test-Fn:2", "2", "2"),
    ],
)
def test_resolves_names_arns_and_qualifiers(
    function: str, qualifier: str | None, version: str
) -> None:
    """A logical id, a name, a full or partial ARN, with the qualifier in the name or apart."""
    assert _catalog().resolve(function, qualifier).spec.version == version


def test_unknown_targets_raise_lambdas_errors() -> None:
    """Unknown functions and versions say `Function not found`, unknown aliases `Cannot find
    alias arn`, and a qualifier that contradicts the name's is refused."""
    catalog = _catalog()
    with pytest.raises(
        ResourceNotFoundException,
        match=r"^Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope$",
    ):
        catalog.resolve("nope")
    with pytest.raises(ResourceNotFoundException, match=f"^Function not found: {ARN}:9$"):
        catalog.resolve("Fn", "9")
    with pytest.raises(ResourceNotFoundException, match=f"^Cannot find alias arn: {ARN}:beta$"):
        catalog.resolve("Fn", "beta")
    with pytest.raises(InvalidParameterValueException):
        catalog.resolve("test-Fn:1", "2")


def test_weighted_alias_draws_each_version_in_proportion() -> None:
    """An alias with {"2": 0.25} sends a quarter of the draws to version 2 (seeded: exact)."""
    catalog = _catalog(seed=7)
    draws = [catalog.resolve("Fn", "canary").spec.version for _ in range(4000)]
    share = draws.count("2") / len(draws)
    assert 0.22 < share < 0.28
    assert set(draws) == {"1", "2"}


def test_provisioned_by_alias_lands_on_its_version() -> None:
    """Provisioned concurrency on an alias provisions the alias's version."""
    assert _catalog().provisioned() == {("test-Fn", "1"): 2, ("test-Fn", "2"): 1}


def test_split_qualifier() -> None:
    assert split_qualifier(f"{ARN}:live") == (ARN, "live")
    assert split_qualifier(ARN) == (ARN, None)
    assert split_qualifier("name:$LATEST") == ("name", "$LATEST")
