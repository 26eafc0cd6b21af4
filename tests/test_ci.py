"""CI runs exactly the README's test command."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_extracts_the_readme_test_command() -> None:
    """.ci/run's extraction of the README block yields the documented one-line command."""
    script = (ROOT / ".ci" / "run").read_text()
    extraction = script.split("test_command=$(", 1)[1].split(")\n", 1)[0]
    command = subprocess.run(
        ["bash", "-c", extraction], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert command == "pip install nox && nox -s tests"
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- test-command -->\n```sh\n{command}\n```" in readme


def test_ci_also_lints_and_typechecks() -> None:
    """Lint and typecheck run after the tests, and a failing step stops the run."""
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    assert "nox -s lint typecheck" in script
