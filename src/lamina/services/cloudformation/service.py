"""CloudFormation's read side on the AWS endpoint (query protocol): what scripts read after
``sam deploy`` — ``DescribeStacks`` (status, parameters, resolved ``Outputs``),
``ListStackResources``, ``DescribeStackResource(s)`` (logical to physical ids), ``GetTemplate``
and ``ListStacks`` — for the one stack ``lamina up`` deploys (named after the template's
directory). Changing stacks (``CreateStack``, ``UpdateStack``...) is not served: Lamina deploys
the template it was started with, again on every change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lamina import ids
from lamina.clock import SYSTEM, Clock
from lamina.errors import AwsError
from lamina.model import arns
from lamina.model.specs import Stack, StackOutput, StackResource
from lamina.services.protocols.service import ModelService

Params = dict[str, Any]


class ValidationError(AwsError):
    code = "ValidationError"
    status = 400


class StackView:
    def __init__(self, region: str, account_id: str, clock: Clock) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.stack: Stack | None = None
        # How a stack's outputs are reported: as resolved, unless the app says otherwise (it
        # gives the local address of APIs named by AWS's: app/localurls.py).
        self.outputs_for: Callable[[Stack], Sequence[StackOutput]] = lambda stack: stack.outputs
        self.created = clock.wall()
        self.updated: float | None = None

    def operations(self) -> dict[str, Any]:
        return {
            "DescribeStacks": self.describe_stacks,
            "ListStacks": self.list_stacks,
            "ListStackResources": self.list_stack_resources,
            "DescribeStackResources": self.describe_stack_resources,
            "DescribeStackResource": self.describe_stack_resource,
            "GetTemplate": self.get_template,
        }

    def deployed(self, stack: Stack) -> None:
        if self.stack is not None:
            self.updated = self.clock.wall()
        self.stack = stack

    # -- operations ------------------------------------------------------------------------

    def describe_stacks(self, params: Params) -> Params:
        stack = self._stack(params.get("StackName"))
        described: Params = {
            "StackId": self._id(stack),
            "StackName": stack.name,
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in stack.parameters],
            "CreationTime": self.created,
            "StackStatus": self._status(),
            "DisableRollback": False,
            "NotificationARNs": [],
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Outputs": [self._output(o) for o in self.outputs_for(stack)],
            "Tags": [],
            "EnableTerminationProtection": False,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        if stack.description is not None:
            described["Description"] = stack.description
        if self.updated is not None:
            described["LastUpdatedTime"] = self.updated
        return {"Stacks": [described]}

    def list_stacks(self, params: Params) -> Params:
        if self.stack is None:
            return {"StackSummaries": []}
        wanted = params.get("StackStatusFilter") or []
        if wanted and self._status() not in wanted:
            return {"StackSummaries": []}
        summary: Params = {
            "StackId": self._id(self.stack),
            "StackName": self.stack.name,
            "CreationTime": self.created,
            "StackStatus": self._status(),
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        if self.stack.description is not None:
            summary["TemplateDescription"] = self.stack.description
        if self.updated is not None:
            summary["LastUpdatedTime"] = self.updated
        return {"StackSummaries": [summary]}

    def list_stack_resources(self, params: Params) -> Params:
        stack = self._stack(params["StackName"])
        return {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": r.logical_id,
                    "PhysicalResourceId": r.physical_id,
                    "ResourceType": r.type,
                    "LastUpdatedTimestamp": self.updated or self.created,
                    "ResourceStatus": "CREATE_COMPLETE",
                    "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
                }
                for r in stack.resources
            ]
        }

    def describe_stack_resources(self, params: Params) -> Params:
        physical = params.get("PhysicalResourceId")
        if physical and not params.get("StackName"):
            stack = self._stack(None)
        else:
            stack = self._stack(params.get("StackName"))
        chosen = [
            r
            for r in stack.resources
            if params.get("LogicalResourceId") in (None, r.logical_id)
            and physical in (None, r.physical_id)
        ]
        return {"StackResources": [self._resource(stack, r) for r in chosen]}

    def describe_stack_resource(self, params: Params) -> Params:
        stack = self._stack(params["StackName"])
        logical = params["LogicalResourceId"]
        for resource in stack.resources:
            if resource.logical_id == logical:
                detail = self._resource(stack, resource)
                detail["LastUpdatedTimestamp"] = detail.pop("Timestamp")
                return {"StackResourceDetail": detail}
        raise ValidationError(f"Resource {logical} does not exist for stack {stack.name}")

    def get_template(self, params: Params) -> Params:
        stack = self._stack(params.get("StackName"))
        # The template as written, for either stage: Lamina keeps no processed copy.
        return {
            "TemplateBody": stack.template_path.read_text(),
            "StagesAvailable": ["Original", "Processed"],
        }

    # -- helpers ---------------------------------------------------------------------------

    def _stack(self, name: Any) -> Stack:
        stack = self.stack
        if stack is None or (name not in (None, "") and name not in (stack.name, self._id(stack))):
            raise ValidationError(f"Stack with id {name} does not exist")
        return stack

    def _id(self, stack: Stack) -> str:
        unique = ids.stable_uuid(self.account_id, self.region, stack.name)
        return arns.arn(
            "cloudformation", self.region, self.account_id, f"stack/{stack.name}/{unique}"
        )

    def _status(self) -> str:
        return "UPDATE_COMPLETE" if self.updated is not None else "CREATE_COMPLETE"

    @staticmethod
    def _output(output: Any) -> Params:
        entry: Params = {"OutputKey": output.key, "OutputValue": output.value}
        if output.description is not None:
            entry["Description"] = output.description
        if output.export_name is not None:
            entry["ExportName"] = output.export_name
        return entry

    def _resource(self, stack: Stack, resource: StackResource) -> Params:
        return {
            "StackName": stack.name,
            "StackId": self._id(stack),
            "LogicalResourceId": resource.logical_id,
            "PhysicalResourceId": resource.physical_id,
            "ResourceType": resource.type,
            "Timestamp": self.updated or self.created,
            "ResourceStatus": "CREATE_COMPLETE",
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }


class CloudFormationService(ModelService):
    def __init__(self, region: str, account_id: str, clock: Clock = SYSTEM) -> None:
        self.view = StackView(region, account_id, clock)
        super().__init__("cloudformation", self.view.operations())

    async def deploy(self, stack: Stack) -> None:
        self.view.deployed(stack)
