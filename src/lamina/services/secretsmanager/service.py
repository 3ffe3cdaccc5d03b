"""Secrets Manager on the AWS endpoint (json 1.1, ``X-Amz-Target: secretsmanager.<Operation>``).

A secret has versions, each with staging labels: a new value takes ``AWSCURRENT`` and the
version that had it becomes ``AWSPREVIOUS``. ``SecretId`` is a name, an ARN or a partial ARN
(without the six random characters AWS appends). A deleted secret waits out its recovery window
(``RestoreSecret`` brings it back; reading it is ``InvalidRequestException``) unless deleted
``ForceDeleteWithoutRecovery``. Values are stored as written (Lamina holds no KMS).
``RotateSecret`` stages a pending version under its token and runs the rotation function's four
steps as AWS does; scheduled rotation (``RotationRules``) is recorded, not run.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import re
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lamina import fastjson, ids
from lamina.clock import SYSTEM, Clock
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model import arns
from lamina.model.configs import SecretSpec
from lamina.model.specs import Stack
from lamina.services.protocols.service import ModelService
from lamina.services.secretsmanager.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
    not_found,
)
from lamina.services.secretsmanager.store import Secret, SecretStore, SecretVersion

DATABASE = "secretsmanager.sqlite3"
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_SUFFIX = string.ascii_letters + string.digits
Params = dict[str, Any]
log = logging.getLogger("lamina.secretsmanager")


class SecretsApi:
    def __init__(self, store: SecretStore, region: str, account_id: str, clock: Clock) -> None:
        # Starts a rotation's four steps (set by the service: they invoke a function).
        self.rotator: Callable[[str, str, str], None] | None = None
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateSecret": self.create_secret,
            "GetSecretValue": self.get_secret_value,
            "BatchGetSecretValue": self.batch_get_secret_value,
            "PutSecretValue": self.put_secret_value,
            "UpdateSecret": self.update_secret,
            "UpdateSecretVersionStage": self.update_secret_version_stage,
            "DescribeSecret": self.describe_secret,
            "ListSecrets": self.list_secrets,
            "ListSecretVersionIds": self.list_secret_version_ids,
            "DeleteSecret": self.delete_secret,
            "RestoreSecret": self.restore_secret,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "GetRandomPassword": self.get_random_password,
            "RotateSecret": self.rotate_secret,
            "CancelRotateSecret": self.cancel_rotate_secret,
        }

    # -- secrets ---------------------------------------------------------------------------

    def deploy(self, specs: Iterable[SecretSpec]) -> None:
        """Make the template's secrets that do not exist (their ARNs are the ones the template's
        ``!Ref`` gave), generating ``GenerateSecretString`` values once; a template value that
        changed since the last deploy becomes the current version."""
        for spec in specs:
            doc = fastjson.dumps_text([spec.secret_string, dict(spec.generate), spec.description])
            with self.store.lock:
                secret = self._live_or_none(spec.name)
                if secret is not None and secret.doc.get("DeletedDate"):
                    self.restore_secret({"SecretId": secret.arn})
                if secret is None:
                    params: Params = {"Name": spec.name}
                    value = spec.secret_string
                    if value is None:
                        value = self._generated(spec.generate)
                    params["SecretString"] = value
                    if spec.description is not None:
                        params["Description"] = spec.description
                    if spec.kms_key_id is not None:
                        params["KmsKeyId"] = spec.kms_key_id
                    if spec.tags:
                        params["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags]
                    self._create(params, arns.secret_suffix(spec.name))
                elif spec.secret_string is not None and self.store.templates.get(spec.name) != doc:
                    self.put_secret_value(
                        {"SecretId": secret.arn, "SecretString": spec.secret_string}
                    )
                self.store.templates.put(spec.name, doc)

    def _generated(self, generate: Mapping[str, Any]) -> str:
        options = {
            k: generate[k]
            for k in (
                "PasswordLength",
                "ExcludeCharacters",
                "ExcludeNumbers",
                "ExcludePunctuation",
                "ExcludeUppercase",
                "ExcludeLowercase",
                "IncludeSpace",
                "RequireEachIncludedType",
            )
            if k in generate
        }
        for flag in (
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "ExcludeLowercase",
            "IncludeSpace",
            "RequireEachIncludedType",
        ):
            if flag in options:
                options[flag] = str(options[flag]).lower() in ("true", "1")
        password = self.get_random_password(options)["RandomPassword"]
        template, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
        if template is None or key is None:
            return str(password)
        doc = fastjson.loads(str(template))
        doc[str(key)] = password
        return fastjson.dumps_text(doc)

    def create_secret(self, params: Params) -> Params:
        return self._create(params, None)

    def _create(self, params: Params, fixed_suffix: str | None) -> Params:
        name = str(params["Name"])
        if not _NAME.match(name):
            raise InvalidParameterException(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any "
                "of the following: -/_+=.@!"
            )
        _one_value(params)
        with self.store.lock:
            existing = self._live_or_none(name)
            if existing is not None:
                if existing.doc.get("DeletedDate"):
                    raise InvalidRequestException(
                        "You can't create this secret because a secret with this name is "
                        "already scheduled for deletion."
                    )
                raise ResourceExistsException(
                    f"The operation failed because the secret {name} already exists."
                )
            suffix = fixed_suffix or "".join(secrets.choice(_SUFFIX) for _ in range(6))
            arn = arns.secret_arn(self.region, self.account_id, name, suffix)
            now = self.clock.wall()
            doc: Params = {"CreatedDate": now, "LastChangedDate": now, "Tags": []}
            for key in ("Description", "KmsKeyId"):
                if params.get(key) is not None:
                    doc[key] = params[key]
            if params.get("Tags"):
                doc["Tags"] = _merge_tags([], params["Tags"])
            secret = Secret(arn, name, doc)
            self.store.save(secret)
            answer: Params = {"ARN": arn, "Name": name}
            if _has_value(params):
                answer["VersionId"] = self._new_version(secret, params, [CURRENT]).id
        return answer

    def get_secret_value(self, params: Params) -> Params:
        with self.store.lock:
            secret = self._live(params["SecretId"])
            version = self._version(secret, params.get("VersionId"), params.get("VersionStage"))
            self._accessed(secret)
        return self._value(secret, version)

    def batch_get_secret_value(self, params: Params) -> Params:
        ids_ = params.get("SecretIdList")
        if ids_ and params.get("Filters"):
            raise InvalidParameterException(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both."
            )
        if not ids_:
            ids_ = [s.arn for s in self._matching(params.get("Filters") or [], False)]
        values, errors = [], []
        for secret_id in ids_:
            try:
                values.append(self.get_secret_value({"SecretId": secret_id}))
            except (InvalidRequestException, InvalidParameterException) as exc:
                errors.append(
                    {"SecretId": secret_id, "ErrorCode": exc.code, "Message": exc.message}
                )
            except Exception as exc:  # ResourceNotFoundException, by its code
                code = getattr(exc, "code", "InternalServiceError")
                errors.append({"SecretId": secret_id, "ErrorCode": code, "Message": str(exc)})
        return {"SecretValues": values, "Errors": errors}

    def put_secret_value(self, params: Params) -> Params:
        _one_value(params)
        if not _has_value(params):
            raise InvalidRequestException("You must provide either SecretString or SecretBinary.")
        with self.store.lock:
            secret = self._live(params["SecretId"])
            stages = list(params.get("VersionStages") or [CURRENT])
            token = params.get("ClientRequestToken")
            for version in self.store.versions(secret.arn):
                if (
                    token
                    and version.id == token
                    and version.string is None
                    and version.binary is None
                ):
                    break  # a rotation's pending version, filled now
                if token and version.id == token:
                    if (version.string, version.binary) != _value_of(params):
                        raise ResourceExistsException(
                            "You can't modify an existing version, you can only create a new "
                            "version."
                        )
                    return self._stamp(secret, version)
            version = self._new_version(secret, params, stages)
        return self._stamp(secret, version)

    def update_secret(self, params: Params) -> Params:
        _one_value(params)
        with self.store.lock:
            secret = self._live(params["SecretId"])
            for key in ("Description", "KmsKeyId"):
                if params.get(key) is not None:
                    secret.doc[key] = params[key]
            secret.doc["LastChangedDate"] = self.clock.wall()
            self.store.save(secret)
            answer: Params = {"ARN": secret.arn, "Name": secret.name}
            if _has_value(params):
                answer["VersionId"] = self._new_version(secret, params, [CURRENT]).id
        return answer

    def update_secret_version_stage(self, params: Params) -> Params:
        stage = str(params["VersionStage"])
        with self.store.lock:
            secret = self._live(params["SecretId"])
            versions = self.store.versions(secret.arn)
            by_id = {v.id: v for v in versions}
            to = params.get("MoveToVersionId")
            source = params.get("RemoveFromVersionId")
            holder = next((v for v in versions if stage in v.stages), None)
            if holder is not None and to and holder.id != source and holder.id != to:
                raise InvalidParameterException(
                    f"The staging label {stage} is currently attached to version {holder.id}, "
                    "so you must explicitly reference that version in RemoveFromVersionId."
                )
            if source:
                if source not in by_id:
                    raise not_found()
                by_id[source].stages = [s for s in by_id[source].stages if s != stage]
            if to:
                if to not in by_id:
                    raise not_found()
                if stage == CURRENT and holder is not None and holder.id != to:
                    for v in versions:
                        v.stages = [s for s in v.stages if s != PREVIOUS]
                    holder.stages = [*holder.stages, PREVIOUS]
                by_id[to].stages = [*(s for s in by_id[to].stages if s != stage), stage]
            self.store.restage(secret.arn, versions)
        return {"ARN": secret.arn, "Name": secret.name}

    def describe_secret(self, params: Params) -> Params:
        secret = self._find(params["SecretId"])
        return self._description(secret)

    def list_secrets(self, params: Params) -> Params:
        found = self._matching(
            params.get("Filters") or [], bool(params.get("IncludePlannedDeletion"))
        )
        if params.get("SortOrder") == "desc":
            found.reverse()
        start = _token(params.get("NextToken"))
        size = int(params.get("MaxResults") or 100)
        listed = []
        for secret in found[start : start + size]:
            entry = self._description(secret)
            entry["SecretVersionsToStages"] = entry.pop("VersionIdsToStages", {})
            listed.append(entry)
        answer: Params = {"SecretList": listed}
        if start + size < len(found):
            answer["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        return answer

    def list_secret_version_ids(self, params: Params) -> Params:
        secret = self._find(params["SecretId"])
        versions = [
            {"VersionId": v.id, "VersionStages": v.stages, "CreatedDate": v.created}
            for v in self.store.versions(secret.arn)
            if v.stages or params.get("IncludeDeprecated")
        ]
        return {"ARN": secret.arn, "Name": secret.name, "Versions": versions}

    def delete_secret(self, params: Params) -> Params:
        window = params.get("RecoveryWindowInDays")
        force = bool(params.get("ForceDeleteWithoutRecovery"))
        if force and window is not None:
            raise InvalidParameterException(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        days = int(window if window is not None else 30)
        if not force and not 7 <= days <= 30:
            raise InvalidParameterException(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        with self.store.lock:
            secret = self._find(params["SecretId"])
            now = self.clock.wall()
            if force:
                self.store.delete(secret.arn)
                return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
            if secret.doc.get("DeletedDate"):
                raise InvalidRequestException(
                    "You can't perform this operation on the secret because it was already "
                    "scheduled for deletion."
                )
            secret.doc["DeletedDate"] = now
            secret.doc["PurgeDate"] = now + days * 86400
            self.store.save(secret)
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now + days * 86400}

    def restore_secret(self, params: Params) -> Params:
        with self.store.lock:
            secret = self._find(params["SecretId"])
            secret.doc.pop("DeletedDate", None)
            secret.doc.pop("PurgeDate", None)
            self.store.save(secret)
        return {"ARN": secret.arn, "Name": secret.name}

    def tag_resource(self, params: Params) -> Params:
        with self.store.lock:
            secret = self._find(params["SecretId"])
            secret.doc["Tags"] = _merge_tags(secret.doc.get("Tags", []), params["Tags"])
            self.store.save(secret)
        return {}

    def untag_resource(self, params: Params) -> Params:
        with self.store.lock:
            secret = self._find(params["SecretId"])
            drop = set(params["TagKeys"])
            secret.doc["Tags"] = [t for t in secret.doc.get("Tags", []) if t["Key"] not in drop]
            self.store.save(secret)
        return {}

    def rotate_secret(self, params: Params) -> Params:
        """Record the rotation, stage a pending version under the request's token, and start
        the rotation function's four steps (createSecret, setSecret, testSecret, finishSecret)."""
        with self.store.lock:
            secret = self._live(params["SecretId"])
            function = params.get("RotationLambdaARN") or secret.doc.get("RotationLambdaARN")
            if not function:
                raise InvalidRequestException(
                    "No Lambda rotation function ARN is associated with this secret."
                )
            versions = self.store.versions(secret.arn)
            if any(PENDING in v.stages and CURRENT not in v.stages for v in versions):
                raise InvalidRequestException(
                    "A previous rotation isn't complete. That rotation will be reattempted."
                )
            secret.doc["RotationEnabled"] = True
            secret.doc["RotationLambdaARN"] = function
            if params.get("RotationRules"):
                secret.doc["RotationRules"] = params["RotationRules"]
            self.store.save(secret)
            token = str(params.get("ClientRequestToken") or ids.request_id())
            if params.get("RotateImmediately", True):
                pending = SecretVersion(token, None, None, [PENDING], self.clock.wall())
                self.store.put_version(secret.arn, pending, [])
                if self.rotator is None:
                    raise InvalidRequestException("Lamina cannot run rotation functions here.")
                self.rotator(secret.arn, token, str(function))
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}

    def cancel_rotate_secret(self, params: Params) -> Params:
        with self.store.lock:
            secret = self._live(params["SecretId"])
            secret.doc["RotationEnabled"] = False
            self.store.save(secret)
            versions = self.store.versions(secret.arn)
            pending = [v for v in versions if PENDING in v.stages and CURRENT not in v.stages]
            for version in pending:
                version.stages = [s for s in version.stages if s != PENDING]
            self.store.restage(secret.arn, pending)
        answer: Params = {"ARN": secret.arn, "Name": secret.name}
        if pending:
            answer["VersionId"] = pending[0].id
        return answer

    def rotated(self, arn: str, token: str, ok: bool) -> None:
        """A rotation ended: done, its pending label is removed and the date kept."""
        with self.store.lock:
            secret = self.store.find(arn)
            if secret is None or not ok:
                return
            versions = self.store.versions(arn)
            for version in versions:
                if version.id == token:
                    version.stages = [s for s in version.stages if s != PENDING]
            self.store.restage(arn, versions)
            secret.doc["LastRotatedDate"] = self.clock.wall()
            self.store.save(secret)

    def get_random_password(self, params: Params) -> Params:
        length = int(params.get("PasswordLength") or 32)
        excluded = set(params.get("ExcludeCharacters") or "")
        groups = []
        for flag, chars in (
            ("ExcludeLowercase", string.ascii_lowercase),
            ("ExcludeUppercase", string.ascii_uppercase),
            ("ExcludeNumbers", string.digits),
            ("ExcludePunctuation", _PUNCTUATION),
        ):
            if not params.get(flag):
                kept = "".join(c for c in chars if c not in excluded)
                if kept:
                    groups.append(kept)
        if params.get("IncludeSpace") and " " not in excluded:
            groups.append(" ")
        if not groups:
            raise InvalidParameterException(
                "The password must include at least one type of character."
            )
        require = params.get("RequireEachIncludedType", True)
        if require and length < len(groups):
            raise InvalidParameterException(
                "The password length is too short to include each type of character."
            )
        alphabet = "".join(groups)
        while True:
            password = "".join(secrets.choice(alphabet) for _ in range(length))
            if not require or all(any(c in g for c in password) for g in groups):
                return {"RandomPassword": password}

    # -- helpers ---------------------------------------------------------------------------

    def _live_or_none(self, secret_id: str) -> Secret | None:
        secret = self.store.find(secret_id)
        if secret is not None and self._purged(secret):
            return None
        return secret

    def _purged(self, secret: Secret) -> bool:
        purge = secret.doc.get("PurgeDate")
        if purge is not None and self.clock.wall() >= float(purge):
            self.store.delete(secret.arn)
            return True
        return False

    def _find(self, secret_id: Any) -> Secret:
        secret = self._live_or_none(str(secret_id))
        if secret is None:
            raise not_found()
        return secret

    def _live(self, secret_id: Any) -> Secret:
        secret = self._find(secret_id)
        if secret.doc.get("DeletedDate"):
            raise InvalidRequestException(
                "You can't perform this operation on the secret because it was marked for deletion."
            )
        return secret

    def _version(self, secret: Secret, version_id: Any, stage: Any) -> SecretVersion:
        """The version asked for (by id, stage, or AWSCURRENT); a version a rotation made but
        has not filled yet holds no value, so it is not found either."""
        for version in self.store.versions(secret.arn):
            if version_id and version.id != version_id:
                continue
            if (stage or (None if version_id else CURRENT)) not in (None, *version.stages):
                continue
            if version.string is None and version.binary is None:
                break
            return version
        which = f"VersionId: {version_id}" if version_id and not stage else None
        raise ResourceNotFoundException(
            "Secrets Manager can't find the specified secret value for "
            + (which or f"staging label: {stage or CURRENT}")
        )

    def _new_version(self, secret: Secret, params: Params, stages: list[str]) -> SecretVersion:
        text, binary = _value_of(params)
        version = SecretVersion(
            id=str(params.get("ClientRequestToken") or ids.request_id()),
            string=text,
            binary=binary,
            stages=list(dict.fromkeys(stages)),
            created=self.clock.wall(),
        )
        moved = []
        for other in self.store.versions(secret.arn):
            before = list(other.stages)
            other.stages = [s for s in other.stages if s not in version.stages]
            if CURRENT in version.stages:
                other.stages = [s for s in other.stages if s != PREVIOUS]
                if CURRENT in before:
                    other.stages.append(PREVIOUS)
            if other.stages != before:
                moved.append(other)
        self.store.put_version(secret.arn, version, moved)
        secret.doc["LastChangedDate"] = version.created
        self.store.save(secret)
        return version

    def _stamp(self, secret: Secret, version: SecretVersion) -> Params:
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.id,
            "VersionStages": version.stages,
        }

    def _value(self, secret: Secret, version: SecretVersion) -> Params:
        answer: Params = {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.id,
            "VersionStages": version.stages,
            "CreatedDate": version.created,
        }
        if version.string is not None:
            answer["SecretString"] = version.string
        if version.binary is not None:
            answer["SecretBinary"] = version.binary
        return answer

    def _accessed(self, secret: Secret) -> None:
        day = dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        if secret.doc.get("LastAccessedDate") != day.timestamp():
            secret.doc["LastAccessedDate"] = day.timestamp()
            self.store.save(secret)

    def _description(self, secret: Secret) -> Params:
        entry: Params = {"ARN": secret.arn, "Name": secret.name}
        for key in (
            "Description",
            "KmsKeyId",
            "LastChangedDate",
            "LastAccessedDate",
            "DeletedDate",
            "CreatedDate",
        ):
            if secret.doc.get(key) is not None:
                entry[key] = secret.doc[key]
        entry["RotationEnabled"] = bool(secret.doc.get("RotationEnabled", False))
        for key in ("RotationLambdaARN", "RotationRules", "LastRotatedDate"):
            if secret.doc.get(key) is not None:
                entry[key] = secret.doc[key]
        entry["Tags"] = secret.doc.get("Tags", [])
        entry["VersionIdsToStages"] = {
            v.id: v.stages for v in self.store.versions(secret.arn) if v.stages
        }
        return entry

    def _matching(self, filters: list[Params], planned: bool) -> list[Secret]:
        found = []
        for secret in self.store.all():
            if self._purged(secret) or (secret.doc.get("DeletedDate") and not planned):
                continue
            if all(_passes(secret, f) for f in filters):
                found.append(secret)
        return found


