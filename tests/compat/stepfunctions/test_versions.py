"""State machine versions: a published version freezes the revision it was published from, an
execution started by the version ARN runs that frozen definition even after the machine changes
(and DescribeExecution names the version), numbers go up and are not reused, a repeated publish of
an unchanged revision answers the same version, and a stale ``revisionId`` is a
``ConflictException``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.stepfunctions.conftest import ROLE, finished, machine


def _pass(result: str) -> str:
    return json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}
    )


def test_a_version_runs_the_definition_it_froze(sfn: Any) -> None:
    """Create with publish=True makes version 1; after an update with publish=True (version 2),
    starting by version 1's ARN still runs the first definition, and DescribeExecution says
    which version ran."""
    made = sfn.create_state_machine(
        name="versioned", definition=_pass("one"), roleArn=ROLE, publish=True
    )
    arn = made["stateMachineArn"]
    assert made["stateMachineVersionArn"] == f"{arn}:1"
    updated = sfn.update_state_machine(
        stateMachineArn=arn, definition=_pass("two"), publish=True, versionDescription="second"
    )
    assert updated["stateMachineVersionArn"] == f"{arn}:2"

    started = sfn.start_execution(stateMachineArn=f"{arn}:1", input="{}")
    done = finished(sfn, started["executionArn"])
    assert (done["status"], done["output"]) == ("SUCCEEDED", '"one"')
    assert done["stateMachineVersionArn"] == f"{arn}:1"
    assert done["stateMachineArn"] == arn
    latest = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert latest["output"] == '"two"' and "stateMachineVersionArn" not in latest

    described = sfn.describe_state_machine(stateMachineArn=f"{arn}:2")
    assert described["stateMachineArn"] == f"{arn}:2"
    assert described["description"] == "second"
    assert json.loads(described["definition"])["States"]["P"]["Result"] == "two"
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:2", f"{arn}:1"]


def test_publishing_is_idempotent_numbers_are_not_reused_and_stale_revisions_conflict(
    sfn: Any,
) -> None:
    """Publishing an unchanged revision answers the newest version; after deleting version 2
    and changing the machine, the next publish is version 3; a ``revisionId`` other than the
    current one is refused with ConflictException; a deleted version no longer starts."""
    arn = machine(sfn, "renumbered", json.loads(_pass("a")))
    first = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert first["stateMachineVersionArn"] == f"{arn}:1"
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert again["stateMachineVersionArn"] == f"{arn}:1"
    revision = sfn.update_state_machine(stateMachineArn=arn, definition=_pass("b"))["revisionId"]
    assert (
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=revision)[
            "stateMachineVersionArn"
        ]
        == f"{arn}:2"
    )
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    sfn.update_state_machine(stateMachineArn=arn, definition=_pass("c"))
    with pytest.raises(ClientError) as raised:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=revision)
    assert raised.value.response["Error"]["Code"] == "ConflictException"
    third = sfn.publish_state_machine_version(stateMachineArn=arn, description="c")
    assert third["stateMachineVersionArn"] == f"{arn}:3"
    with pytest.raises(ClientError) as raised:
        sfn.start_execution(stateMachineArn=f"{arn}:2")
    assert raised.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:3", f"{arn}:1"]


def test_an_alias_routes_executions_to_its_versions_by_weight(sfn: Any) -> None:
    """An alias at 100% on one version runs that version and DescribeExecution names both the
    alias and the version; updated to split 50/50 it reaches both versions; ListExecutions by
    the alias or a version ARN lists only what started through it; a version an alias
    routes to cannot be deleted (ConflictException), and weights must add up to 100."""
    made = sfn.create_state_machine(
        name="aliased", definition=_pass("v1"), roleArn=ROLE, publish=True
    )
    arn = made["stateMachineArn"]
    v2 = sfn.update_state_machine(stateMachineArn=arn, definition=_pass("v2"), publish=True)[
        "stateMachineVersionArn"
    ]
    v1 = f"{arn}:1"
    alias = sfn.create_state_machine_alias(
        name="prod",
        description="live",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:prod"
    done = finished(sfn, sfn.start_execution(stateMachineArn=alias)["executionArn"])
    assert done["output"] == '"v1"'
    assert (done["stateMachineAliasArn"], done["stateMachineVersionArn"]) == (alias, v1)

    with pytest.raises(ClientError) as raised:
        sfn.update_state_machine_alias(
            stateMachineAliasArn=alias,
            routingConfiguration=[
                {"stateMachineVersionArn": v1, "weight": 50},
                {"stateMachineVersionArn": v2, "weight": 40},
            ],
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[
            {"stateMachineVersionArn": v1, "weight": 50},
            {"stateMachineVersionArn": v2, "weight": 50},
        ],
    )
    seen = set()
    for _ in range(40):
        seen.add(sfn.start_execution(stateMachineArn=alias)["executionArn"])
    outputs = {finished(sfn, e)["stateMachineVersionArn"] for e in seen}
    assert outputs == {v1, v2}  # 40 fair draws miss one side with odds 2 in 10^12
    by_alias = sfn.list_executions(stateMachineArn=alias)["executions"]
    assert len(by_alias) == 41 and {e["stateMachineAliasArn"] for e in by_alias} == {alias}
    by_v2 = sfn.list_executions(stateMachineArn=v2, maxResults=5)
    assert {e["stateMachineVersionArn"] for e in by_v2["executions"]} == {v2}
    assert "nextToken" in by_v2 or len(by_v2["executions"]) < 5

    with pytest.raises(ClientError) as raised:
        sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    assert raised.value.response["Error"]["Code"] == "ConflictException"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert (described["name"], described["description"]) == ("prod", "live")
    assert len(described["routingConfiguration"]) == 2
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [alias]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(ClientError) as raised:
        sfn.start_execution(stateMachineArn=alias)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
