"""A bucket's CORS, policy and lifecycle configurations, and what Lamina does with them.

* CORS (``Put/Get/DeleteBucketCors``) is applied to browser requests as S3 applies it: a
  preflight ``OPTIONS`` is answered from the first rule whose origin (one ``*`` wildcard
  allowed), method and requested headers all match, else 403 ``AccessForbidden`` with S3's
  ``CORSResponse`` text; an actual request from a matching origin gets the rule's
  ``Access-Control-*`` headers. An origin a bucket's rules name may call that bucket through
  the AWS endpoint's door (signed, as ever; only the preflight goes unsigned, and it runs
  nothing).
* A policy (``Put/Get/DeleteBucketPolicy``) must be JSON; it is recorded and answered, not
  enforced (no request is refused for it).
* Lifecycle (``Put/Get/DeleteBucketLifecycleConfiguration``): rules' ``Expiration`` (``Days``,
  counted as S3 counts them, to the midnight UTC after; or a ``Date``) deletes matching objects
  (``Filter`` by prefix, tags, size), and ``AbortIncompleteMultipartUpload`` aborts old
  uploads, and ``NoncurrentVersionExpiration`` (``NoncurrentDays``, ``NewerNoncurrentVersions``)
  deletes old versions, on a sweep at start and then each hour of the configured clock
  (``LAMINA_CLOCK_RATE`` speeds it); transitions are recorded.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.net.messages import Request, Response
from lamina.services.s3.errors import (
    AccessForbidden,
    InvalidRequest,
    MalformedPolicy,
    MalformedXML,
    NoSuchBucket,
    NoSuchBucketPolicy,
    NoSuchCORSConfiguration,
    NoSuchLifecycleConfiguration,
)
from lamina.services.s3.store import Store

log = logging.getLogger("lamina.s3")

CORS, POLICY, LIFECYCLE = "cors", "policy", "lifecycle"
_METHODS = frozenset({"GET", "PUT", "HEAD", "POST", "DELETE"})
_DAY_S = 86_400.0
_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
    "are not whitelisted by the resource's CORS spec."
)
Params = dict[str, Any]


class BucketConfigs:
    def __init__(self, store: Store, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.clock = clock

    def operations(self) -> dict[str, Any]:
        return {
            "PutBucketCors": self.put_bucket_cors,
            "GetBucketCors": self.get_bucket_cors,
            "DeleteBucketCors": lambda p: self._delete(p, CORS),
            "PutBucketPolicy": self.put_bucket_policy,
            "GetBucketPolicy": self.get_bucket_policy,
            "DeleteBucketPolicy": lambda p: self._delete(p, POLICY),
            "PutBucketLifecycleConfiguration": self.put_bucket_lifecycle_configuration,
            "GetBucketLifecycleConfiguration": self.get_bucket_lifecycle_configuration,
            "DeleteBucketLifecycle": lambda p: self._delete(p, LIFECYCLE),
        }

    def _configs(self, bucket: str) -> Params:
        if self.store.bucket(bucket) is None:
            raise NoSuchBucket("The specified bucket does not exist")
        return self.store.configs(bucket)

    def _delete(self, params: Params, kind: str) -> Params:
        self._configs(params["Bucket"])
        self.store.set_config(params["Bucket"], kind, None)
        return {}

    # -- CORS ----------------------------------------------------------------------------------

    def put_bucket_cors(self, params: Params) -> Params:
        self._configs(params["Bucket"])
        rules = (params.get("CORSConfiguration") or {}).get("CORSRules") or []
        if not rules or len(rules) > 100:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our "
                "published schema"
            )
        for rule in rules:
            methods = rule.get("AllowedMethods") or []
            if not methods or not rule.get("AllowedOrigins"):
                raise MalformedXML(
                    "The XML you provided was not well-formed or did not validate against our "
                    "published schema"
                )
            for method in methods:
                if method not in _METHODS:
                    raise InvalidRequest(
                        "Found unsupported HTTP method in CORS config. "
                        f"Unsupported method is {method}"
                    )
        self.store.set_config(params["Bucket"], CORS, rules)
        return {}

    def get_bucket_cors(self, params: Params) -> Params:
        rules = self._configs(params["Bucket"]).get(CORS)
        if not rules:
            raise NoSuchCORSConfiguration("The CORS configuration does not exist")
        return {"CORSRules": rules}

    def cors_rule(self, bucket: str, origin: str, method: str, headers: list[str]) -> Params | None:
        """The first of ``bucket``'s CORS rules that allows this request, if any."""
        for rule in self.store.configs(bucket).get(CORS) or []:
            if not any(_matches(origin, o) for o in rule.get("AllowedOrigins") or []):
                continue
            if method not in (rule.get("AllowedMethods") or []):
                continue
            allowed = [h.lower() for h in rule.get("AllowedHeaders") or []]
            if all(any(fnmatch.fnmatchcase(h, a) for a in allowed) for h in headers):
                return dict(rule)
        return None

    def preflight(self, bucket: str | None, request: Request) -> Response:
        """The answer to a CORS preflight ``OPTIONS`` for ``bucket``."""
        origin = request.header("origin") or ""
        method = request.header("access-control-request-method") or ""
        requested = [
            h.strip().lower()
            for h in (request.header("access-control-request-headers") or "").split(",")
            if h.strip()
        ]
        if bucket is None or self.store.bucket(bucket) is None:
            raise NoSuchBucket("The specified bucket does not exist")
        if not self.store.configs(bucket).get(CORS):
            raise AccessForbidden("CORSResponse: CORS is not enabled for this bucket.")
        rule = self.cors_rule(bucket, origin, method, requested)
        if rule is None:
            raise AccessForbidden(_NOT_ALLOWED)
        headers = cors_headers(rule, origin)
        headers.append(("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])))
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        if rule.get("MaxAgeSeconds") is not None:
            headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
        return Response(200, headers, b"")

    # -- policy --------------------------------------------------------------------------------

    def put_bucket_policy(self, params: Params) -> Params:
        self._configs(params["Bucket"])
        text = params.get("Policy")
        text = text.decode() if isinstance(text, bytes) else str(text or "")
        try:
            document = fastjson.loads(text) if text.lstrip().startswith("{") else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
        self.store.set_config(params["Bucket"], POLICY, text)
        return {}

    def get_bucket_policy(self, params: Params) -> Params:
        policy = self._configs(params["Bucket"]).get(POLICY)
        if policy is None:
            raise NoSuchBucketPolicy("The bucket policy does not exist")
        return {"Policy": policy}

    # -- lifecycle -----------------------------------------------------------------------------

    def put_bucket_lifecycle_configuration(self, params: Params) -> Params:
        self._configs(params["Bucket"])
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        if not rules or len(rules) > 1000:
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our "
                "published schema"
            )
        for rule in rules:
            if rule.get("Status") not in ("Enabled", "Disabled"):
                raise MalformedXML(
                    "The XML you provided was not well-formed or did not validate against our "
                    "published schema"
                )
            days = (rule.get("Expiration") or {}).get("Days")
            if days is not None and int(days) <= 0:
                raise InvalidRequest("'Days' for Expiration action must be a positive integer")
        stored = [_plain(rule) for rule in rules]
        self.store.set_config(params["Bucket"], LIFECYCLE, stored)
        return {}

    def get_bucket_lifecycle_configuration(self, params: Params) -> Params:
        rules = self._configs(params["Bucket"]).get(LIFECYCLE)
        if not rules:
            raise NoSuchLifecycleConfiguration("The lifecycle configuration does not exist")
        return {"Rules": [_timed(rule) for rule in rules]}

    def expired(self) -> list[tuple[str, str]]:
        """(bucket, key) of every object a lifecycle rule says has expired by now."""
        now = self.clock.wall()
        found: list[tuple[str, str]] = []
        for bucket in self.store.buckets():
            rules = [
                r
                for r in self.store.configs(bucket.name).get(LIFECYCLE) or []
                if r.get("Status") == "Enabled" and r.get("Expiration")
            ]
            if not rules:
                continue
            for stored in self.store.keys_after(bucket.name, "", "", 1_000_000):
                for rule in rules:
                    if _selects(rule, stored.key, stored.size, self._tags(stored)) and _due(
                        rule["Expiration"], stored.modified, now
                    ):
                        found.append((bucket.name, stored.key))
                        break
        return found

    def noncurrent_expired(self) -> list[tuple[str, str, str]]:
        """(bucket, key, version id) of every noncurrent version a ``NoncurrentVersionExpiration``
        rule says has expired by now: ``NoncurrentDays`` after it stopped being current (when
        the version after it was written), to the midnight UTC after, beyond the
        ``NewerNoncurrentVersions`` newest noncurrent ones the rule keeps."""
        now = self.clock.wall()
        found: list[tuple[str, str, str]] = []
        for bucket in self.store.buckets():
            rules = [
                r
                for r in self.store.configs(bucket.name).get(LIFECYCLE) or []
                if r.get("Status") == "Enabled" and r.get("NoncurrentVersionExpiration")
            ]
            if not rules:
                continue
            key: str | None = None
            since = 0.0  # when the version being looked at stopped being current
            newer = 0  # noncurrent versions of the key newer than it
            for stored in self.store.versions_from(bucket.name, "", ""):
                if stored.key != key:
                    key, since, newer = stored.key, stored.modified, 0
                    continue  # the latest version (or marker) is current
                if not stored.marker:
                    for rule in rules:
                        action = rule["NoncurrentVersionExpiration"]
                        days = int(action.get("NoncurrentDays") or 0)
                        keep = int(action.get("NewerNoncurrentVersions") or 0)
                        if (
                            newer >= keep
                            and _selects(rule, stored.key, stored.size, self._tags(stored))
                            and now >= _midnight_after(since + days * _DAY_S)
                        ):
                            found.append((bucket.name, stored.key, stored.version))
                            break
                    newer += 1
                since = stored.modified
        return found

    def stale_uploads(self) -> list[str]:
        """Ids of multipart uploads an ``AbortIncompleteMultipartUpload`` rule ends by now."""
        now = self.clock.wall()
        found = []
        for bucket in self.store.buckets():
            rules = [
                r
                for r in self.store.configs(bucket.name).get(LIFECYCLE) or []
                if r.get("Status") == "Enabled" and r.get("AbortIncompleteMultipartUpload")
            ]
            for upload in self.store.uploads(bucket.name) if rules else []:
                for rule in rules:
                    days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
                    if _selects(rule, upload.key, None, {}) and now >= _midnight_after(
                        upload.initiated + days * _DAY_S
                    ):
                        found.append(upload.id)
                        break
        return found

    @staticmethod
    def _tags(stored: Any) -> dict[str, str]:
        return dict(stored.headers.get("Tags") or {})


def cors_headers(rule: Params, origin: str) -> list[tuple[str, str]]:
    """The headers a request matched by ``rule`` from ``origin`` is answered with."""
    everyone = "*" in (rule.get("AllowedOrigins") or [])
    headers = [
        ("Access-Control-Allow-Origin", "*" if everyone else origin),
        ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    ]
    if not everyone:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if rule.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    return headers


def _matches(origin: str, pattern: str) -> bool:
    return pattern == "*" or fnmatch.fnmatchcase(origin, pattern)


def _plain(value: Any) -> Any:
    """A rule as JSON can hold it (``Date`` as epoch seconds)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$date": value.timestamp()}
    return value


def _timed(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return dt.datetime.fromtimestamp(value["$date"], dt.UTC)
        return {k: _timed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timed(v) for v in value]
    return value


def _selects(rule: Params, key: str, size: int | None, tags: dict[str, str]) -> bool:
    """Whether ``rule``'s filter (or its legacy ``Prefix``) takes this object."""
    found = rule.get("Filter")
    if found is None:
        return key.startswith(str(rule.get("Prefix") or ""))
    conditions = found.get("And") or found
    if not key.startswith(str(conditions.get("Prefix") or "")):
        return False
    wanted = list(conditions.get("Tags") or [])
    if found.get("Tag"):
        wanted.append(found["Tag"])
    if any(tags.get(t["Key"]) != t["Value"] for t in wanted):
        return False
    if size is not None:
        if "ObjectSizeGreaterThan" in conditions and not size > int(
            conditions["ObjectSizeGreaterThan"]
        ):
            return False
        if "ObjectSizeLessThan" in conditions and not size < int(conditions["ObjectSizeLessThan"]):
            return False
    return True


def _due(expiration: Params, modified: float, now: float) -> bool:
    if expiration.get("Days") is not None:
        return now >= _midnight_after(modified + int(expiration["Days"]) * _DAY_S)
    date = expiration.get("Date")
    if isinstance(date, dict) and "$date" in date:
        return now >= float(date["$date"])
    return False


def _midnight_after(moment: float) -> float:
    """S3 rounds an expiry up to the next midnight UTC."""
    day = dt.datetime.fromtimestamp(moment, dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
