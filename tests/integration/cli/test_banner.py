"""`lamina up`'s banner lists every resource of the template by kind, with its logical id and
physical name, beside the lines users rely on; `--debug FUNCTION` prints where debugpy will
listen and a VS Code launch configuration. One real `lamina up`, stopped with Ctrl+C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ITEMS = ROOT / "examples" / "items"


def test_banner_lists_resources_and_the_debugger(tmp_path: Path) -> None:
    """Grouped by kind (AWS::DynamoDB::Table, AWS::Lambda::Function, ...), each `logical id:
    physical name` on a line of its own, never wrapped; the Functions/AWS endpoint lines stay."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lamina", "up", str(ITEMS), "--port", "0",
         "--services-port", "0", "--no-watch", "--state-dir", str(tmp_path),
         "--debug", "ItemsFunction", "--debug-port", "5999"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    with proc:
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + 90
            for line in proc.stderr:
                lines.append(line.rstrip("\n"))
                if line.startswith("Serving.") or time.monotonic() > deadline:
                    break
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = "\n".join(lines)
    assert lines[-1].startswith("Serving."), text
    assert "Functions:    ItemsFunction" in text
    assert "AWS endpoint: http://127.0.0.1:" in text
    start = lines.index("Resources of stack items:")
    listed = lines[start + 1 : -1]
    kinds = [line.strip() for line in listed if re.fullmatch(r"  AWS::\S+", line)]
    assert kinds == sorted(kinds) and "AWS::DynamoDB::Table" in kinds
    table_at = listed.index("  AWS::DynamoDB::Table")
    assert re.fullmatch(r"    ItemsTable: items-ItemsTable-[A-Z0-9]+", listed[table_at + 1])
    assert any(re.fullmatch(r"    ItemsFunction: items-ItemsFunction-[A-Z0-9]+", x) for x in listed)
    assert "    ServerlessRestApiProdStage: Prod" in listed
    # The debugger's announcement, with a launch configuration that parses.
    assert "ItemsFunction waits for a debugger on 127.0.0.1:5999" in text
    snippet, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
    assert snippet["type"] == "debugpy" and snippet["connect"]["port"] == 5999
