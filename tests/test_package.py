"""The package's public surface."""

from __future__ import annotations

import ast
import inspect
from importlib.metadata import version

import ecsdeploy
import ecsdeploy._release.runner


def test_all_is_sorted_and_importable() -> None:
    """Every name in __all__ exists, and __all__ is sorted so additions are easy to review."""
    assert ecsdeploy.__all__ == sorted(ecsdeploy.__all__, key=str.lower)
    for name in ecsdeploy.__all__:
        assert hasattr(ecsdeploy, name), name


def test_version_comes_from_metadata() -> None:
    """The version is the installed distribution's, not a second hand-kept string."""
    assert ecsdeploy.__version__ == version("ecsdeploy")


def test_the_release_runner_does_not_depend_on_the_deployer() -> None:
    """The Deployer calls the release runner; the runner never imports the Deployer."""
    tree = ast.parse(inspect.getsource(ecsdeploy._release.runner))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "ecsdeploy._deployer" not in imported
    assert "ecsdeploy" not in imported
