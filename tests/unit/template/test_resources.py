"""One reader for every kind of resource: functions, tables and APIs report an unresolvable
property the same way, at the file line, resource and field the user wrote."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: FN_VALUE
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: TABLE_VALUE
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: API_VALUE
      ProtocolType: HTTP
"""
MISSING = "!Ref Nowhere"


@pytest.mark.parametrize(
    ("slot", "line", "resource", "field"),
    [
        ("FN_VALUE", 11, "Fn", "Environment.Variables.TABLE"),
        ("TABLE_VALUE", 15, "Orders", "TableName"),
        ("API_VALUE", 22, "Api", "Name"),
    ],
)
def test_unresolvable_property_is_located_alike(
    write_app: WriteApp, slot: str, line: int, resource: str, field: str
) -> None:
    """A ``!Ref`` to nothing in a function, a table or an API is a TemplateError at its line,
    resource and field, with CloudFormation's message."""
    template = TEMPLATE
    for name in ("FN_VALUE", "TABLE_VALUE", "API_VALUE"):
        template = template.replace(name, MISSING if name == slot else "plain")
    path = write_app(template)
    with pytest.raises(TemplateError) as caught:
        load_stack(path, stack_name="demo")
    error = caught.value
    assert (error.line, error.resource, error.field) == (line, resource, field)
    assert "Unresolved resource dependencies [Nowhere]" in str(error)
