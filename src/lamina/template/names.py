"""Physical names, ARNs and URLs of a stack's resources, as CloudFormation would make them.

Generated names are deterministic (a hash of stack name and logical id stands in for
CloudFormation's random suffix), so a function keeps its name, its log group and its table keeps
its data across restarts of Lamina.
"""

from __future__ import annotations

import hashlib
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lamina.model import arns

_ALPHABET = string.digits + string.ascii_uppercase
Resolve = Callable[[Any, tuple[str | int, ...]], Any]


@dataclass(frozen=True, slots=True)
class Place:
    """Where the stack is deployed: the values behind the pseudo parameters."""

    stack_name: str
    region: str
    account_id: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    # Where SQS queue URLs point: the services endpoint Lamina serves SQS on (None: AWS's form).
    queue_endpoint: str | None = None

    @property
    def stack_id(self) -> str:
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"lamina:{self.account_id}:{self.stack_name}")
        return (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
            f"stack/{self.stack_name}/{stack_uuid}"
        )

    def pseudo_parameters(self) -> dict[str, Any]:
        """``Ref`` of every pseudo parameter but ``AWS::NoValue`` (which is no value at all)."""
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
        }

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return arns.arn(
            service,
            self.region if region else "",
            self.account_id if account else "",
            resource,
            self.partition,
        )

    def function_arn(self, name: str) -> str:
        return self.arn("lambda", f"function:{name}")

    def layer_arn(self, name: str, version: int = 1) -> str:
        return self.arn("lambda", f"layer:{name}:{version}")

    def queue_url(self, name: str) -> str:
        # The URL Lamina's SQS answers for the queue (services/sqs/urls.py), so a template's
        # value and the API's agree; AWS's form when no endpoint serves SQS (it accepts both).
        if self.queue_endpoint:
            return f"{self.queue_endpoint.rstrip('/')}/{self.account_id}/{name}"
        return f"https://sqs.{self.region}.{self.url_suffix}/{self.account_id}/{name}"


def _hash(*parts: str, length: int) -> str:
    number = int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest(), "big")
    digits = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def generated_name(stack_name: str, logical_id: str, *, max_length: int = 255) -> str:
    """``{stack}-{LogicalId}-{SUFFIX}`` with a 13-character suffix, the prefix cut to fit."""
    suffix = _hash(stack_name, logical_id, length=13)
    prefix = f"{stack_name}-{logical_id}"[: max_length - len(suffix) - 1]
    return f"{prefix}-{suffix}"


# Type -> (property naming it, maximum length of a generated name).
_NAME_PROPERTY: dict[str, tuple[str, int]] = {
    "AWS::Lambda::Function": ("FunctionName", 64),
    "AWS::Lambda::LayerVersion": ("LayerName", 140),
    "AWS::DynamoDB::Table": ("TableName", 255),
    "AWS::SQS::Queue": ("QueueName", 80),
    "AWS::SNS::Topic": ("TopicName", 256),
    "AWS::S3::Bucket": ("BucketName", 63),
    "AWS::IAM::Role": ("RoleName", 64),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", 128),
    "AWS::Logs::LogGroup": ("LogGroupName", 512),
    "AWS::Events::Rule": ("Name", 64),
    "AWS::Events::EventBus": ("Name", 256),
    "AWS::Events::Archive": ("ArchiveName", 48),
    "AWS::Events::Connection": ("Name", 64),
    "AWS::Events::ApiDestination": ("Name", 64),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", 80),
    "AWS::StepFunctions::Activity": ("Name", 80),
    "AWS::Kinesis::Stream": ("Name", 128),
    "AWS::KinesisFirehose::DeliveryStream": ("DeliveryStreamName", 64),
    "AWS::SSM::Parameter": ("Name", 1011),
    # CloudFormation's Ref of a stage is its name.
    "AWS::ApiGateway::Stage": ("StageName", 128),
    "AWS::ApiGatewayV2::Stage": ("StageName", 128),
    # ... and of a custom domain name, the domain name.
    "AWS::ApiGateway::DomainName": ("DomainName", 253),
    "AWS::ApiGatewayV2::DomainName": ("DomainName", 253),
    "AWS::SecretsManager::Secret": ("Name", 512),
    "AWS::Pipes::Pipe": ("Name", 64),
}
_API_TYPES = ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")


