"""load_stack: SAM expansion, functions and layers, conditions, the unsupported report, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.model.specs import Stack
from lamina.template import load_stack
from lamina.template.names import generated_name

from .conftest import FIXTURES, WriteApp

APP = FIXTURES / "app"


@pytest.fixture(scope="module")
def app() -> Stack:
    return load_stack(APP, stack_name="demo")


def test_globals_apply_and_function_properties_win(app: Stack) -> None:
    """Globals fill what a function leaves out; variables merge, the function's value winning."""
    hello, inline = app.functions["HelloFunction"], app.functions["InlineFunction"]
    assert (hello.runtime, hello.memory_mb, hello.timeout_s) == ("python3.12", 256, 15.0)
    assert inline.timeout_s == 5.0
    assert dict(hello.environment) == {
        "STAGE": "dev",
        "SHARED": "from-function",
        "TABLE": generated_name("demo", "ItemsTable"),
    }
    assert inline.environment["SHARED"] == "from-globals"


def test_function_properties_reach_the_spec(app: Stack) -> None:
    """Handler, code directory and the optional properties are read from the template."""
    hello = app.functions["HelloFunction"]
    assert hello.handler == "app.handler"
    assert hello.code_dir == APP / "src"
    assert hello.description == "Says hello"
    assert hello.reserved_concurrency == 10
    assert hello.architectures == ("arm64",)
    assert hello.ephemeral_storage_mb == 1024
    assert hello.logging.log_format == "JSON"
    assert hello.logging.application_log_level == "DEBUG"
    assert hello.logging.system_log_level == "WARN"
    assert hello.log_group == "/custom/hello"


def test_auto_publish_alias_and_provisioned_concurrency(app: Stack) -> None:
    """AutoPublishAlias (from a parameter) and ProvisionedConcurrencyConfig land on the spec."""
    hello = app.functions["HelloFunction"]
    assert hello.auto_publish_alias == "live"
    assert hello.provisioned_concurrency == 3
    assert app.functions["InlineFunction"].auto_publish_alias is None
    assert app.functions["InlineFunction"].provisioned_concurrency == 0


def test_inline_code(app: Stack) -> None:
    """InlineCode becomes inline_code; the build step gives it a directory later."""
    inline = app.functions["InlineFunction"]
    assert inline.inline_code == 'def handler(event, context):\n    return "inline"\n'
    assert inline.code_dir is None


def test_layers(app: Stack) -> None:
    """Local layers (SAM and plain) resolve to LayerSpecs by their original logical ids."""
    common, plain = app.functions["HelloFunction"].layers
    assert (common.logical_id, common.name, common.content_dir) == (
        "CommonLayer",
        "common",
        APP / "layers" / "common",
    )
    assert common.arn == "arn:aws:lambda:us-east-1:123456789012:layer:common:1"
    assert common.compatible_runtimes == ("python3.12",)
    assert plain.logical_id == "PlainLayer"
    assert plain.content_dir == APP / "layers" / "plain"
    assert set(app.layers) == {"CommonLayer", "PlainLayer"}


def test_physical_names_and_arns(app: Stack) -> None:
    """Generated function names follow CloudFormation's {stack}-{LogicalId}-{SUFFIX} scheme,
    deterministically, and the ARN is built from the name."""
    hello = app.functions["HelloFunction"]
    prefix, suffix = hello.name.rsplit("-", 1)
    assert prefix == "demo-HelloFunction"
    assert len(suffix) == 13 and suffix.isalnum() and suffix.upper() == suffix
    assert hello.arn == f"arn:aws:lambda:us-east-1:123456789012:function:{hello.name}"
    assert load_stack(APP, stack_name="demo").functions["HelloFunction"].name == hello.name
    assert load_stack(APP, stack_name="other").functions["HelloFunction"].name != hello.name


def test_long_generated_names_are_cut_to_64() -> None:
    """A generated function name never exceeds Lambda's 64 characters and keeps its suffix."""
    name = generated_name(
        "a-very-long-stack-name-" * 3, "AnEvenLongerLogicalIdForAFunction", max_length=64
    )
    assert len(name) == 64
    assert name[-14] == "-"


