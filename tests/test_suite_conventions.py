"""The suite reads as a specification: every test says in one sentence what it holds."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
SUITES = [TESTS, TESTS.parent / "clients"]


def test_every_test_has_a_one_line_docstring() -> None:
    """A test function without a docstring, or whose docstring is empty, is named here."""
    missing = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}"
        for suite in SUITES
        for path in sorted(suite.rglob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
        and not (ast.get_docstring(node) or "").strip()
    ]
    assert missing == []


def test_test_packages_share_fixtures_only_through_the_plugin() -> None:
    """A test module or conftest imports from its own package or tests/_fixtures, never from
    another test package (shared fixtures live in the one plugin tests/conftest.py registers)."""
    crossings = []
    for path in sorted(TESTS.rglob("*.py")):
        package = path.relative_to(TESTS).parts[0] if path.parent != TESTS else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                imported = (node.module or "").split(".")[1]
                if imported not in ("_fixtures", package):
                    crossings.append(f"{path.relative_to(TESTS.parent)}: {node.module}")
    assert crossings == []
