"""A bucket's CORS, policy and lifecycle configurations through boto3, and what they do: CORS
rules answer a browser's preflight and decorate its requests as S3 does (an origin they name
may call the bucket through the endpoint's door; others may not); a policy must be JSON;
lifecycle expiration deletes what its rules select once their days have passed (to the midnight
UTC after, as S3 counts them)."""

from __future__ import annotations

import datetime as dt
import http.client
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.s3.service import S3Service
from tests.compat.protocols.served import Served

APP = "http://app.localhost:3000"


class Clock:
    """Lamina's clock, turned by the test (lifecycle counts days)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).timestamp()

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> S3Service:
    return S3Service(tmp_path / "state", clock=clock)


@pytest.fixture
def served(service: S3Service) -> Iterator[Served]:
    up = Served([service])
    yield up
    up.close()


@pytest.fixture
def s3(served: Served) -> Any:
    client = served.client("s3")
    client.create_bucket(Bucket="web")
    return client


def error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def raw(served: Served, method: str, target: str, headers: dict[str, str]) -> Any:
    parts = urllib.parse.urlsplit(served.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, target, headers={"Host": parts.netloc, **headers})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body.decode()


RULES = {
    "CORSRules": [
        {
            "AllowedOrigins": [APP],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["content-type", "x-amz-*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        }
    ]
}


def test_cors_rules_read_back_and_bad_ones_are_refused(s3: Any) -> None:
    assert error(s3.get_bucket_cors, Bucket="web") == (
        "NoSuchCORSConfiguration",
        "The CORS configuration does not exist",
    )
    s3.put_bucket_cors(Bucket="web", CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket="web")["CORSRules"] == RULES["CORSRules"]
    code, message = error(
        s3.put_bucket_cors,
        Bucket="web",
        CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]},
    )
    assert code == "InvalidRequest" and "PATCH" in message
    s3.delete_bucket_cors(Bucket="web")
    assert error(s3.get_bucket_cors, Bucket="web")[0] == "NoSuchCORSConfiguration"


def test_a_preflight_is_answered_from_the_matching_rule(s3: Any, served: Served) -> None:
    """Allowed origin, method and headers: 200 with the rule's headers; another origin or
    method: 403 AccessForbidden with S3's CORSResponse text; no rules at all: CORS is not
    enabled. No signature is needed for a preflight."""
    preflight = {
        "Origin": APP,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date",
    }
    status, _, body = raw(served, "OPTIONS", "/web/photo.jpg", preflight)
    assert status == 403 and "CORS is not enabled for this bucket" in body
    s3.put_bucket_cors(Bucket="web", CORSConfiguration=RULES)
    status, headers, _ = raw(served, "OPTIONS", "/web/photo.jpg", preflight)
    assert status == 200
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-date"
    assert headers["access-control-max-age"] == "600"
    for changed in ({"Origin": "http://evil.example"}, {"Access-Control-Request-Method": "DELETE"}):
        status, headers, body = raw(served, "OPTIONS", "/web/photo.jpg", {**preflight, **changed})
        assert status == 403 and "<Code>AccessForbidden</Code>" in body
        assert "CORSResponse: This CORS request is not allowed" in body
        assert "access-control-allow-origin" not in headers


def test_a_browser_request_from_an_allowed_origin_gets_cors_headers(
    s3: Any, served: Served
) -> None:
    """A presigned GET with the rule's origin: the object and Access-Control-Allow-Origin;
    from an origin no rule names: the door's 403 and no CORS headers."""
    s3.put_bucket_cors(Bucket="web", CORSConfiguration=RULES)
    s3.put_object(Bucket="web", Key="hello.txt", Body=b"hi")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "web", "Key": "hello.txt"})
    target = url[len(served.url) :]
    status, headers, body = raw(served, "GET", target, {"Origin": APP})
    assert (status, body) == (200, "hi")
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-expose-headers"] == "ETag"
    status, headers, _ = raw(served, "GET", target, {"Origin": "http://evil.example"})
    assert status == 403 and "access-control-allow-origin" not in headers


