"""The AWS CLI, unchanged, against Lamina's endpoint (``--endpoint-url``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.compat.dynamodb.harness import LaminaServer

pytest.importorskip("awscli")


@pytest.fixture
def aws(lamina_server: LaminaServer, tmp_path: Path) -> Any:
    service = lamina_server.attach(tmp_path / "state")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "lamina",
        "AWS_SECRET_ACCESS_KEY": "lamina",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def run(*args: str) -> Any:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "awscli",
                "dynamodb",
                *args,
                "--endpoint-url",
                lamina_server.url,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if done.returncode != 0:
            return {"exit": done.returncode, "stderr": done.stderr}
        return json.loads(done.stdout) if done.stdout.strip() else {}

    yield run
    lamina_server.detach(service)


def test_cli_table_and_item_commands(aws: Any) -> None:
    """create-table, put-item, get-item, query, scan, update-item and list-tables work from the
    AWS CLI; a failed condition exits non-zero naming ConditionalCheckFailedException."""
    created = aws(
        "create-table",
        "--table-name",
        "cli-table",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    assert created["TableDescription"]["TableStatus"] == "ACTIVE"
    assert aws("wait", "table-exists", "--table-name", "cli-table") == {}
    for sk in ("1", "2", "3"):
        aws(
            "put-item",
            "--table-name",
            "cli-table",
            "--item",
            json.dumps({"pk": {"S": "a"}, "sk": {"N": sk}}),
        )
    got = aws(
        "get-item", "--table-name", "cli-table", "--key", '{"pk": {"S": "a"}, "sk": {"N": "2"}}'
    )
    assert got["Item"] == {"pk": {"S": "a"}, "sk": {"N": "2"}}
    queried = aws(
        "query",
        "--table-name",
        "cli-table",
        "--key-condition-expression",
        "pk = :p AND sk >= :s",
        "--expression-attribute-values",
        '{":p": {"S": "a"}, ":s": {"N": "2"}}',
    )
    assert [i["sk"]["N"] for i in queried["Items"]] == ["2", "3"]
    assert aws("scan", "--table-name", "cli-table")["Count"] == 3
    updated = aws(
        "update-item",
        "--table-name",
        "cli-table",
        "--key",
        '{"pk": {"S": "a"}, "sk": {"N": "1"}}',
        "--update-expression",
        "SET v = :v",
        "--expression-attribute-values",
        '{":v": {"S": "x"}}',
        "--return-values",
        "ALL_NEW",
    )
    assert updated["Attributes"]["v"] == {"S": "x"}
    assert aws("list-tables")["TableNames"] == ["cli-table"]
    failed = aws(
        "put-item",
        "--table-name",
        "cli-table",
        "--item",
        '{"pk": {"S": "a"}, "sk": {"N": "1"}}',
        "--condition-expression",
        "attribute_not_exists(pk)",
    )
    assert failed["exit"] != 0 and "ConditionalCheckFailedException" in failed["stderr"]