def _passes(secret: Secret, entry: Params) -> bool:
    key = entry.get("Key")
    tags = secret.doc.get("Tags", [])
    fields = {
        "name": [secret.name],
        "description": [str(secret.doc.get("Description", ""))],
        "tag-key": [t["Key"] for t in tags],
        "tag-value": [t["Value"] for t in tags],
    }
    fields["all"] = [x for v in fields.values() for x in v]
    if key not in fields:
        raise InvalidParameterException(f"Invalid filter key: {key}")
    for value in entry.get("Values") or []:
        negate = value.startswith("!")
        wanted = value[1:] if negate else value
        hit = any(candidate.lower().startswith(wanted.lower()) for candidate in fields[key])
        if hit == negate:
            return False
    return True


def _merge_tags(tags: list[Params], new: list[Params]) -> list[Params]:
    merged = {t["Key"]: t["Value"] for t in tags}
    merged.update({str(t["Key"]): str(t["Value"]) for t in new})
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def _has_value(params: Params) -> bool:
    return params.get("SecretString") is not None or params.get("SecretBinary") is not None


def _one_value(params: Params) -> None:
    if params.get("SecretString") is not None and params.get("SecretBinary") is not None:
        raise InvalidParameterException(
            "You can't specify both a binary secret value and a string secret value in the same "
            "secret."
        )


