"""RotateSecret runs the rotation function's four steps as Secrets Manager does: a pending
version under the request's token, createSecret filling it, finishSecret moving AWSCURRENT;
afterwards the old value is AWSPREVIOUS and the secret says it rotated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "rotation" / "template.yaml"


def test_a_rotation_function_rotates_the_secret(tmp_path: Path) -> None:
    up = LaminaUp(TEMPLATE, tmp_path / "state").start()
    try:
        sm = up.aws("secretsmanager")
        function = up.aws("lambda").get_function(FunctionName="rotator")["Configuration"]
        started = sm.rotate_secret(
            SecretId="rotated/password",
            RotationLambdaARN=function["FunctionArn"],
            RotationRules={"AutomaticallyAfterDays": 30},
        )

        def rotated() -> bool:
            value = json.loads(sm.get_secret_value(SecretId="rotated/password")["SecretString"])
            return bool(value["password"] != "initial")

        wait_for(rotated, timeout=60)
        current = sm.get_secret_value(SecretId="rotated/password")
        assert current["VersionId"] == started["VersionId"]
        previous = sm.get_secret_value(SecretId="rotated/password", VersionStage="AWSPREVIOUS")
        assert json.loads(previous["SecretString"]) == {"password": "initial"}
        wait_for(
            lambda: "LastRotatedDate" in sm.describe_secret(SecretId="rotated/password"),
            timeout=30,
        )
        described = sm.describe_secret(SecretId="rotated/password")
        assert described["RotationEnabled"] is True
        assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
        stages = described["VersionIdsToStages"]
        assert stages[started["VersionId"]] == ["AWSCURRENT"]  # no AWSPENDING left behind
        steps = [line for line in up.log().splitlines() if '"step"' in line]
        assert [json.loads(s[s.index("{") :])["step"] for s in steps] == [
            "createSecret",
            "setSecret",
            "testSecret",
            "finishSecret",
        ]
    finally:
        up.stop()
