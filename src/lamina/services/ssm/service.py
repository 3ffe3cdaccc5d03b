"""SSM Parameter Store on the AWS endpoint (json 1.1, ``X-Amz-Target: AmazonSSM.<Operation>``).

Parameters are ``String``, ``StringList`` or ``SecureString`` with up to 100 versions, labels
and tags. A ``SecureString`` is stored as written (Lamina holds no KMS): read without
``WithDecryption`` it comes back as an opaque base64 text naming its key, as AWS gives the
ciphertext instead of the value. A name may carry a selector (``/app/db:3``, ``/app/db:prod``)
and may be given as the parameter's ARN. Other SSM operations are answered "Lamina does not
serve ssm:... yet".
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.model import arns
from lamina.model.configs import ParameterSpec
from lamina.model.specs import Stack
from lamina.services.protocols.service import ModelService
from lamina.services.ssm.errors import (
    HierarchyLevelLimitExceededException,
    InvalidFilterKey,
    InvalidNextToken,
    InvalidResourceId,
    ParameterAlreadyExists,
    ParameterMaxVersionLimitExceeded,
    ParameterNotFound,
    ParameterPatternMismatchException,
    ParameterVersionLabelLimitExceeded,
    ParameterVersionNotFound,
    ValidationException,
)
from lamina.services.ssm.store import ParameterStore, Version

DATABASE = "ssm.sqlite3"
DEFAULT_KEY = "alias/aws/ssm"
MAX_VERSIONS = 100
MAX_LABELS = 10
MAX_DEPTH = 15
_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_BAD_NAME = (
    'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a '
    "path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a "
    "mix of letters, numbers and the following 3 symbols .-_"
)
Params = dict[str, Any]


class ParameterStoreApi:
    def __init__(self, store: ParameterStore, region: str, account_id: str, clock: Clock) -> None:
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutParameter": self.put_parameter,
            "GetParameter": self.get_parameter,
            "GetParameters": self.get_parameters,
            "GetParametersByPath": self.get_parameters_by_path,
            "DeleteParameter": self.delete_parameter,
            "DeleteParameters": self.delete_parameters,
            "DescribeParameters": self.describe_parameters,
            "GetParameterHistory": self.get_parameter_history,
            "LabelParameterVersion": self.label_parameter_version,
            "UnlabelParameterVersion": self.unlabel_parameter_version,
            "AddTagsToResource": self.add_tags_to_resource,
            "RemoveTagsFromResource": self.remove_tags_from_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    def deploy(self, specs: Iterable[ParameterSpec]) -> None:
        """Put the template's parameters: new ones, and those whose template value changed since
        the last deploy (a value put through the API stays until then)."""
        for spec in specs:
            doc = fastjson.dumps_text(
                [spec.type, spec.value, spec.description, spec.allowed_pattern, spec.tier]
            )
            with self.store.lock:
                latest = self.store.latest(spec.name)
                if latest is not None and self.store.templates.get(spec.name) == doc:
                    continue
                params: Params = {"Name": spec.name, "Value": spec.value, "Type": spec.type}
                for key, value in (
                    ("Description", spec.description),
                    ("AllowedPattern", spec.allowed_pattern),
                    ("Tier", spec.tier),
                    ("DataType", spec.data_type),
                ):
                    if value is not None:
                        params[key] = value
                if latest is None and spec.tags:
                    params["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags]
                params["Overwrite"] = latest is not None
                self.put_parameter(params)
                self.store.templates.put(spec.name, doc)

    # -- writing ---------------------------------------------------------------------------

    def put_parameter(self, params: Params) -> Params:
        name = _checked_name(_strip_arn(params["Name"]))
        value = str(params["Value"])
        with self.store.lock:
            latest = self.store.latest(name)
            if latest is not None and not params.get("Overwrite"):
                raise ParameterAlreadyExists(
                    "The parameter already exists. To overwrite this value, set the overwrite "
                    "option in the request to true."
                )
            if latest is not None and params.get("Tags"):
                raise ValidationException(
                    "Invalid request: tags and overwrite can't be used together. To create a "
                    "parameter with tags, please remove overwrite flag. To update tags for an "
                    "existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
                )
            kind = params.get("Type") or (latest.type if latest else None)
            if kind is None:
                raise ValidationException(
                    "A parameter type is required when you create a parameter."
                )
            pattern = params.get("AllowedPattern", latest.allowed_pattern if latest else None)
            if pattern and not re.fullmatch(pattern, value):
                raise ParameterPatternMismatchException(
                    f"Parameter value, cannot be validated against allowedPattern: {pattern}"
                )
            versions = self.store.versions(name)
            drop = None
            if len(versions) >= MAX_VERSIONS:
                oldest = versions[0]
                if oldest.labels:
                    raise ParameterMaxVersionLimitExceeded(
                        f"You attempted to create a new version of {name} by calling the "
                        f"PutParameter API with the overwrite flag. Version {oldest.version}, "
                        "the oldest version, can't be deleted because it has a label "
                        "associated with it. Move the label to another version of the "
                        "parameter, and try again."
                    )
                drop = oldest.version
            version = Version(
                name=name,
                version=(latest.version + 1) if latest else 1,
                type=kind,
                value=value,
                description=params.get("Description", latest.description if latest else None),
                key_id=(params.get("KeyId") or DEFAULT_KEY) if kind == "SecureString" else None,
                allowed_pattern=pattern,
                data_type=params.get("DataType") or "text",
                tier=params.get("Tier") or "Standard",
                modified=self.clock.wall(),
                labels=(),
            )
            self.store.add(version, drop)
            if params.get("Tags"):
                self.store.tag(name, _tags(params["Tags"]))
        return {"Version": version.version, "Tier": _tier(version.tier)}

    def delete_parameter(self, params: Params) -> Params:
        if not self.store.delete(_strip_arn(params["Name"])):
            raise ParameterNotFound(f"Parameter {params['Name']} not found.")
        return {}

    def delete_parameters(self, params: Params) -> Params:
        deleted: list[str] = []
        invalid: list[str] = []
        for name in params["Names"]:
            (deleted if self.store.delete(_strip_arn(name)) else invalid).append(name)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    # -- reading ---------------------------------------------------------------------------

    def get_parameter(self, params: Params) -> Params:
        name = str(params["Name"])
        found = self._select(name)
        return {"Parameter": self._describe(found, params.get("WithDecryption"), name)}

    def get_parameters(self, params: Params) -> Params:
        found, invalid = [], []
        for name in dict.fromkeys(params["Names"]):
            try:
                version = self._select(name)
            except (ParameterNotFound, ParameterVersionNotFound):
                invalid.append(name)
                continue
            found.append(self._describe(version, params.get("WithDecryption"), name))
        return {"Parameters": found, "InvalidParameters": invalid}

    def get_parameters_by_path(self, params: Params) -> Params:
        path = str(params["Path"])
        if not path.startswith("/"):
            raise ValidationException(
                f"The parameter doesn't meet the parameter name requirements. The parameter "
                f'name must begin with a forward slash "/". Path: {path}'
            )
        prefix = path.rstrip("/") + "/"
        recursive = bool(params.get("Recursive"))
        chosen = [
            v
            for v in self.store.all_latest()
            if v.name.startswith(prefix) and (recursive or "/" not in v.name[len(prefix) :])
        ]
        chosen = self._filtered(chosen, params.get("ParameterFilters") or [], by_path=True)
        page, token = _page(chosen, params.get("NextToken"), params.get("MaxResults"), 10)
        answer: Params = {
            "Parameters": [self._describe(v, params.get("WithDecryption")) for v in page]
        }
        if token:
            answer["NextToken"] = token
        return answer

    def describe_parameters(self, params: Params) -> Params:
        chosen = self.store.all_latest()
        for old in params.get("Filters") or []:
            values = set(old.get("Values") or [])
            key = {"Name": "name", "Type": "type", "KeyId": "key_id"}.get(old.get("Key"))
            if key is None:
                raise InvalidFilterKey(f"The filter key {old.get('Key')} is not valid.")
            chosen = [v for v in chosen if getattr(v, key) in values]
        chosen = self._filtered(chosen, params.get("ParameterFilters") or [], by_path=False)
        page, token = _page(chosen, params.get("NextToken"), params.get("MaxResults"), 50)
        answer: Params = {"Parameters": [self._metadata(v) for v in page]}
        if token:
            answer["NextToken"] = token
        return answer

    def get_parameter_history(self, params: Params) -> Params:
        name = _strip_arn(params["Name"])
        versions = self.store.versions(name)
        if not versions:
            raise ParameterNotFound(f"Parameter {name} not found.")
        page, token = _page(versions, params.get("NextToken"), params.get("MaxResults"), 50)
        listed = []
        for version in page:
            entry = self._metadata(version)
            entry.pop("ARN", None)
            entry["Value"] = self._value(version, params.get("WithDecryption"))
            entry["Labels"] = list(version.labels)
            listed.append(entry)
        answer: Params = {"Parameters": listed}
        if token:
            answer["NextToken"] = token
        return answer

    # -- labels and tags -------------------------------------------------------------------

    def label_parameter_version(self, params: Params) -> Params:
        name = _strip_arn(params["Name"])
        with self.store.lock:
            versions = {v.version: v for v in self.store.versions(name)}
            if not versions:
                raise ParameterNotFound(f"Parameter {name} not found.")
            number = int(params.get("ParameterVersion") or max(versions))
            if number not in versions:
                raise ParameterVersionNotFound(
                    f"Systems Manager could not find version {number} of {name}. Verify the "
                    "version and try again."
                )
            valid: list[str] = []
            invalid: list[str] = []
            for label in params["Labels"]:
                (valid if _good_label(label) else invalid).append(label)
            labels = {n: [x for x in v.labels if x not in valid] for n, v in versions.items()}
            labels[number] = list(dict.fromkeys([*labels[number], *valid]))
            if len(labels[number]) > MAX_LABELS:
                raise ParameterVersionLabelLimitExceeded(
                    "An error occurred (ParameterVersionLabelLimitExceeded) when calling the "
                    "LabelParameterVersion operation: A parameter version can have maximum 10 "
                    "labels.Move one or more labels to another version and try again."
                )
            self.store.set_labels(name, {n: tuple(x) for n, x in labels.items()})
        return {"InvalidLabels": invalid, "ParameterVersion": number}

    def unlabel_parameter_version(self, params: Params) -> Params:
        name = _strip_arn(params["Name"])
        with self.store.lock:
            versions = {v.version: v for v in self.store.versions(name)}
            number = int(params["ParameterVersion"])
            if number not in versions:
                raise ParameterVersionNotFound(
                    f"Systems Manager could not find version {number} of {name}. Verify the "
                    "version and try again."
                )
            held = versions[number].labels
            removed = [x for x in params["Labels"] if x in held]
            kept = tuple(x for x in held if x not in removed)
            self.store.set_labels(name, {number: kept})
        invalid = [x for x in params["Labels"] if x not in removed]
        return {"RemovedLabels": removed, "InvalidLabels": invalid}

    def add_tags_to_resource(self, params: Params) -> Params:
        self.store.tag(self._tagged(params), _tags(params["Tags"]))
        return {}

    def remove_tags_from_resource(self, params: Params) -> Params:
        self.store.untag(self._tagged(params), list(params["TagKeys"]))
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        tags = self.store.tags(self._tagged(params))
        return {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def _tagged(self, params: Params) -> str:
        if params["ResourceType"] != "Parameter":
            raise InvalidResourceId(
                f"Lamina's Parameter Store tags parameters only, not {params['ResourceType']}."
            )
        name = _strip_arn(params["ResourceId"])
        if self.store.latest(name) is None:
            raise InvalidResourceId('The resource ID "' + name + '" is not valid.')
        return name

    # -- shapes ----------------------------------------------------------------------------

    def _select(self, name: str) -> Version:
        """A parameter by name, ARN, ``name:version`` or ``name:label``."""
        base, _, selector = _strip_arn(name).partition(":")
        if not selector:  # the common case reads one row, not the parameter's history
            latest = self.store.committed(base)
            if latest is None:
                raise ParameterNotFound(f"Parameter {base} not found.")
            return latest
        versions = self.store.versions(base)
        if not versions:
            raise ParameterNotFound(f"Parameter {base} not found.")
        if selector.isdigit():
            for version in versions:
                if version.version == int(selector):
                    return version
            raise ParameterVersionNotFound(
                f"Systems Manager could not find version {selector} of {base}. Verify the "
                "version and try again."
            )
        for version in versions:
            if selector in version.labels:
                return version
        raise ParameterVersionNotFound(
            f"Systems Manager could not find label {selector} of {base}. Verify the label and "
            "try again."
        )

    def arn(self, name: str) -> str:
        return arns.arn("ssm", self.region, self.account_id, f"parameter/{name.lstrip('/')}")

    def _value(self, version: Version, decrypt: Any) -> str:
        if version.type != "SecureString" or decrypt:
            return version.value
        opaque = f"{version.key_id}:{version.value}".encode()
        return base64.b64encode(opaque).decode("ascii")

    def _describe(self, version: Version, decrypt: Any, asked: str | None = None) -> Params:
        found: Params = {
            "Name": version.name,
            "Type": version.type,
            "Value": self._value(version, decrypt),
            "Version": version.version,
            "LastModifiedDate": version.modified,
            "ARN": self.arn(version.name),
            "DataType": version.data_type,
        }
        if asked is not None and ":" in _strip_arn(asked):
            found["Selector"] = ":" + _strip_arn(asked).partition(":")[2]
        return found

    def _metadata(self, version: Version) -> Params:
        entry: Params = {
            "Name": version.name,
            "ARN": self.arn(version.name),
            "Type": version.type,
            "LastModifiedDate": version.modified,
            "LastModifiedUser": f"arn:aws:iam::{self.account_id}:root",
            "Version": version.version,
            "Tier": _tier(version.tier),
            "Policies": [],
            "DataType": version.data_type,
        }
        if version.key_id:
            entry["KeyId"] = version.key_id
        if version.description is not None:
            entry["Description"] = version.description
        if version.allowed_pattern:
            entry["AllowedPattern"] = version.allowed_pattern
        return entry

    def _filtered(
        self, chosen: list[Version], filters: list[Params], *, by_path: bool
    ) -> list[Version]:
        for entry in filters:
            key, option = str(entry.get("Key")), entry.get("Option") or "Equals"
            values = [str(v) for v in entry.get("Values") or []]
            if key.startswith("tag:"):
                tag = key[4:]
                chosen = [
                    v
                    for v in chosen
                    if tag in (t := self.store.tags(v.name)) and (not values or t[tag] in values)
                ]
            elif key == "Name" and not by_path:
                chosen = [v for v in chosen if _name_matches(v.name, option, values)]
            elif key in ("Type", "KeyId", "DataType", "Tier"):
                field = {"Type": "type", "KeyId": "key_id", "DataType": "data_type"}.get(key)
                chosen = [v for v in chosen if (getattr(v, field) if field else v.tier) in values]
            elif key == "Label" and by_path:
                chosen = [v for v in chosen if set(values) & set(v.labels)]
            elif key == "Path" and not by_path:
                chosen = [v for v in chosen if _under(v.name, values, option == "Recursive")]
            else:
                raise InvalidFilterKey(f"The following filter key is not valid: {key}")
        return chosen


def _name_matches(name: str, option: str, values: list[str]) -> bool:
    if option == "BeginsWith":
        return any(name.startswith(v) or name.lstrip("/").startswith(v.lstrip("/")) for v in values)
    if option == "Contains":
        return any(v in name for v in values)
    return any(name == v or name.lstrip("/") == v.lstrip("/") for v in values)


def _under(name: str, paths: list[str], recursive: bool) -> bool:
    for path in paths:
        prefix = path.rstrip("/") + "/"
        if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :]):
            return True
    return False


def _strip_arn(name: Any) -> str:
    """A parameter's name from its name or ARN (``parameter/a/b`` is ``/a/b``, ``parameter/a``
    is ``a``), a selector kept."""
    text = str(name)
    if not text.startswith("arn:") or text.count(":") < 5:
        return text
    rest = text.split(":", 5)[5].removeprefix("parameter/")
    name_part = rest.partition(":")[0]
    return "/" + rest if "/" in name_part else rest


def _checked_name(name: str) -> str:
    lowered = name.lstrip("/").lower()
    if (
        not _NAME.match(name)
        or lowered.startswith(("aws", "ssm"))
        or ("/" in name and not name.startswith("/"))
        or "//" in name
    ):
        raise ValidationException(_BAD_NAME)
    if name.count("/") > MAX_DEPTH:
        raise HierarchyLevelLimitExceededException(
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements "
            "and constraints for parameter names in the AWS Systems Manager User Guide."
        )
    return name


def _good_label(label: str) -> bool:
    return (
        0 < len(label) <= 100
        and not label[0].isdigit()
        and not label.lower().startswith(("aws", "ssm"))
        and re.fullmatch(r"[a-zA-Z0-9_.\-]+", label) is not None
    )


def _tags(raw: list[Params]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in raw}


def _tier(tier: str) -> str:
    return "Standard" if tier == "Intelligent-Tiering" else tier


def _page(
    items: list[Version], token: Any, limit: Any, default: int
) -> tuple[list[Version], str | None]:
    try:
        start = int(base64.b64decode(str(token)).decode()) if token else 0
    except ValueError:
        raise InvalidNextToken("The specified token is not valid.") from None
    size = int(limit or default)
    end = start + size
    following = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


class SsmService(ModelService):
    """The store on ``state_dir`` behind the model's seam; ``deploy`` puts the template's
    ``AWS::SSM::Parameter`` resources."""

    def __init__(
        self, state_dir: Path, region: str, account_id: str, clock: Clock = SYSTEM
    ) -> None:
        self.api = ParameterStoreApi(
            ParameterStore(state_dir / DATABASE), region, account_id, clock
        )
        # Reads of one parameter are a few indexed SQLite statements: they run on the loop.
        reads = frozenset({"GetParameter", "GetParameters"})
        super().__init__("ssm", self.api.operations(), inline_operations=reads)

    async def deploy(self, stack: Stack) -> None:
        await asyncio.to_thread(self.api.deploy, stack.ssm_parameters)

    async def close(self) -> None:
        self.api.store.close()
