"""Which resources of the user's template Lamina does not run, by the ids and types they wrote.

Resources the SAM translator generates (roles, implicit APIs, permissions) never appear here on
their own: the user did not write them, and the function or event that caused them is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lamina.model.specs import UnsupportedResource

# What Lamina runs today.
SUPPORTED = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Lambda::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventInvokeConfig",
        # Served by the gateway (authorizers, keys and usage plans are reported below).
        "AWS::Serverless::Api",
        "AWS::Serverless::HttpApi",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Deployment",
        # Enforced on the routes whose Method/Route names them (api_resources.py).
        "AWS::ApiGateway::Authorizer",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::Lambda::Url",
        # Custom domain names: served by the Host header on the gateway port (plain HTTP: the
        # certificates have no local effect).
        "AWS::ApiGateway::DomainName",
        "AWS::ApiGateway::BasePathMapping",
        "AWS::ApiGatewayV2::DomainName",
        "AWS::ApiGatewayV2::ApiMapping",
        # API keys and usage plans, checked by the gateway.
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::UsagePlanKey",
        # Created at `lamina up` on the AWS endpoint's DynamoDB service.
        "AWS::Serverless::SimpleTable",
        "AWS::DynamoDB::Table",
        # Created at `lamina up` on the AWS endpoint's SQS service (policies recorded).
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::SQS::QueueInlinePolicy",
        # Created at `lamina up` on the AWS endpoint's Kinesis service.
        "AWS::Kinesis::Stream",
        # Created at `lamina up` on the AWS endpoint's Firehose service (S3 destinations).
        "AWS::KinesisFirehose::DeliveryStream",
        # Polled by sources/ (a mapping from a source not polled yet is reported by mappings.py).
        "AWS::Lambda::EventSourceMapping",
        # Run by sources/schedules.py (a rule with an event pattern is reported by schedules.py).
        "AWS::Events::Rule",
        # Created at `lamina up` on the AWS endpoint's EventBridge service.
        "AWS::Events::EventBus",
        "AWS::Events::Archive",
        "AWS::Events::Connection",
        "AWS::Events::ApiDestination",
        "AWS::Scheduler::Schedule",
        # Stored at `lamina up` by the SSM and Secrets Manager services.
        "AWS::SSM::Parameter",
        "AWS::SecretsManager::Secret",
        # Created at `lamina up` on the AWS endpoint's SNS service (topic policies recorded).
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        # Created at `lamina up` on the AWS endpoint's S3 service (properties it does not
        # honour are reported by buckets.py).
        "AWS::S3::Bucket",
        # Created at `lamina up` on the AWS endpoint's Step Functions service.
        "AWS::Serverless::StateMachine",
        "AWS::StepFunctions::StateMachine",
        "AWS::StepFunctions::Activity",
        # Written at `lamina up` to the Pipes service, which runs them (sources/pipes.py).
        "AWS::Pipes::Pipe",
    }
)
# Accepted and listed, but nothing to run: permissions are not enforced locally.
NO_LOCAL_EFFECT = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Permission",
        "AWS::Serverless::Connector",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::Events::EventBusPolicy",
        "AWS::S3::BucketPolicy",
        # API Gateway's CloudWatch role, documentation and client certificates for backends.
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::DocumentationPart",
        "AWS::ApiGateway::DocumentationVersion",
        "AWS::ApiGateway::ClientCertificate",
    }
)
# SAM function properties that make the translator generate resources Lamina does not run.
_FUNCTION_EXTRAS = {
    "DeploymentPreference": "no local effect",
}
# Function event types the gateway serves, and those whose event source mappings are polled.
_SERVED_EVENTS = frozenset({"Api", "HttpApi", "SNS", "S3", "EventBridgeRule", "CloudWatchEvent"})
_POLLED_EVENTS = frozenset({"DynamoDB", "SQS", "Kinesis", "Schedule", "ScheduleV2"})


def unsupported(
    resources: dict[str, Any], is_active: Callable[[str, dict[str, Any]], bool]
) -> list[UnsupportedResource]:
    """Every active resource of the original template (and every event source of its SAM
    functions) that Lamina does not run, in template order."""
    report: list[UnsupportedResource] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not is_active(logical_id, resource):
            continue
        type_ = str(resource.get("Type"))
        if type_ in NO_LOCAL_EFFECT:
            report.append(UnsupportedResource(logical_id, type_, "no local effect"))
        elif type_ not in SUPPORTED:
            report.append(UnsupportedResource(logical_id, type_))
        if type_ in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            report += _api_auth(logical_id, type_, resource.get("Properties"))
        if type_ != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        events = properties.get("Events")
        if isinstance(events, dict):
            for name, event in events.items():
                event_type = event.get("Type") if isinstance(event, dict) else None
                if event_type in _SERVED_EVENTS:
                    event_props = event.get("Properties") if isinstance(event, dict) else None
                    report += _api_auth(f"{logical_id}.Events.{name}", event_type, event_props)
                    continue
                if event_type in _POLLED_EVENTS:
                    continue
                report.append(
                    UnsupportedResource(
                        f"{logical_id}.Events.{name}",
                        str(event_type),
                        "event source not supported yet (the function can be invoked directly)",
                    )
                )
        for extra, note in _FUNCTION_EXTRAS.items():
            if properties.get(extra) is not None:
                report.append(UnsupportedResource(f"{logical_id}.{extra}", extra, note))
    return report


def _api_auth(name: str, type_: str, properties: Any) -> list[UnsupportedResource]:
    """What an API's or API event's ``Auth`` asks for that Lamina does not apply yet. Lambda
    authorizers are enforced; the other authorizers and API keys refuse their routes (reported
    per route by ``apis.py``); usage plans and resource policies have no effect yet."""
    if not isinstance(properties, dict):
        return []
    auth = properties.get("Auth")
    if not isinstance(auth, dict):
        return []
    found = []
    for key, what in (("ResourcePolicy", "resource policies are not applied yet"),):
        if auth.get(key) not in (None, "NONE", False, {}, []):
            found.append(UnsupportedResource(f"{name}.Auth.{key}", str(type_), what))
    return found
