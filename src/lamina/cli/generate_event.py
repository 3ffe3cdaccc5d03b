"""``lamina generate-event``: print a sample event for a service as JSON, like ``sam local
generate-event``.

This layer parses options and supplies what the pure builders in ``sample_events`` and
``sample_apigateway`` take as arguments: the current time and a fresh UUID per event. The JSON goes
to stdout with a 2-space indent, so it can be saved to a file or piped to another command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from lamina import fastjson, ids
from lamina.cli import sample_apigateway, sample_events
from lamina.clock import SystemClock

app = typer.Typer(
    help="Print a sample Lambda event as JSON to stdout.",
    no_args_is_help=True,
    add_completion=False,
)
apigateway = typer.Typer(help="API Gateway events (REST API and HTTP API).", no_args_is_help=True)
sqs = typer.Typer(help="Amazon SQS events.", no_args_is_help=True)
sns = typer.Typer(help="Amazon SNS events.", no_args_is_help=True)
eventbridge = typer.Typer(help="Amazon EventBridge events.", no_args_is_help=True)
s3 = typer.Typer(help="Amazon S3 event notifications.", no_args_is_help=True)
app.add_typer(apigateway, name="apigateway")
app.add_typer(sqs, name="sqs")
app.add_typer(sns, name="sns")
app.add_typer(eventbridge, name="eventbridge")
app.add_typer(s3, name="s3")

AccountId = Annotated[str, typer.Option(help="AWS account id used in ARNs and contexts.")]
Region = Annotated[str, typer.Option(help="AWS region of the event.")]
RequestPath = Annotated[str, typer.Option(help="Request path, e.g. /users/42.")]
Method = Annotated[str, typer.Option(help="HTTP method.")]
Body = Annotated[str | None, typer.Option(help="Request body (omitted: no body).")]
Query = Annotated[
    str | None, typer.Option(help='Query string, e.g. "a=1&b=2" (repeat a key for many values).')
]
Headers = Annotated[
    list[str] | None,
    typer.Option(
        "--header", metavar="'NAME: VALUE'", help='Request header "Name: value"; repeatable.'
    ),
]
StageVariables = Annotated[
    list[str] | None,
    typer.Option(
        "--stage-variable", metavar="NAME=VALUE", help='Stage variable "name=value"; repeatable.'
    ),
]


def _emit(event: dict[str, Any]) -> None:
    typer.echo(fastjson.pretty(event))


def _now() -> float:
    return SystemClock().wall()


def _new_id() -> str:
    return ids.request_id()


def _split(values: Sequence[str] | None, sep: str, option: str) -> list[tuple[str, str]]:
    """``name<sep>value`` strings as stripped pairs; a value without ``sep`` is a usage error."""
    pairs = []
    for raw in values or ():
        name, found, value = raw.partition(sep)
        if not found or not name.strip():
            raise typer.BadParameter(f"expected NAME{sep}VALUE, got {raw!r}", param_hint=option)
        pairs.append((name.strip(), value.strip()))
    return pairs


@apigateway.command("aws-proxy")
def aws_proxy(
    path: RequestPath = "/hello",
    method: Method = "GET",
    body: Body = None,
    resource: Annotated[
        str | None,
        typer.Option(help="Resource template, e.g. /users/{id} or /{proxy+} (default: the path)."),
    ] = None,
    stage: Annotated[str, typer.Option(help="Deployment stage name.")] = "prod",
    query: Query = None,
    header: Headers = None,
    stage_variable: StageVariables = None,
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """A REST API Lambda proxy integration event (payload format 1.0)."""
    try:
        event = sample_apigateway.apigateway_rest_event(
            path=path,
            method=method,
            body=body,
            resource=resource,
            stage=stage,
            query=query,
            headers=_split(header, ":", "--header"),
            stage_variables=dict(_split(stage_variable, "=", "--stage-variable")),
            account_id=account_id,
            region=region,
            now=_now(),
            request_id=_new_id(),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--resource") from exc
    _emit(event)


@apigateway.command("http-api")
def http_api(
    path: RequestPath = "/hello",
    method: Method = "GET",
    body: Body = None,
    route: Annotated[
        str | None,
        typer.Option(
            help="Route path template, e.g. /users/{id}, or $default (default: the path)."
        ),
    ] = None,
    query: Query = None,
    header: Headers = None,
    cookie: Annotated[
        list[str] | None,
        typer.Option("--cookie", metavar="NAME=VALUE", help='Cookie "name=value"; repeatable.'),
    ] = None,
    stage_variable: StageVariables = None,
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """An HTTP API event (payload format 2.0) on the $default stage."""
    try:
        event = sample_apigateway.apigateway_http_event(
            path=path,
            method=method,
            body=body,
            route=route,
            query=query,
            headers=_split(header, ":", "--header"),
            cookies=cookie or (),
            stage_variables=dict(_split(stage_variable, "=", "--stage-variable")),
            account_id=account_id,
            region=region,
            now=_now(),
            request_id=_new_id(),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--route") from exc
    _emit(event)


@sqs.command("receive-message")
def receive_message(
    body: Annotated[str, typer.Option(help="Message body.")] = "Hello from SQS!",
    queue_name: Annotated[str, typer.Option(help="Name of the source queue.")] = "my-queue",
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """One SQS message, as an SQS event source mapping delivers it."""
    _emit(
        sample_events.sqs_event(
            body=body,
            queue_name=queue_name,
            account_id=account_id,
            region=region,
            now=_now(),
            message_id=_new_id(),
        )
    )


@sns.command("notification")
def notification(
    message: Annotated[str, typer.Option(help="Message text.")] = "Hello from SNS!",
    subject: Annotated[str | None, typer.Option(help="Subject (omitted: null).")] = None,
    topic_name: Annotated[str, typer.Option(help="Name of the topic.")] = "my-topic",
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """One SNS notification, as a Lambda subscription receives it."""
    _emit(
        sample_events.sns_event(
            message=message,
            subject=subject,
            topic_name=topic_name,
            account_id=account_id,
            region=region,
            now=_now(),
            message_id=_new_id(),
        )
    )


@eventbridge.command("event")
def event(
    source: Annotated[str, typer.Option(help="Event source.")] = "com.example.orders",
    detail_type: Annotated[str, typer.Option(help="Event detail-type.")] = "Order Placed",
    detail: Annotated[str, typer.Option(help="Event detail, a JSON object.")] = "{}",
    resource: Annotated[
        list[str] | None,
        typer.Option("--resource", metavar="ARN", help="ARN in `resources`; repeatable."),
    ] = None,
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """An EventBridge event, as a rule's Lambda target receives it."""
    try:
        parsed = fastjson.loads(detail)
    except fastjson.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--detail") from exc
    if not isinstance(parsed, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--detail")
    _emit(
        sample_events.eventbridge_event(
            source=source,
            detail_type=detail_type,
            detail=parsed,
            resources=resource or (),
            account_id=account_id,
            region=region,
            now=_now(),
            event_id=_new_id(),
        )
    )


@app.command("schedule")
def schedule(
    rule_name: Annotated[str, typer.Option(help="Name of the schedule rule.")] = "my-schedule",
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """The "Scheduled Event" an EventBridge schedule rule sends."""
    _emit(
        sample_events.schedule_event(
            rule_name=rule_name,
            account_id=account_id,
            region=region,
            now=_now(),
            event_id=_new_id(),
        )
    )


@s3.command("put")
def put(
    bucket: Annotated[str, typer.Option(help="Bucket name.")] = "my-bucket",
    key: Annotated[str, typer.Option(help="Object key (unencoded).")] = "uploads/example.txt",
    size: Annotated[int, typer.Option(min=0, help="Object size in bytes.")] = 1024,
    account_id: AccountId = sample_events.DEFAULT_ACCOUNT_ID,
    region: Region = sample_events.DEFAULT_REGION,
) -> None:
    """An S3 ObjectCreated:Put notification."""
    _emit(
        sample_events.s3_put_event(
            bucket=bucket,
            key=key,
            size=size,
            account_id=account_id,
            region=region,
            now=_now(),
            request_id=_new_id(),
        )
    )
