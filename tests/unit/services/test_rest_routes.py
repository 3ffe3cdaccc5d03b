"""``rest.Routes.find``: the operation a REST request names is the most specific route it meets,
whichever index list that route sits in (by method, first required query key, literal first
path segment). Each case would pick a wrong or no operation if the index dropped a list, kept
the lists' order instead of the routes' specificity, or keyed a route by the wrong segment."""

from __future__ import annotations

import pytest

from lamina.net.messages import Request
from lamina.services.protocols import rest


def found(model: str, method: str, path: str, query: str = "", **headers: str) -> str | None:
    request = Request(method, path, query, [("Host", "localhost"), *headers.items()])
    return rest.routes(model).find(request)


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/bucket", "", {}, "ListObjects"),
        ("GET", "/bucket/", "", {}, "ListObjects"),
        # A required query key outranks the plain route of the same path.
        ("GET", "/bucket", "list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/bucket", "prefix=a&list-type=2", {}, "ListObjectsV2"),
        ("GET", "/bucket/a/b.txt", "", {}, "GetObject"),
        ("GET", "/bucket/a/b.txt", "tagging", {}, "GetObjectTagging"),
        ("GET", "/bucket", "tagging", {}, "GetBucketTagging"),
        # A query key no route needs changes nothing.
        ("GET", "/bucket/key", "response-content-type=text%2Fplain", {}, "GetObject"),
        ("HEAD", "/bucket/key", "", {}, "HeadObject"),
        ("PUT", "/bucket/key", "", {}, "PutObject"),
        # A required header outranks the route without it.
        ("PUT", "/bucket/key", "", {"x-amz-copy-source": "/other/key"}, "CopyObject"),
        ("POST", "/bucket/key", "uploads", {}, "CreateMultipartUpload"),
        ("POST", "/bucket", "delete", {}, "DeleteObjects"),
        ("PATCH", "/bucket/key", "", {}, None),
    ],
)
def test_s3_requests_find_their_operation(
    method: str, path: str, query: str, headers: dict[str, str], operation: str | None
) -> None:
    """S3's routes share their paths and differ by query keys and headers."""
    assert found("s3", method, path, query, **headers) == operation


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("POST", "/2015-03-31/functions/fn/invocations", "Invoke"),
        ("GET", "/2015-03-31/functions/fn", "GetFunction"),
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2021-10-31/functions/fn/url", "GetFunctionUrlConfig"),
        ("GET", "/2099-01-01/functions/fn", None),
    ],
)
def test_literal_first_segments_pick_their_routes(
    method: str, path: str, operation: str | None
) -> None:
    """Lambda's routes begin with a literal date segment: a request meets only its date's."""
    assert found("lambda", method, path) == operation