def _value_of(params: Params) -> tuple[str | None, bytes | None]:
    text = params.get("SecretString")
    binary = params.get("SecretBinary")
    return (None if text is None else str(text)), (None if binary is None else bytes(binary))


def _token(token: Any) -> int:
    if not token:
        return 0
    try:
        return int(base64.b64decode(str(token)).decode())
    except ValueError:
        raise InvalidParameterException("Invalid NextToken.") from None


class SecretsManagerService(ModelService):
    """The store on ``state_dir`` behind the model's seam. Rotation functions are invoked
    through ``invoker`` (the engine), on the event loop, one step after another; each step's
    failure ends the rotation, leaving the pending version for the next attempt, as on AWS."""

    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        clock: Clock = SYSTEM,
        invoker: Invoker | None = None,
    ) -> None:
        self.api = SecretsApi(SecretStore(state_dir / DATABASE), region, account_id, clock)
        self._invoker = invoker
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rotations: set[asyncio.Future[None]] = set()
        if invoker is not None:
            self.api.rotator = self._start_rotation
        # A secret's read is a few indexed SQLite statements (and, once a day, a WAL write of
        # its LastAccessedDate): it runs on the loop.
        reads = frozenset({"GetSecretValue"})
        super().__init__("secretsmanager", self.api.operations(), inline_operations=reads)

    def _start_rotation(self, arn: str, token: str, function: str) -> None:
        """Called from an API thread: the steps run on the event loop."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._rotate(arn, token, function), self._loop)
        wrapped = asyncio.wrap_future(future, loop=self._loop)
        self._loop.call_soon_threadsafe(self._rotations.add, wrapped)
        wrapped.add_done_callback(self._rotations.discard)

    async def _rotate(self, arn: str, token: str, function: str) -> None:
        assert self._invoker is not None
        name, qualifier = arns.split_function(function)
        ok = True
        for step in ROTATION_STEPS:
            event = {"Step": step, "SecretId": arn, "ClientRequestToken": token}
            try:
                result = await self._invoker.invoke(
                    InvokeRequest(name, fastjson.dumps(event), qualifier=qualifier)
                )
            except AwsError as exc:
                log.warning("rotation of %s could not invoke %s: %s", arn, function, exc.message)
                ok = False
                break
            if not result.ok:
                log.warning(
                    "rotation of %s failed at %s: %s", arn, step, result.payload[:500].decode()
                )
                ok = False
                break
        await asyncio.to_thread(self.api.rotated, arn, token, ok)

    async def deploy(self, stack: Stack) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.api.deploy, stack.secrets)

    async def close(self) -> None:
        for rotation in list(self._rotations):
            rotation.cancel()
        self.api.store.close()