def test_conditions_drop_resources(app: Stack) -> None:
    """A resource whose Condition is false is not deployed, nor reported; true, it is."""
    assert "ProdOnlyFunction" not in app.functions
    assert "ProdOnlyQueue" not in app.queues
    prod = load_stack(APP, stack_name="demo", parameter_overrides={"Stage": "prod"})
    assert "ProdOnlyFunction" in prod.functions
    assert "ProdOnlyQueue" in prod.queues


def test_unsupported_report_names_what_the_user_wrote(app: Stack) -> None:
    """Unsupported resources are listed by their original ids and types, with each function
    event Lamina does not serve (Api events, Serverless APIs, DynamoDB tables and schedules are
    served, so absent); resources the translator generated (roles, implicit API) are not
    listed."""
    report = {r.logical_id: (r.type, r.note) for r in app.unsupported}
    assert [s.expression for s in app.schedules] == ["rate(1 day)"]
    assert report == {
        "ExtraRole": ("AWS::IAM::Role", "no local effect"),
        "InvokePermission": ("AWS::Lambda::Permission", "no local effect"),
    }
    warning = app.unsupported_warning()
    assert warning is not None
    assert "ExtraRole (AWS::IAM::Role): no local effect" in warning


def test_plain_cloudformation_json(app: Stack) -> None:
    """A JSON template without the SAM transform is used as is: Code as a local path or
    ZipFile, a Number parameter feeding MemorySize, an explicit Version and Alias."""
    stack = load_stack(FIXTURES / "plain-json", stack_name="plain")
    worker, zipped = stack.functions["Worker"], stack.functions["Zipped"]
    assert worker.code_dir == FIXTURES / "plain-json" / "src"
    assert worker.memory_mb == 512
    assert worker.environment["ROLE"].startswith("arn:aws:iam::123456789012:role/plain-WorkerRole-")
    assert (worker.auto_publish_alias, worker.provisioned_concurrency) == ("prod", 2)
    assert zipped.inline_code == "def handler(event, context):\n    return 1"
    assert {(r.logical_id, r.type) for r in stack.unsupported} == {
        ("WorkerRole", "AWS::IAM::Role"),
    }
    (mapping,) = stack.mappings  # an SQS mapping: polled
    assert (mapping.logical_id, mapping.source, mapping.function) == ("Mapping", "sqs", worker.name)
    assert stack.template_path.name == "template.json"


SAM_FUNCTION = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
{properties}
"""


def _function(write_app: WriteApp, properties: str) -> Path:
    indented = "\n".join(f"      {line}" for line in properties.strip().splitlines())
    return write_app(SAM_FUNCTION.format(properties=indented))


def test_bad_runtime_type_names_file_line_resource_field(write_app: WriteApp) -> None:
    """A Runtime that is not a string is a TemplateError located at the Runtime line."""
    path = _function(write_app, "CodeUri: src/\nRuntime: [python3.12]")
    with pytest.raises(TemplateError) as caught:
        load_stack(path, stack_name="s")
    error = caught.value
    assert (error.file, error.line, error.resource, error.field) == (str(path), 8, "Fn", "Runtime")
    assert str(error).startswith(f"{path}:8, resource Fn, field Runtime: Runtime must be a string")


def test_missing_code_directory(write_app: WriteApp) -> None:
    """A CodeUri that does not exist is a TemplateError at the CodeUri line."""
    path = _function(write_app, "CodeUri: nowhere/\nRuntime: python3.12")
    with pytest.raises(TemplateError) as caught:
        load_stack(path, stack_name="s")
    assert (caught.value.line, caught.value.resource, caught.value.field) == (7, "Fn", "CodeUri")
    assert "nowhere/ does not exist" in caught.value.message


def test_no_code_uri_means_the_template_directory(write_app: WriteApp) -> None:
    """Without CodeUri or InlineCode the code is the template's directory, as in SAM CLI."""
    path = _function(write_app, "Runtime: python3.12")
    assert load_stack(path, stack_name="s").functions["Fn"].code_dir == path.parent