class ResourceIds:
    """``Ref`` and ``Fn::GetAtt`` of the resources of one template, for the intrinsic resolver.

    Attributes Lamina has no rule for resolve to a synthetic ARN-like value, and a warning saying
    so is kept in ``warnings``.
    """

    def __init__(self, resources: Mapping[str, Mapping[str, Any]], place: Place) -> None:
        self._resources = resources
        self._place = place
        self.warnings: list[str] = []

    def __contains__(self, logical_id: object) -> bool:
        return isinstance(logical_id, str) and logical_id in self._resources

    def _type(self, logical_id: str) -> str:
        return str(self._resources[logical_id].get("Type", ""))

    def _property(self, logical_id: str, name: str, resolve: Resolve) -> Any:
        properties = self._resources[logical_id].get("Properties") or {}
        if not isinstance(properties, dict) or name not in properties:
            return None
        return resolve(properties[name], ("Resources", logical_id, "Properties", name))

    def name(self, logical_id: str, resolve: Resolve) -> str:
        """The physical name: the naming property when the template sets it, else generated."""
        type_ = self._type(logical_id)
        prop, max_length = _NAME_PROPERTY.get(type_, ("", 255))
        if prop:
            given = self._property(logical_id, prop, resolve)
            if isinstance(given, str) and given:
                return given
        place = self._place
        if type_ == "AWS::S3::Bucket":
            return generated_name(place.stack_name, logical_id, max_length=max_length).lower()
        if type_ == "AWS::SQS::Queue" and str(
            self._property(logical_id, "FifoQueue", resolve)
        ).lower() in ("true", "1"):
            return generated_name(place.stack_name, logical_id, max_length=75) + ".fifo"
        if type_ in _API_TYPES:
            return _hash(place.stack_name, logical_id, length=10).lower()
        return generated_name(place.stack_name, logical_id, max_length=max_length)

    def _target_function_arn(self, logical_id: str, resolve: Resolve) -> str:
        target = str(self._property(logical_id, "FunctionName", resolve))
        return target if target.startswith("arn:") else self._place.function_arn(target)

    def ref(self, logical_id: str, resolve: Resolve) -> Any:
        place, type_ = self._place, self._type(logical_id)
        if type_ == "AWS::Lambda::Version":
            return f"{self._target_function_arn(logical_id, resolve)}:1"
        if type_ == "AWS::Lambda::Alias":
            alias = self._property(logical_id, "Name", resolve)
            return f"{self._target_function_arn(logical_id, resolve)}:{alias}"
        name = self.name(logical_id, resolve)
        refs: dict[str, Callable[[], str]] = {
            "AWS::Lambda::LayerVersion": lambda: place.layer_arn(name),
            "AWS::SQS::Queue": lambda: place.queue_url(name),
            "AWS::SNS::Topic": lambda: place.arn("sns", name),
            "AWS::StepFunctions::StateMachine": lambda: place.arn("states", f"stateMachine:{name}"),
            "AWS::StepFunctions::Activity": lambda: place.arn("states", f"activity:{name}"),
            "AWS::SecretsManager::Secret": lambda: arns.secret_arn(
                place.region, place.account_id, name
            ),
        }
        return refs[type_]() if type_ in refs else name

    def get_att(self, logical_id: str, attribute: str, resolve: Resolve) -> Any:
        place, type_ = self._place, self._type(logical_id)
        if type_ in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            known: dict[str, Callable[[], Any]] = {
                "Version": lambda: "1",
                "AliasArn": lambda: self.ref(logical_id, resolve),
            }
            if attribute in known:
                return known[attribute]()
        name = self.name(logical_id, resolve)
        table = place.arn("dynamodb", f"table/{name}")
        attributes: dict[tuple[str, str], Callable[[], str]] = {
            ("AWS::Lambda::Function", "Arn"): lambda: place.function_arn(name),
            ("AWS::Lambda::LayerVersion", "LayerVersionArn"): lambda: place.layer_arn(name),
            ("AWS::DynamoDB::Table", "Arn"): lambda: table,
            # A fixed label: a real stream's label is its creation time.
            ("AWS::DynamoDB::Table", "StreamArn"): lambda: (
                f"{table}/stream/1970-01-01T00:00:00.000"
            ),
            ("AWS::SQS::Queue", "Arn"): lambda: place.arn("sqs", name),
            ("AWS::SQS::Queue", "QueueName"): lambda: name,
            ("AWS::SQS::Queue", "QueueUrl"): lambda: place.queue_url(name),
            ("AWS::SNS::Topic", "TopicArn"): lambda: place.arn("sns", name),
            ("AWS::SNS::Topic", "TopicName"): lambda: name,
            ("AWS::S3::Bucket", "Arn"): lambda: place.arn("s3", name, region=False, account=False),
            ("AWS::S3::Bucket", "DomainName"): lambda: f"{name}.s3.{place.url_suffix}",
            ("AWS::S3::Bucket", "RegionalDomainName"): lambda: (
                f"{name}.s3.{place.region}.{place.url_suffix}"
            ),
            ("AWS::S3::Bucket", "WebsiteURL"): lambda: (
                f"http://{name}.s3-website-{place.region}.{place.url_suffix}"
            ),
            ("AWS::IAM::Role", "Arn"): lambda: place.arn("iam", f"role/{name}", region=False),
            ("AWS::IAM::Role", "RoleId"): lambda: "AROA" + _hash(name, "role", length=17),
            ("AWS::ApiGateway::RestApi", "RootResourceId"): lambda: _hash(
                name, "/", length=10
            ).lower(),
            ("AWS::ApiGateway::RestApi", "RestApiId"): lambda: name,
            ("AWS::ApiGatewayV2::Api", "ApiId"): lambda: name,
            ("AWS::ApiGatewayV2::Api", "ApiEndpoint"): lambda: (
                f"https://{name}.execute-api.{place.region}.{place.url_suffix}"
            ),
            ("AWS::StepFunctions::StateMachine", "Arn"): lambda: place.arn(
                "states", f"stateMachine:{name}"
            ),
            ("AWS::StepFunctions::StateMachine", "Name"): lambda: name,
            ("AWS::StepFunctions::Activity", "Name"): lambda: name,
            ("AWS::Logs::LogGroup", "Arn"): lambda: place.arn("logs", f"log-group:{name}:*"),
            ("AWS::Events::Rule", "Arn"): lambda: place.arn("events", f"rule/{name}"),
            ("AWS::Events::EventBus", "Arn"): lambda: place.arn("events", f"event-bus/{name}"),
            ("AWS::Events::EventBus", "Name"): lambda: name,
            ("AWS::Events::Archive", "Arn"): lambda: place.arn("events", f"archive/{name}"),
            ("AWS::Events::Connection", "Arn"): lambda: arns.connection_arn(
                place.region, place.account_id, name
            ),
            ("AWS::Events::ApiDestination", "Arn"): lambda: arns.api_destination_arn(
                place.region, place.account_id, name
            ),
            ("AWS::Kinesis::Stream", "Arn"): lambda: place.arn("kinesis", f"stream/{name}"),
            ("AWS::KinesisFirehose::DeliveryStream", "Arn"): lambda: place.arn(
                "firehose", f"deliverystream/{name}"
            ),
            ("AWS::Pipes::Pipe", "Arn"): lambda: place.arn("pipes", f"pipe/{name}"),
            # A local pipe settles at once in the state it is asked for.
            ("AWS::Pipes::Pipe", "CurrentState"): lambda: str(
                self._property(logical_id, "DesiredState", resolve) or "RUNNING"
            ),
            ("AWS::SSM::Parameter", "Type"): lambda: str(
                self._property(logical_id, "Type", resolve)
            ),
            ("AWS::SSM::Parameter", "Value"): lambda: str(
                self._property(logical_id, "Value", resolve)
            ),
            ("AWS::SecretsManager::Secret", "Id"): lambda: arns.secret_arn(
                place.region, place.account_id, name
            ),
        }
        rule = attributes.get((type_, attribute))
        if rule is not None:
            return rule()
        value = place.arn("lamina", f"unresolved/{logical_id}/{attribute}")
        warning = (
            f"{logical_id}.{attribute}: Lamina does not know the attribute {attribute} of "
            f"{type_}; it resolves to {value}"
        )
        if warning not in self.warnings:
            self.warnings.append(warning)
        return value
