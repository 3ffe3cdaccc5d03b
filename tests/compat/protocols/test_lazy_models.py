"""botocore's service models cost nothing until a service is called: building a ``ModelService``
reads only its model's metadata, the shapes load on the first request, and telling which
service an unserved request is for reads no whole model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lamina.services.protocols import catalog, shapes
from lamina.services.sts.service import sts_service
from tests.compat.protocols.served import Served


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A fresh process's caches, with every whole-model load recorded by name."""
    shapes.model.cache_clear()
    catalog.model.cache_clear()
    catalog._index.cache_clear()
    loaded: list[str] = []
    real = shapes.model.__wrapped__

    def record(name: str) -> shapes.Model:
        loaded.append(name)
        return real(name)

    def refuse(name: str) -> Any:
        raise AssertionError(f"catalog loaded the whole {name} model")

    monkeypatch.setattr(shapes, "model", record)
    monkeypatch.setattr(catalog, "_load_whole", refuse)
    yield loaded


def test_a_model_loads_on_the_services_first_request(no_models: list[str]) -> None:
    """Building STS loads no model; its first call loads STS's, once, and answers."""
    up = Served([sts_service("123456789012")])
    try:
        assert no_models == []
        client = up.client("sts")
        assert client.get_caller_identity()["Account"] == "123456789012"
        assert client.get_caller_identity()["Account"] == "123456789012"
        assert no_models == ["sts"]
    finally:
        up.close()


def test_an_unserved_service_is_named_from_metadata_alone(no_models: list[str]) -> None:
    """Finding a service by its X-Amz-Target or signing name reads every model's metadata but
    loads no whole model, and names the same service the whole model would."""
    found = catalog.find(None, "AWSCognitoIdentityProviderService.ListUserPools")
    assert found is not None and found.name == "cognito-idp"
    assert found.protocol == "json" and found.json_version == "1.1"
    by_signing = catalog.find("states", None)
    assert by_signing is not None and by_signing.name == "stepfunctions"
    assert by_signing.target_prefix == "AWSStepFunctions"
    assert no_models == []
