"""PostObject: an upload from a browser's HTML form, allowed by the signed POST policy it carries.

The door has already checked the form's signature (``lamina.services.auth.forms``); here the
policy it signed is held to, as S3 does: the base64 JSON document's ``expiration`` has not
passed ("Policy expired."), and every condition holds over the form's fields (the bucket being
``$bucket``): ``{"field": "value"}`` and ``["eq", "$field", "value"]`` exact,
``["starts-with", "$field", "prefix"]`` (``""`` anything), ``["content-length-range", min,
max]`` over the file's size (``EntityTooLarge``/``EntityTooSmall``). A field the policy does not
name is refused too ("Extra input fields"), except those S3 exempts (``x-amz-signature``, and
for SigV2 forms ``AWSAccessKeyId`` and ``signature``; ``file``, ``policy``, ``x-ignore-*``).
Conditions are checked against the ``key`` as sent (``${filename}`` unreplaced, so
``starts-with`` prefixes hold); the object is written at the key with ``${filename}`` replaced
by the file's name.

Answer: ``success_action_redirect`` is a 303 to that URL with ``bucket``, ``key`` and ``etag``
added to its query; else ``success_action_status`` 200 or 201 (``<PostResponse>``), else 204.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import urllib.parse
from typing import Any
from xml.sax.saxutils import escape

from lamina import fastjson
from lamina.net.messages import Response
from lamina.services.auth.forms import Form
from lamina.services.s3.errors import (
    AccessDenied,
    EntityTooLarge,
    EntityTooSmall,
    InvalidArgument,
)
from lamina.services.s3.objects import Objects, content_of
from lamina.services.s3.store import StoredObject

_EXEMPT = frozenset(
    {
        "x-amz-signature",
        "signature",
        "awsaccesskeyid",
        "policy",
        "file",
    }
)
# Form fields that are object headers, by the model's member names.
_HEADERS = {
    "cache-control": "CacheControl",
    "content-type": "ContentType",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "x-amz-storage-class": "StorageClass",
    "x-amz-website-redirect-location": "WebsiteRedirectLocation",
}
_INVALID = "Invalid according to Policy: "


class PostPolicy:
    def __init__(self, objects: Objects) -> None:
        self.objects = objects

    def post_object(self, bucket: str, form: Form, host: str) -> tuple[StoredObject, Response]:
        """Write the form's file if its policy allows it; the object and the answer."""
        self.objects.require_bucket(bucket)
        key = form.get("key")
        if not key:
            raise InvalidArgument("Bucket POST must contain a field named 'key'.")
        policy = _policy(form.get("policy") or "")
        self._check(policy, bucket, form)
        key = key.replace("${filename}", form.filename)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        for field, member in _HEADERS.items():
            if form.get(field) is not None:
                params[member] = form.get(field)
        metadata = {
            name[len("x-amz-meta-") :]: value
            for name, value in form.fields.items()
            if name.startswith("x-amz-meta-")
        }
        if metadata:
            params["Metadata"] = metadata
        stored = self.objects.write(params, [form.file], None, content_of(params))
        return stored, self._answer(form, stored, host)

    def _check(self, policy: dict[str, Any], bucket: str, form: Form) -> None:
        expiration = policy.get("expiration")
        if not isinstance(expiration, str):
            raise InvalidArgument(_INVALID + "Policy is missing expiration.")
        try:
            expires = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument(
                _INVALID + "Invalid Policy: Invalid 'expiration' value."
            ) from None
        if expires.timestamp() < self.objects.clock.wall():
            raise AccessDenied(_INVALID + "Policy expired.")
        values = {**form.fields, "bucket": bucket}
        named: set[str] = set()
        for condition in policy.get("conditions") or []:
            if isinstance(condition, dict):
                for field, value in condition.items():
                    named.add(field.lower())
                    _hold(["eq", f"${field}", value], values)
            elif isinstance(condition, list) and condition:
                operator = str(condition[0]).lower()
                if operator == "content-length-range" and len(condition) == 3:
                    low, high = int(condition[1]), int(condition[2])
                    if len(form.file) > high:
                        raise EntityTooLarge(
                            "Your proposed upload exceeds the maximum allowed size"
                        )
                    if len(form.file) < low:
                        raise EntityTooSmall(
                            "Your proposed upload is smaller than the minimum allowed size"
                        )
                    continue
                if len(condition) != 3 or not str(condition[1]).startswith("$"):
                    raise InvalidArgument(
                        _INVALID + f"Invalid Policy: Invalid Condition: {_shown(condition)}"
                    )
                named.add(str(condition[1])[1:].lower())
                _hold(condition, values)
        extra = [
            name
            for name in form.names
            if name.lower() not in named
            and name.lower() not in _EXEMPT
            and not name.lower().startswith("x-ignore-")
            and name.lower() != "bucket"
        ]
        if extra:
            raise AccessDenied(_INVALID + f"Extra input fields: {', '.join(extra)}")

    def _answer(self, form: Form, stored: StoredObject, host: str) -> Response:
        etag = stored.etag
        location = f"http://{host}/{stored.bucket}/{urllib.parse.quote(stored.key)}"
        headers = [("ETag", etag), ("Location", location)]
        headers.extend(("x-amz-version-id", v) for v in self.objects.version_of(stored).values())
        redirect = form.get("success_action_redirect") or form.get("redirect")
        if redirect:
            query = urllib.parse.urlencode(
                {"bucket": stored.bucket, "key": stored.key, "etag": etag}
            )
            joiner = "&" if "?" in redirect else "?"
            headers[1] = ("Location", f"{redirect}{joiner}{query}")
            return Response(303, headers, b"")
        status = form.get("success_action_status")
        if status == "201":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<PostResponse><Location>{escape(location)}</Location>"
                f"<Bucket>{escape(stored.bucket)}</Bucket><Key>{escape(stored.key)}</Key>"
                f"<ETag>{escape(etag)}</ETag></PostResponse>"
            )
            headers.append(("Content-Type", "application/xml"))
            return Response(201, headers, body.encode())
        return Response(200 if status == "200" else 204, headers, b"")


def _policy(encoded: str) -> dict[str, Any]:
    try:
        document = fastjson.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidArgument(_INVALID + "Invalid Policy: Invalid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidArgument(_INVALID + "Invalid Policy: Invalid JSON.")
    return document


def _hold(condition: list[Any], values: dict[str, str]) -> None:
    operator, field, expected = str(condition[0]).lower(), str(condition[1]), condition[2]
    actual = values.get(field[1:].lower(), "")
    if operator == "eq":
        held = actual == str(expected)
    elif operator == "starts-with":
        held = actual.startswith(str(expected))
    else:
        raise InvalidArgument(_INVALID + f"Invalid Policy: Invalid Condition: {_shown(condition)}")
    if not held:
        raise AccessDenied(_INVALID + f"Policy Condition failed: {_shown(condition)}")


def _shown(condition: list[Any]) -> str:
    return fastjson.spaced(condition)
