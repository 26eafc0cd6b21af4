"""The suite reads as a specification: every test says in one sentence what it holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).parent
SUITES = [TESTS, TESTS.parent / "clients"]


#: Where one sentence ends and another begins: a full stop, then a capital or an opening quote.
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z`\"(]")


def _tests() -> list[tuple[str, str]]:
    """(where, docstring) of every test function of the suite and the clients suite."""
    return [
        (
            f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}",
            ast.get_docstring(node) or "",
        )
        for suite in SUITES
        for path in sorted(suite.rglob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    ]


def test_every_test_docstring_is_one_sentence() -> None:
    """A test whose docstring says two things (two sentences) is named here: one behaviour per
    test."""
    several = [where for where, doc in _tests() if SENTENCE_BREAK.search(" ".join(doc.split()))]
    assert several == []


def test_every_test_has_a_one_line_docstring() -> None:
    """A test function without a docstring, or whose docstring is empty, is named here."""
    missing = [where for where, doc in _tests() if not doc.strip()]
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
