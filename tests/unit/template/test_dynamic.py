"""Dynamic references in templates: `{{resolve:ssm:...}}`, `ssm-secure` and `secretsmanager`
(by name or ARN, a JSON key, a stage) resolved from the values given, anywhere in a string and in
`Fn::Sub`; an unresolvable one is an error naming the reference and where it is; reading a
template without values (`lamina validate`) leaves them as written."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"


class Values:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None, str | None]] = []

    def parameter(self, name: str, version: int | None) -> str | None:
        return {("/host", None): "db.local", ("/host", 2): "old.local", ("/pw", None): "s3"}.get(
            (name, version)
        )

    def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str | None:
        self.asked.append((secret_id, stage, version_id))
        if secret_id in ("prod/db", ARN):
            return '{"user": "admin", "port": 5432}'
        return None


TEMPLATE = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: src/
          Environment:
            Variables:
              HOST: "{{resolve:ssm:/host}}"
              OLD: "host={{resolve:ssm:/host:2}};"
              SECURE: "{{resolve:ssm-secure:/pw}}"
              USER: "{{resolve:secretsmanager:prod/db:SecretString:user}}"
              PORT: "{{resolve:secretsmanager:ARN:SecretString:port:AWSPREVIOUS}}"
              WHOLE: !Sub "${AWS::Region}/{{resolve:secretsmanager:prod/db}}"
""".replace("ARN:", ARN + ":")


def test_references_resolve_from_the_values(write_app: WriteApp) -> None:
    values = Values()
    stack = load_stack(write_app(TEMPLATE), stack_name="demo", dynamic=values)
    env = dict(stack.functions["Fn"].environment)
    assert env["HOST"] == "db.local" and env["OLD"] == "host=old.local;"
    assert env["SECURE"] == "s3" and env["USER"] == "admin" and env["PORT"] == "5432"
    assert env["WHOLE"] == 'us-east-1/{"user": "admin", "port": 5432}'
    assert (ARN, "AWSPREVIOUS", None) in values.asked


def test_an_unresolvable_reference_names_itself(write_app: WriteApp) -> None:
    path = write_app(TEMPLATE.replace("/host}}", "/nope}}"))
    with pytest.raises(
        TemplateError, match=r"\{\{resolve:ssm:/nope\}\}: parameter /nope not found"
    ):
        load_stack(path, stack_name="demo", dynamic=Values())


def test_without_values_references_stay_as_written(write_app: WriteApp) -> None:
    stack = load_stack(write_app(TEMPLATE), stack_name="demo")
    assert dict(stack.functions["Fn"].environment)["HOST"] == "{{resolve:ssm:/host}}"
