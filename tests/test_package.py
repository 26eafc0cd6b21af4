"""The package's public surface: what is exported, from where, and nothing else."""

from __future__ import annotations

import ast
import importlib
import inspect
import types
import typing
from importlib.metadata import version

import pytest

import ecsdeploy
import ecsdeploy._release.runner

#: The modules a user imports from; everything else is private (a leading underscore).
PUBLIC_MODULES = [
    "ecsdeploy",
    "ecsdeploy.checks",
    "ecsdeploy.exceptions",
    "ecsdeploy.sim",
    "ecsdeploy.testing",
]


def _public_names(module: types.ModuleType) -> set[str]:
    """Names a user would find in the module: not private, not a submodule, not a future flag."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | type(annotations_flag))
    }


annotations_flag = __import__("__future__").annotations


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    """Every name in __all__ exists, and __all__ is sorted so additions are easy to review."""
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__, key=str.lower)
    for exported in module.__all__:
        assert hasattr(module, exported), exported


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_names_every_public_name_and_nothing_else(name: str) -> None:
    """A public name missing from __all__ is a leak; one in __all__ but private is a mistake."""
    module = importlib.import_module(name)
    exported = {n for n in module.__all__ if not n.startswith("__")}
    submodules = {n for n in exported if isinstance(getattr(module, n), types.ModuleType)}
    assert _public_names(module) == exported - submodules


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_exported_classes_and_functions_live_in_a_public_module(name: str) -> None:
    """`repr`, tracebacks and docs show `ecsdeploy.Target`, never `ecsdeploy._models.Target`."""
    module = importlib.import_module(name)
    leaks = {
        exported: value.__module__
        for exported in module.__all__
        if (value := getattr(module, exported))
        and (inspect.isclass(value) or inspect.isfunction(value))
        and any(part.startswith("_") for part in value.__module__.split("."))
    }
    assert leaks == {}


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


@pytest.mark.parametrize("name", [m for m in PUBLIC_MODULES if m != "ecsdeploy.testing"])
def test_exported_classes_keep_resolvable_type_hints(name: str) -> None:
    """Moving `__module__` to the public module leaves `typing.get_type_hints` working on every
    exported class (pydantic, cattrs and documentation tools resolve them)."""
    module = importlib.import_module(name)
    unresolvable: dict[str, str] = {}
    for exported in module.__all__:
        value = getattr(module, exported)
        if inspect.isclass(value):
            try:
                typing.get_type_hints(value)
            except NameError as exc:
                unresolvable[exported] = str(exc)
    assert unresolvable == {}
