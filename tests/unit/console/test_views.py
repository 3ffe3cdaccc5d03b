"""Where the console's request form sends a route's request on the APIs' merged port."""

from __future__ import annotations

from lamina.console.views import _base
from lamina.model.apis import Api, ApiKind, Stage


def test_a_routes_path_is_under_its_stage_or_function_url_prefix() -> None:
    """An HTTP API's ``$default`` stage adds nothing, a REST API's stage is its first segment,
    and a Function URL answers under Lamina's URL prefix for its function."""
    assert _base(Api("Http", "a1", ApiKind.HTTP, stages=(Stage("$default"),))) == ""
    assert _base(Api("Rest", "a2", ApiKind.REST, stages=(Stage("Prod"),))) == "/Prod"
    url = Api("FnUrl", "a3", ApiKind.FUNCTION_URL, function="NotesFunction")
    assert _base(url) == "/_lamina/urls/NotesFunction"