def test_a_policy_must_be_json_and_reads_back(s3: Any) -> None:
    assert error(s3.get_bucket_policy, Bucket="web") == (
        "NoSuchBucketPolicy",
        "The bucket policy does not exist",
    )
    assert error(s3.put_bucket_policy, Bucket="web", Policy="not json")[0] == "MalformedPolicy"
    policy = '{"Version": "2012-10-17", "Statement": []}'
    s3.put_bucket_policy(Bucket="web", Policy=policy)
    assert s3.get_bucket_policy(Bucket="web")["Policy"] == policy
    s3.delete_bucket_policy(Bucket="web")
    assert error(s3.get_bucket_policy, Bucket="web")[0] == "NoSuchBucketPolicy"


def test_lifecycle_expiration_deletes_what_its_rules_select_once_due(
    s3: Any, service: S3Service, clock: Clock
) -> None:
    """Days: 1 on prefix logs/ and on the tag temp=yes: nothing goes before the midnight UTC
    after a day has passed, then exactly those objects go; a Date rule reads back as a date."""
    assert error(s3.get_bucket_lifecycle_configuration, Bucket="web")[0] == (
        "NoSuchLifecycleConfiguration"
    )
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    s3.put_bucket_lifecycle_configuration(
        Bucket="web",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "logs",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "logs/"},
                    "Expiration": {"Days": 1},
                },
                {
                    "ID": "temp",
                    "Status": "Enabled",
                    "Filter": {"Tag": {"Key": "temp", "Value": "yes"}},
                    "Expiration": {"Days": 1},
                },
                {
                    "ID": "later",
                    "Status": "Disabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Date": when},
                },
            ]
        },
    )
    rules = s3.get_bucket_lifecycle_configuration(Bucket="web")["Rules"]
    assert rules[2]["Expiration"]["Date"] == when
    s3.put_object(Bucket="web", Key="logs/a.log", Body=b"a")
    s3.put_object(Bucket="web", Key="keep/b.txt", Body=b"b")
    s3.put_object(Bucket="web", Key="keep/c.txt", Body=b"c", Tagging="temp=yes")
    service.sweep_lifecycle()
    keys = lambda: sorted(o["Key"] for o in s3.list_objects_v2(Bucket="web").get("Contents", []))  # noqa: E731
    assert keys() == ["keep/b.txt", "keep/c.txt", "logs/a.log"]
    clock.now += 86_400  # a day later: still before the midnight that follows
    midnight = dt.datetime.fromtimestamp(clock.now, dt.UTC).replace(hour=0, minute=0, second=0)
    clock.now = midnight.timestamp() + 86_400 - 1
    service.sweep_lifecycle()
    assert keys() == ["keep/b.txt", "keep/c.txt", "logs/a.log"]
    clock.now += 2
    service.sweep_lifecycle()
    assert keys() == ["keep/b.txt"]


def test_noncurrent_version_expiration_deletes_old_versions_once_due(
    s3: Any, service: S3Service, clock: Clock
) -> None:
    """NoncurrentVersionExpiration (NoncurrentDays 1, NewerNoncurrentVersions 1) deletes, after
    the midnight UTC following a day, the noncurrent versions beyond the newest one, and never
    the current version."""
    s3.put_bucket_versioning(Bucket="web", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(
        Bucket="web",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "old",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": 1,
                        "NewerNoncurrentVersions": 1,
                    },
                }
            ]
        },
    )
    ids = [s3.put_object(Bucket="web", Key="k", Body=b"%d" % n)["VersionId"] for n in range(3)]
    versions = lambda: [v["VersionId"] for v in s3.list_object_versions(Bucket="web")["Versions"]]  # noqa: E731
    service.sweep_lifecycle()
    assert versions() == ids[::-1]
    clock.now += 2 * 86_400
    service.sweep_lifecycle()
    assert versions() == [ids[2], ids[1]]