def test_translator_errors_name_the_resource(write_app: WriteApp) -> None:
    """What the SAM translator refuses is a TemplateError naming the resource and its line."""
    path = _function(
        write_app,
        "CodeUri: src/\nRuntime: python3.12\nEvents:\n  Get:\n    Type: Api\n    Properties:\n"
        "      Path: /x",
    )
    with pytest.raises(TemplateError) as caught:
        load_stack(path, stack_name="s")
    assert caught.value.resource == "Fn"
    assert caught.value.line == 3
    assert "Property 'Method' is required" in caught.value.message


def test_out_of_range_memory_is_an_error(write_app: WriteApp) -> None:
    """MemorySize outside Lambda's 128-10240 MB is refused at its line."""
    path = _function(write_app, "CodeUri: src/\nRuntime: python3.12\nMemorySize: 64")
    with pytest.raises(TemplateError, match="MemorySize must be between 128 and 10240") as caught:
        load_stack(path, stack_name="s")
    assert (caught.value.line, caught.value.field) == (9, "MemorySize")


def test_other_runtimes_are_kept_with_a_warning(write_app: WriteApp) -> None:
    """A non-Python function keeps its spec and gets a warning naming its runtime."""
    path = _function(write_app, "CodeUri: src/\nRuntime: nodejs20.x")
    stack = load_stack(path, stack_name="s")
    assert stack.functions["Fn"].runtime == "nodejs20.x"
    assert "Fn: runtime nodejs20.x is not supported yet (only python3.x runs)" in stack.warnings


def test_image_and_s3_functions_are_unsupported(write_app: WriteApp) -> None:
    """Container-image functions and code in S3 cannot run locally: reported, not specs."""
    path = write_app(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          ImageFn:
            Type: AWS::Serverless::Function
            Properties:
              PackageType: Image
              ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest
          S3Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: s3://bucket/code.zip
              Handler: app.handler
              Runtime: python3.12
        """
    )
    stack = load_stack(path, stack_name="s")
    assert not stack.functions
    assert {(r.logical_id, r.type) for r in stack.unsupported} == {
        ("ImageFn", "AWS::Serverless::Function"),
        ("S3Fn", "AWS::Serverless::Function"),
    }


def test_serverless_types_need_the_transform(write_app: WriteApp) -> None:
    """AWS::Serverless::* without the SAM transform is refused, as CloudFormation would."""
    path = write_app(
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.12}
        """
    )
    with pytest.raises(TemplateError, match="Unrecognized resource types") as caught:
        load_stack(path, stack_name="s")
    assert (caught.value.resource, caught.value.line) == ("Fn", 2)


def test_function_properties_that_generate_resources_are_reported(write_app: WriteApp) -> None:
    """DeploymentPreference is listed under the function that has it; FunctionUrlConfig is
    served by the gateway, so it is not."""
    path = _function(
        write_app,
        "CodeUri: src/\nRuntime: python3.12\nAutoPublishAlias: live\nFunctionUrlConfig:\n"
        "  AuthType: NONE\nDeploymentPreference:\n  Type: AllAtOnce",
    )
    report = {r.logical_id: (r.type, r.note) for r in load_stack(path, stack_name="s").unsupported}
    assert report == {
        "Fn.DeploymentPreference": ("DeploymentPreference", "no local effect"),
    }


def test_logical_ids_must_be_alphanumeric(write_app: WriteApp) -> None:
    """A resource name CloudFormation would refuse is refused with its wording."""
    path = write_app("Resources:\n  my-queue:\n    Type: AWS::SQS::Queue\n")
    with pytest.raises(TemplateError, match="Resource name my-queue is non alphanumeric") as caught:
        load_stack(path, stack_name="s")
    assert caught.value.line == 2


def test_code_uri_from_a_parameter(write_app: WriteApp) -> None:
    """A CodeUri built with !Sub from a parameter is resolved before it is looked up."""
    path = write_app(
        """
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          CodeDir: {Type: String, Default: src}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: !Sub "${CodeDir}/"
              Handler: app.handler
              Runtime: python3.12
        """
    )
    assert load_stack(path, stack_name="s").functions["Fn"].code_dir == path.parent / "src"


