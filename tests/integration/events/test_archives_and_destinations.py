"""EventBridge archives, replays and API destinations with a real `lamina up`: an archive keeps
what matched its pattern, a replay sends it back through the bus's rules with `replay-name`
(and is not archived again); an API destination calls a real HTTP server with the connection's
authorisation (API key, basic, OAuth client credentials), its and the target's parameters, and
DescribeConnection never shows a secret."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow

# A custom bus with an archive, and a rule sending to an API destination through a connection:
# the hooks' URL is filled in by the fixture.
TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Audit:
    Type: AWS::Events::EventBus
    Properties:
      Name: audit
  AuditArchive:
    Type: AWS::Events::Archive
    Properties:
      ArchiveName: audit-archive
      SourceArn: !GetAtt Audit.Arn
      EventPattern:
        source: [audited]
  HookConnection:
    Type: AWS::Events::Connection
    Properties:
      Name: hook-connection
      AuthorizationType: API_KEY
      AuthParameters:
        ApiKeyAuthParameters:
          ApiKeyName: x-api-key
          ApiKeyValue: from-template
  Hook:
    Type: AWS::Events::ApiDestination
    Properties:
      Name: template-hook
      ConnectionArn: !GetAtt HookConnection.Arn
      InvocationEndpoint: HOOKS/tmpl/*
      HttpMethod: POST
  ToHook:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Audit
      EventPattern:
        source: [audited]
      Targets:
        - Id: hook
          Arn: !GetAtt Hook.Arn
          HttpParameters:
            PathParameterValues: [audit]
"""


