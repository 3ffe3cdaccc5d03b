"""Event bus policies and tags: recorded and answered as EventBridge does, not enforced.

``PutPermission`` adds a statement (``StatementId``, ``Action``, ``Principal`` — an account id
or ``*`` —, ``Condition``) to the bus's policy, or replaces the whole policy (``Policy``);
``RemovePermission`` removes one statement or all; ``DescribeEventBus`` shows the policy.
Lamina has one account, so a policy lets in nobody new and keeps nobody out: it is kept for the
code and tools that read it back. Tags belong to buses and rules (``TagResource``,
``UntagResource``, ``ListTagsForResource``, ``CreateEventBus``' ``Tags``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lamina import fastjson
from lamina.services.events.errors import ResourceNotFoundException, ValidationException

if TYPE_CHECKING:
    from lamina.services.events.service import EventBridge

POLICY, TAGS = "policy", "tags"
Params = dict[str, Any]


class Permissions:
    def __init__(self, bridge: EventBridge) -> None:
        self.bridge = bridge
        self.store = bridge.store

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutPermission": self.put_permission,
            "RemovePermission": self.remove_permission,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # -- policies ------------------------------------------------------------------------------

    def policy(self, bus: str) -> str | None:
        doc = self.store.thing(POLICY, bus)
        return None if doc is None else fastjson.dumps_text(doc)

    def put_permission(self, params: Params) -> Params:
        bus = self.bridge.existing_bus(str(params.get("EventBusName") or "default"))
        if params.get("Policy"):
            try:
                policy = fastjson.loads(str(params["Policy"]))
            except ValueError:
                raise ValidationException("Policy is not valid JSON.") from None
            if not isinstance(policy, dict):
                raise ValidationException("Policy is not valid JSON.")
            self.store.put_thing(POLICY, bus, policy)
            return {}
        for name in ("Action", "Principal", "StatementId"):
            if not params.get(name):
                raise ValidationException(f"Parameter {name} is required.")
        principal = str(params["Principal"])
        statement: Params = {
            "Sid": str(params["StatementId"]),
            "Effect": "Allow",
            "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
            "Action": str(params["Action"]),
            "Resource": self.bridge.bus_arn(bus),
        }
        condition = params.get("Condition")
        if condition:
            statement["Condition"] = {
                str(condition["Type"]): {str(condition["Key"]): str(condition["Value"])}
            }
        with self.store.lock:
            policy = self.store.thing(POLICY, bus) or {"Version": "2012-10-17", "Statement": []}
            kept = [s for s in policy.get("Statement", []) if s.get("Sid") != statement["Sid"]]
            policy["Statement"] = [*kept, statement]
            self.store.put_thing(POLICY, bus, policy)
        return {}

    def remove_permission(self, params: Params) -> Params:
        bus = self.bridge.existing_bus(str(params.get("EventBusName") or "default"))
        with self.store.lock:
            policy = self.store.thing(POLICY, bus)
            if params.get("RemoveAllPermissions"):
                self.store.delete_thing(POLICY, bus)
                return {}
            sid = params.get("StatementId")
            statements = (policy or {}).get("Statement", [])
            kept = [s for s in statements if s.get("Sid") != sid]
            if policy is None or len(kept) == len(statements):
                raise ResourceNotFoundException("Statement with the provided id does not exist.")
            policy["Statement"] = kept
            self.store.put_thing(POLICY, bus, policy)
        return {}

    # -- tags ----------------------------------------------------------------------------------

    def tag(self, arn: str, tags: list[Params]) -> None:
        with self.store.lock:
            found = self.store.thing(TAGS, arn) or {}
            found.update({str(t["Key"]): str(t["Value"]) for t in tags})
            self.store.put_thing(TAGS, arn, found)

    def tag_resource(self, params: Params) -> Params:
        arn = self._resource(str(params["ResourceARN"]))
        self.tag(arn, list(params["Tags"]))
        return {}

    def untag_resource(self, params: Params) -> Params:
        arn = self._resource(str(params["ResourceARN"]))
        with self.store.lock:
            found = self.store.thing(TAGS, arn) or {}
            for key in params["TagKeys"]:
                found.pop(str(key), None)
            self.store.put_thing(TAGS, arn, found)
        return {}

    def list_tags_for_resource(self, params: Params) -> Params:
        arn = self._resource(str(params["ResourceARN"]))
        found = self.store.thing(TAGS, arn) or {}
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(found.items())]}

    def _resource(self, arn: str) -> str:
        """``arn`` when it names a bus or rule that exists."""
        resource = arn.split(":", 5)[-1]
        kind, _, rest = resource.partition("/")
        if kind == "event-bus" and rest in self.store.buses():
            return arn
        if kind == "rule":
            bus, _, name = rest.rpartition("/")
            if name in self.store.rules(bus or "default"):
                return arn
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
