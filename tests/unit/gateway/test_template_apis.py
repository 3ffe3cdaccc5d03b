"""Templates -> API specs: SAM APIs, OpenAPI bodies in files, raw resources, Function URLs,
and clear errors naming the resource and field of a bad definition."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.model.apis import ApiKind, IntegrationType
from lamina.model.specs import Stack
from lamina.template import load_stack

HEAD = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Handler: app.handler}
Resources:
  Fn:
    Type: AWS::Serverless::Function
"""


def load(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> Stack:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    (tmp_path / "template.yaml").write_text(textwrap.dedent(HEAD).lstrip() + body.lstrip("\n"))
    return load_stack(tmp_path, stack_name="t")


def test_sam_apis_events_and_url(tmp_path: Path) -> None:
    """Api and HttpApi events make the implicit APIs (Prod, $default); FunctionUrlConfig a
    Function URL; none of them is reported as unsupported any more."""
    stack = load(
        tmp_path,
        """
    Properties:
      FunctionUrlConfig: {AuthType: NONE}
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get}}
        H: {Type: HttpApi, Properties: {Path: /h, Method: post}}
""",
    )
    kinds = {a.logical_id: (a.kind, [s.name for s in a.stages]) for a in stack.apis}
    assert kinds == {
        "ServerlessRestApi": (ApiKind.REST, ["Prod"]),
        "ServerlessHttpApi": (ApiKind.HTTP, ["$default"]),
        "FnUrl": (ApiKind.FUNCTION_URL, ["$default"]),
    }
    http = next(a for a in stack.apis if a.kind is ApiKind.HTTP)
    assert [(r.method, r.path, r.integration.payload_format) for r in http.routes] == [
        ("POST", "/h", "2.0")
    ]
    assert stack.unsupported == ()


def test_definition_uri_and_include_files(tmp_path: Path) -> None:
    """A local DefinitionUri and an AWS::Include'd body are read in before the expansion."""
    openapi = """
        openapi: "3.0.1"
        info: {title: x, version: "1"}
        paths:
          /f:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: "1.0"
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}
    """
    stack = load(
        tmp_path,
        """
    Properties: {}
  FromUri:
    Type: AWS::Serverless::HttpApi
    Properties: {DefinitionUri: api.yaml}
  FromInclude:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: inc
      DefinitionBody:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: api.yaml}}
""",
        {"api.yaml": openapi},
    )
    for api in stack.apis:
        assert [(r.path, r.integration.payload_format) for r in api.routes] == [("/f", "1.0")]
        assert api.routes[0].integration.function == stack.functions["Fn"].arn


def test_missing_include_names_the_resource(tmp_path: Path) -> None:
    """An include whose file is missing fails with the resource and the file named."""
    with pytest.raises(TemplateError, match=r"cannot read nope\.yaml") as caught:
        load(
            tmp_path,
            """
    Properties: {}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: nope.yaml}}
""",
        )
    assert caught.value.resource == "Api"


def test_bad_definitions_name_resource_and_field(tmp_path: Path) -> None:
    """A raw V2 route whose Target is no integration, and an OpenAPI path without a slash, are
    refused naming the resource and field."""
    with pytest.raises(TemplateError) as caught:
        load(
            tmp_path,
            """
    Properties: {}
  Raw:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Raw, RouteKey: GET /x, Target: integrations/nothing}
""",
        )
    assert (caught.value.resource, caught.value.field) == ("Route", "Target")
    with pytest.raises(TemplateError, match="must start with /") as caught:
        load(
            tmp_path,
            """
    Properties: {}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: s
      DefinitionBody: {swagger: "2.0", info: {title: x, version: "1"}, paths: {nope: {}}}
""",
        )
    assert caught.value.resource == "Api"


def test_unsupported_integrations_and_authorizers_are_reported(tmp_path: Path) -> None:
    """Integrations Lamina cannot serve (Kinesis, private VPC_LINK ones) are listed loudly
    by name, their routes not served; a method requiring an API key is marked so (the gateway
    checks the key)."""
    stack = load(
        tmp_path,
        """
    Properties:
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Api, Auth: {ApiKeyRequired: true}}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: s
      Auth: {ApiKeyRequired: true}
      MergeDefinitions: true
      DefinitionBody:
        swagger: "2.0"
        info: {title: x, version: "1"}
        paths:
          /aws:
            get:
              x-amazon-apigateway-integration: {type: aws, httpMethod: POST, uri: "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord"}
          /private:
            get:
              x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "http://nlb.internal/", connectionType: VPC_LINK, connectionId: abc}
""",
    )
    names = {u.logical_id: u.note for u in stack.unsupported}
    assert any(name.startswith("Api paths./aws.get") for name in names)
    (private,) = [note for name, note in names.items() if "paths./private.get" in name]
    assert "connectionType VPC_LINK" in private
    (route,) = [r for api in stack.apis for r in api.routes if r.path == "/a"]
    assert route.api_key_required


def test_raw_rest_tree_and_quick_create(tmp_path: Path) -> None:
    """Resource/Method trees nest their PathParts; a V2 quick create has a $default route and
    stage; a V2 Target URL is an HTTP_PROXY integration."""
    stack = load(
        tmp_path,
        """
    Properties: {}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Top:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: a}
  Leaf:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !Ref Top, PathPart: "{b}"}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Leaf
      HttpMethod: GET
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Rest, StageName: live, DeploymentId: x, Variables: {k: v}}
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: q, ProtocolType: HTTP, Target: "https://example.com/x"}
""",
    )
    rest = next(a for a in stack.apis if a.logical_id == "Rest")
    assert [(r.method, r.path) for r in rest.routes] == [("GET", "/a/{b}")]
    assert [(s.name, dict(s.variables)) for s in rest.stages] == [("live", {"k": "v"})]
    quick = next(a for a in stack.apis if a.logical_id == "Quick")
    (route,) = quick.routes
    assert (route.key, route.integration.type) == ("$default", IntegrationType.HTTP_PROXY)


def test_raw_method_with_mapping_templates_and_gateway_response(tmp_path: Path) -> None:
    """An AWS::ApiGateway::Method with a Lambda non-proxy Integration keeps its templates,
    passthrough behaviour and IntegrationResponses (SelectionPattern patterns tried before the
    default); an AWS::ApiGateway::GatewayResponse customises its API."""
    stack = load(
        tmp_path,
        """
    Properties: {}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: POST
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"
        PassthroughBehavior: NEVER
        RequestTemplates: {application/json: '{"a": $input.json(''$.a'')}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates: {application/json: '$input.body'}
          - StatusCode: "404"
            SelectionPattern: ".*missing.*"
            ResponseParameters: {method.response.header.X-Why: "'missing'"}
  Unauthorized:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Rest
      ResponseType: UNAUTHORIZED
      StatusCode: "403"
      ResponseTemplates: {application/json: '{"m": $context.error.messageString}'}
""",
    )
    rest = next(a for a in stack.apis if a.logical_id == "Rest")
    (route,) = rest.routes
    spec = route.integration
    assert spec.type is IntegrationType.AWS and ":function:t-Fn-" in (spec.function or "")
    assert spec.passthrough.value == "NEVER"
    assert dict(spec.request_templates) == {"application/json": "{\"a\": $input.json('$.a')}"}
    assert [(r.status, r.pattern) for r in spec.responses] == [(404, ".*missing.*"), (200, None)]
    assert dict(spec.responses[0].parameters) == {"method.response.header.X-Why": "'missing'"}
    custom = rest.gateway_responses["UNAUTHORIZED"]
    assert custom.status == 403 and "messageString" in custom.templates["application/json"]


def test_a_bad_gateway_response_type_names_the_resource(tmp_path: Path) -> None:
    """A ResponseType API Gateway does not have is refused naming the resource."""
    with pytest.raises(TemplateError, match=r"Bad.*NOT_A_TYPE"):
        load(
            tmp_path,
            """
    Properties: {}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Bad:
    Type: AWS::ApiGateway::GatewayResponse
    Properties: {RestApiId: !Ref Rest, ResponseType: NOT_A_TYPE}
""",
        )


def test_unserved_subtypes_are_refused_by_name(tmp_path: Path) -> None:
    """An HTTP API first-class integration Lamina does not serve (Kinesis-PutRecord) is
    reported, naming the subtype; the served subtypes need their required parameters."""
    stack = load(
        tmp_path,
        """
    Properties: {}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: x, version: "1"}
        paths:
          /start:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                integrationSubtype: Kinesis-PutRecord
                payloadFormatVersion: "1.0"
                requestParameters: {StreamName: s, Data: $request.body, PartitionKey: k}
          /send:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                integrationSubtype: SQS-SendMessage
                payloadFormatVersion: "1.0"
                requestParameters: {MessageBody: $request.body}
""",
    )
    notes = " ".join(u.note for u in stack.unsupported)
    assert "Kinesis-PutRecord is not supported yet" in notes
    assert "SQS-SendMessage needs the request parameters QueueUrl" in notes


def test_raw_method_request_validator_and_model(tmp_path: Path) -> None:
    """A raw Method's RequestValidatorId, required RequestParameters and RequestModels (an
    AWS::ApiGateway::Model whose Schema is JSON text) become its validation."""
    stack = load(
        tmp_path,
        """
    Properties: {}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Both:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {RestApiId: !Ref Rest, ValidateRequestBody: true, ValidateRequestParameters: true}
  Pet:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Rest
      Name: Pet
      ContentType: application/json
      Schema: '{"type": "object", "required": ["name"]}'
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: POST
      RequestValidatorId: !Ref Both
      RequestParameters: {method.request.querystring.owner: true, method.request.header.X-Opt: false}
      RequestModels: {application/json: !Ref Pet}
      Integration: {Type: MOCK}
""",
    )
    (route,) = next(a for a in stack.apis if a.logical_id == "Rest").routes
    assert route.validation is not None
    assert route.validation.required == (("querystring", "owner"),)
    assert route.validation.models == {"application/json": '{"type":"object","required":["name"]}'}


def test_stage_method_and_route_settings(tmp_path: Path) -> None:
    """SAM Api MethodSettings (``/~1a`` is ``/a``, ``/*`` every path) with the stage cache, and
    HttpApi DefaultRouteSettings/RouteSettings become each stage's method settings; a route's
    effective settings take each field from the most specific entry."""
    stack = load(
        tmp_path,
        """
    Properties:
      Events:
        A: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: /a, Method: get}}
        H: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /h, Method: get}}
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      CacheClusterEnabled: true
      CacheClusterSize: "1.6"
      MethodSettings:
        - {ResourcePath: /*, HttpMethod: "*", ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
        - ResourcePath: /~1a
          HttpMethod: GET
          ThrottlingBurstLimit: 5
          CachingEnabled: true
          CacheTtlInSeconds: 60
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings: {ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20}
      RouteSettings:
        "GET /h": {ThrottlingBurstLimit: 2}
""",
    )
    rest = next(a for a in stack.apis if a.logical_id == "Rest")
    (stage,) = rest.stages
    assert stage.cache_cluster and stage.cache_size_gb == 1.6
    own = stage.settings_for("GET", "/a")
    assert (own.rate, own.burst, own.caching, own.cache_ttl_s) == (100.0, 5, True, 60)
    other = stage.settings_for("POST", "/a")
    assert (other.rate, other.burst, other.caching) == (100.0, 50, None)
    http = next(a for a in stack.apis if a.logical_id == "Http")
    (default,) = http.stages
    route = default.settings_for("GET", "/h")
    assert (route.rate, route.burst) == (10.0, 2)
