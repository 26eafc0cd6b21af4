"""CI runs the README's test command, then the packaging tests, the clients, lint, typecheck and
the image, and stops at the first failing step. .ci/run is run for real, with `pip` and `nox`
replaced by recorders."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent

RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CI_LOG"
if [ "$(basename "$0") $*" = "$CI_FAIL" ]; then exit 7; fi
"""


def run_ci(tmp_path: Path, *, fail: str = "") -> tuple[int, list[str]]:
    """Run .ci/run with recording `pip` and `nox`; its exit status and the commands it ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pip", "nox"):
        (bin_dir / tool).write_text(RECORDER)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "ci.log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CI_LOG": str(log),
        "CI_FAIL": fail,
    }
    completed = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, check=False
    )
    ran = log.read_text().splitlines() if log.exists() else []
    return completed.returncode, ran


def test_ci_runs_the_readme_test_command_then_packaging_clients_lint_typecheck_and_image(
    tmp_path: Path,
) -> None:
    """The README's `pip install nox && nox -s tests` runs first, then the other sessions."""
    code, ran = run_ci(tmp_path)
    assert code == 0
    assert ran == [
        "pip install nox",
        "nox -s tests",
        "nox -s packaging",
        "nox -s clients",
        "nox -s lint typecheck",
        "nox -s image",
    ]
    readme = (ROOT / "README.md").read_text()
    assert "<!-- test-command -->\n```sh\npip install nox && nox -s tests\n```" in readme


def test_a_failing_test_run_stops_ci(tmp_path: Path) -> None:
    """When `nox -s tests` fails, CI fails with it and runs nothing after it."""
    code, ran = run_ci(tmp_path, fail="nox -s tests")
    assert code != 0
    assert ran == ["pip install nox", "nox -s tests"]


def _noxfile_needs_version() -> str | None:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "nox.needs_version":
            return str(ast.literal_eval(node.value))
    return None


def test_the_noxfile_refuses_a_nox_without_the_features_it_uses() -> None:
    """`pip install nox` keeps an older nox already installed: one without env values of None
    (unset a variable, nox 2024.04.15) is refused by name, not met with a TypeError."""
    needs = _noxfile_needs_version()
    assert needs is not None
    allowed = SpecifierSet(needs)
    assert "2024.3.2" not in allowed
    assert "2024.4.15" in allowed
