"""The README's main command is the demo, and the demo behaves as designed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from ecsdeploy._iam import iam_policy
from tests._fixtures.simulator_process import ECSDEPLOY, results

README = Path(__file__).parents[2] / "README.md"


def block_after(marker: str) -> str:
    """The fenced block right after `marker` (how .ci/run reads the test command)."""
    match = re.search(re.escape(marker) + r"\s*```[a-z]*\n(.*?)```", README.read_text(), re.S)
    assert match, f"README.md has no fenced block after {marker}"
    return match.group(1).strip()


def test_the_documented_iam_policy_is_the_one_printed() -> None:
    """The README's policy is `ecsdeploy iam-policy`'s, byte for byte in meaning."""
    documented = block_after("Prints the least-privilege IAM policy ecsdeploy needs:")
    assert json.loads(documented) == iam_policy()


def test_the_readmes_main_command_runs_the_demo_without_aws_and_exits_0() -> None:
    """The <!-- main-command --> block's command runs: good services succeed, payments and
    storefront (its targets unhealthy) roll back, and the demo exits 0 (the installation before
    `&&` is the test run's own)."""
    command = block_after("<!-- main-command -->").split("&&")[-1].split()
    assert command[0] == "ecsdeploy"
    completed = subprocess.run(
        [ECSDEPLOY, *command[1:], "--no-live"],
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
        "storefront": "ROLLED_BACK",
    }
    (storefront,) = [
        line["reason"]
        for line in results(completed.stdout, "ecsdeploy.release.service")
        if line["service"] == "storefront"
    ]
    assert "storefront-tg" in storefront
    assert "health check" in storefront.lower()
