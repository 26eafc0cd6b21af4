"""The README's main command is the demo, and the demo behaves as designed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from ecsdeploy._iam import iam_policy
from tests.cli.simulator_process import ECSDEPLOY, results

README = Path(__file__).parents[2] / "README.md"


def block_after(marker: str) -> str:
    """The fenced block right after `marker` (how .ci/run reads the test command)."""
    match = re.search(re.escape(marker) + r"\s*```[a-z]*\n(.*?)```", README.read_text(), re.S)
    assert match, f"README.md has no fenced block after {marker}"
    return match.group(1).strip()


def test_the_main_command_installs_and_runs_the_demo() -> None:
    """The <!-- main-command --> block is `pip install . && ecsdeploy demo`."""
    command = block_after("<!-- main-command -->")
    assert command == "pip install . && ecsdeploy demo"
    assert command.split("&&")[-1].strip() == "ecsdeploy demo"


def test_the_test_command_block_is_still_there() -> None:
    """.ci/run reads the test command block; it stays as it was."""
    assert block_after("<!-- test-command -->") == "pip install nox && nox -s tests"


def test_the_documented_iam_policy_is_the_one_printed() -> None:
    """The README's policy is `ecsdeploy iam-policy`'s, byte for byte in meaning."""
    documented = block_after("Prints the least-privilege IAM policy ecsdeploy needs:")
    assert json.loads(documented) == iam_policy()


def test_the_demo_runs_without_aws_and_exits_0() -> None:
    """`ecsdeploy demo --no-live` as a process: good services succeed, payments rolls back."""
    completed = subprocess.run(
        [ECSDEPLOY, "demo", "--no-live"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    states = {
        line["service"]: line["outcome"]
        for line in results(completed.stdout, "ecsdeploy.release.service")
    }
    assert states == {
        "api": "SUCCEEDED",
        "worker": "SUCCEEDED",
        "web": "SUCCEEDED",
        "payments": "ROLLED_BACK",
    }