def test_code_uri_in_globals(write_app: WriteApp) -> None:
    """A local CodeUri in Globals serves every function; a missing one is reported at its line."""
    template = """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            CodeUri: {code_uri}
            Runtime: python3.12
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
        """
    path = write_app(template.format(code_uri="src/"))
    assert load_stack(path, stack_name="s").functions["Fn"].code_dir == path.parent / "src"
    path = write_app(template.format(code_uri="gone/"))
    with pytest.raises(TemplateError, match="CodeUri gone/ does not exist") as caught:
        load_stack(path, stack_name="s")
    assert (caught.value.line, caught.value.field) == (4, "CodeUri")


def test_queues_and_their_urls(write_app: WriteApp) -> None:
    """AWS::SQS::Queue becomes a QueueSpec with its attributes (a RedrivePolicy object as its
    JSON text) and tags; an unknown property is named in a warning; a QueuePolicy is recorded
    against the queue URLs it lists; with a queue endpoint, Ref and GetAtt QueueUrl are URLs on
    it (what Lamina's SQS answers), else AWS's form."""
    path = write_app(
        """
        Resources:
          Dlq:
            Type: AWS::SQS::Queue
          Jobs:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: 45
              RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
              Tags: [{Key: team, Value: a}]
              Bogus: 1
          Fifo:
            Type: AWS::SQS::Queue
            Properties: {FifoQueue: true}
          Policy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Ref Jobs]
              PolicyDocument: {Statement: []}
          Inline:
            Type: AWS::SQS::QueueInlinePolicy
            Properties:
              Queue: !Ref Fifo
              PolicyDocument: {Statement: []}
        """
    )
    stack = load_stack(path, stack_name="s", queue_endpoint="http://localhost:4566")
    jobs = stack.queues["Jobs"]
    assert jobs.attributes["VisibilityTimeout"] == "45"
    assert json.loads(jobs.attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:{stack.queues['Dlq'].name}",
        "maxReceiveCount": 3,
    }
    assert dict(jobs.tags) == {"team": "a"}
    assert stack.queues["Fifo"].name.endswith(".fifo") and stack.queues["Fifo"].fifo
    assert any("Bogus" in w for w in stack.warnings)
    policy, inline = stack.queue_policies
    assert policy.queue_urls == (f"http://localhost:4566/123456789012/{jobs.name}",)
    fifo_url = f"http://localhost:4566/123456789012/{stack.queues['Fifo'].name}"
    assert inline.queue_urls == (fifo_url,)
    aws = load_stack(path, stack_name="s").queue_policies[0]
    assert aws.queue_urls == (f"https://sqs.us-east-1.amazonaws.com/123456789012/{jobs.name}",)
    assert not any(r.type.startswith("AWS::SQS") for r in stack.unsupported)


def test_api_gateway_resources_lamina_serves_are_not_reported(tmp_path: Path) -> None:
    """Raw authorizer resources (enforced on the methods and routes naming them) and custom
    domains are served, so not reported; API Gateway's account settings have no local
    effect."""
    (tmp_path / "template.yaml").write_text(
        """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: raw}}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties: {RestApiId: !Ref Api, Type: TOKEN, Name: t,
                 IdentitySource: method.request.header.Authorization}
  Http: {Type: AWS::ApiGatewayV2::Api, Properties: {Name: h, ProtocolType: HTTP}}
  HttpAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties: {ApiId: !Ref Http, AuthorizerType: JWT, Name: j,
                 IdentitySource: [$request.header.Authorization],
                 JwtConfiguration: {Issuer: "https://issuer", Audience: [a]}}
  Domain: {Type: AWS::ApiGatewayV2::DomainName, Properties: {DomainName: a.example.com}}
  Account:
    Type: AWS::ApiGateway::Account
    Properties: {CloudWatchRoleArn: "arn:aws:iam::123456789012:role/logs"}
"""
    )
    stack = load_stack(tmp_path / "template.yaml", stack_name="raw")
    report = {r.logical_id: (r.type, r.note) for r in stack.unsupported}
    assert report == {"Account": ("AWS::ApiGateway::Account", "no local effect")}
