"""Stack outputs naming AWS's address of an API the stack deployed read as the local one."""

from __future__ import annotations

from lamina.app.localurls import local_outputs, localiser
from lamina.model.apis import Api, ApiKind
from lamina.model.specs import StackOutput

REST = Api("ServerlessRestApi", "a1b2c3d4e5", ApiKind.REST)
URL = Api("FnUrl", "u" * 32, ApiKind.FUNCTION_URL, function="Worker")
LOCAL = "http://127.0.0.1:3000"


def test_an_api_of_the_stack_is_given_its_local_address_with_stage_and_path_kept() -> None:
    localise = localiser([REST, URL], LOCAL)
    aws = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/Prod/hello?x=1"
    assert localise(aws) == f"{LOCAL}/Prod/hello?x=1"
    assert localise(f"curl {aws} -d {{}}") == f"curl {LOCAL}/Prod/hello?x=1 -d {{}}"
    furl = f"https://{'u' * 32}.lambda-url.eu-west-1.on.aws/"
    assert localise(furl) == f"{LOCAL}/_lamina/urls/Worker/"


def test_other_addresses_are_left_as_they_are() -> None:
    """Another stack's API, a look-alike host and plain values stay untouched."""
    localise = localiser([REST], LOCAL)
    for text in (
        "https://zzzzzzzzzz.execute-api.eu-west-1.amazonaws.com/Prod/",
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com.evil.example/",
        "arn:aws:lambda:us-east-1:123456789012:function:x",
        f"https://{'u' * 32}.lambda-url.eu-west-1.on.aws/",  # not a URL of this stack
    ):
        assert localise(text) == text


def test_outputs_keep_their_key_description_and_export() -> None:
    output = StackOutput(
        "Api", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod", "d", "e"
    )
    (done,) = local_outputs([output], localiser([REST], LOCAL))
    assert done == StackOutput("Api", f"{LOCAL}/Prod", "d", "e")