class Hooks:
    """A real HTTP server on 127.0.0.1 that records what it is sent and issues OAuth tokens."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/token"):
                    answer = json.dumps({"access_token": "tok-1", "token_type": "bearer"})
                    hooks.seen.append(
                        {
                            "path": self.path,
                            "form": body.decode(),
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                else:
                    answer = "{}"
                    hooks.seen.append(
                        {
                            "path": self.path,
                            "body": body.decode(),
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                data = answer.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    found = Hooks()
    yield found
    found.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hooks: Hooks) -> Iterator[LaminaUp]:
    app = tmp_path_factory.mktemp("archives")
    template = app / "template.yaml"
    template.write_text(TEMPLATE.replace("HOOKS", hooks.url))
    up = LaminaUp(template, app / "state").start()
    yield up
    up.stop()


def test_the_templates_bus_archive_connection_and_api_destination_deploy(
    server: LaminaUp, hooks: Hooks
) -> None:
    """AWS::Events::EventBus, Archive, Connection and ApiDestination deploy (none is reported
    unsupported); a rule targeting !GetAtt Hook.Arn calls the endpoint with the template's key;
    the archive keeps the event."""
    events = server.aws("events")
    assert "Lamina does not run" not in server.log()
    assert events.describe_archive(ArchiveName="audit-archive")["EventSourceArn"].endswith(
        ":event-bus/audit"
    )
    events.put_events(
        Entries=[{"Source": "audited", "DetailType": "d", "Detail": "{}", "EventBusName": "audit"}]
    )
    wait_for(lambda: any(c["path"] == "/tmpl/audit" for c in hooks.seen), timeout=30)
    call = next(c for c in hooks.seen if c["path"] == "/tmpl/audit")
    assert call["headers"]["x-api-key"] == "from-template"
    assert events.describe_archive(ArchiveName="audit-archive")["EventCount"] == 1


def queue(up: LaminaUp, name: str) -> tuple[str, str]:
    sqs = up.aws("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def drain(up: LaminaUp, url: str, bodies: list[Any]) -> None:
    sqs = up.aws("sqs")
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_an_archive_keeps_matching_events_and_a_replay_sends_them_again(server: LaminaUp) -> None:
    """Three matching events and one other: the archive holds three; a replay of the window
    delivers the three again, each with replay-name, oldest first, and the archive still holds
    three; the replay ends COMPLETED."""
    events = server.aws("events")
    url, arn = queue(server, "replayed")
    events.put_rule(Name="replayable", EventPattern='{"source": ["replay-test"]}')
    events.put_targets(Rule="replayable", Targets=[{"Id": "q", "Arn": arn}])
    bus = events.describe_event_bus()["Arn"]
    archive = events.create_archive(
        ArchiveName="keep", EventSourceArn=bus, EventPattern='{"source": ["replay-test"]}'
    )
    assert archive["State"] == "ENABLED"
    entries = [
        {"Source": "replay-test", "DetailType": "n", "Detail": json.dumps({"n": n})}
        for n in range(3)
    ]
    entries.append({"Source": "other", "DetailType": "n", "Detail": "{}"})
    events.put_events(Entries=entries)
    bodies: list[Any] = []
    wait_for(lambda: drain(server, url, bodies) or len(bodies) >= 3, timeout=30)
    assert events.describe_archive(ArchiveName="keep")["EventCount"] == 3

    now = datetime.now(UTC)
    replay = events.start_replay(
        ReplayName="again",
        EventSourceArn=events.describe_archive(ArchiveName="keep")["ArchiveArn"],
        EventStartTime=now - timedelta(minutes=5),
        EventEndTime=now + timedelta(minutes=5),
        Destination={"Arn": bus},
    )
    assert replay["ReplayArn"].endswith(":replay/again")
    wait_for(lambda: drain(server, url, bodies) or len(bodies) >= 6, timeout=30)
    replayed = [b for b in bodies if "replay-name" in b]
    assert [b["replay-name"] for b in replayed] == ["again"] * 3
    assert sorted(b["detail"]["n"] for b in replayed) == [0, 1, 2]
    wait_for(lambda: events.describe_replay(ReplayName="again")["State"] == "COMPLETED", 30)
    assert events.describe_archive(ArchiveName="keep")["EventCount"] == 3
    assert [r["ReplayName"] for r in events.list_replays()["Replays"]] == ["again"]


def test_archive_and_replay_errors_are_awss(server: LaminaUp) -> None:
    events = server.aws("events")
    bus = events.describe_event_bus()["Arn"]
    events.create_archive(ArchiveName="twice", EventSourceArn=bus)
    with pytest.raises(ClientError) as caught:
        events.create_archive(ArchiveName="twice", EventSourceArn=bus)
    assert caught.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as caught:
        events.describe_archive(ArchiveName="missing")
    assert caught.value.response["Error"]["Message"] == "Archive missing does not exist."
    now = datetime.now(UTC)
    with pytest.raises(ClientError) as caught:
        events.start_replay(
            ReplayName="backwards",
            EventSourceArn=events.describe_archive(ArchiveName="twice")["ArchiveArn"],
            EventStartTime=now,
            EventEndTime=now - timedelta(minutes=1),
            Destination={"Arn": bus},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_api_destinations_call_the_endpoint_with_the_connections_authorisation(
    server: LaminaUp, hooks: Hooks
) -> None:
    """API key, basic and OAuth connections: each call carries its authorisation, the
    connection's invocation header, the target's path value, header and query string; the
    body is the event; DescribeConnection shows the key's name but never its value."""
    events = server.aws("events")
    api_key = events.create_connection(
        Name="with-key",
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-from", "Value": "connection"}]
            },
        },
    )
    assert api_key["ConnectionState"] == "AUTHORIZED"
    shown = events.describe_connection(Name="with-key")["AuthParameters"]
    assert shown["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert "s3cret" not in json.dumps(shown)
    basic = events.create_connection(
        Name="with-basic",
        AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
    )
    oauth = events.create_connection(
        Name="with-oauth",
        AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={
            "OAuthParameters": {
                "ClientParameters": {"ClientID": "id", "ClientSecret": "shh"},
                "AuthorizationEndpoint": f"{hooks.url}/token",
                "HttpMethod": "POST",
            }
        },
    )
    targets = []
    for name, connection in (("key", api_key), ("basic", basic), ("oauth", oauth)):
        destination = events.create_api_destination(
            Name=f"hook-{name}",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=f"{hooks.url}/hook/*",
            HttpMethod="POST",
        )
        targets.append(
            {
                "Id": name,
                "Arn": destination["ApiDestinationArn"],
                "HttpParameters": {
                    "PathParameterValues": [name],
                    "HeaderParameters": {"x-from": "target"},
                    "QueryStringParameters": {"a": "b"},
                },
            }
        )
    events.put_rule(Name="to-hooks", EventPattern='{"source": ["hooked"]}')
    events.put_targets(Rule="to-hooks", Targets=targets)
    events.put_events(Entries=[{"Source": "hooked", "DetailType": "d", "Detail": '{"k": 1}'}])

    def calls() -> dict[str, Any]:
        return {c["path"]: c for c in hooks.seen if c["path"].startswith("/hook/")}

    wait_for(lambda: len(calls()) == 3, timeout=30)
    by_path = calls()
    key_call = by_path["/hook/key?a=b"]
    assert key_call["headers"]["x-api-key"] == "s3cret"
    assert key_call["headers"]["x-from"] == "target"
    assert json.loads(key_call["body"])["detail"] == {"k": 1}
    assert by_path["/hook/basic?a=b"]["headers"]["authorization"] == "Basic dTpw"
    assert by_path["/hook/oauth?a=b"]["headers"]["authorization"] == "Bearer tok-1"
    token = next(c for c in hooks.seen if c["path"].startswith("/token"))
    assert "grant_type=client_credentials" in token["form"]
    with pytest.raises(ClientError) as caught:
        events.describe_connection(Name="missing")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
