"""The import graph the README's Architecture section draws: fronts are siblings over a shared
front layer, the library never imports a front or the simulator, and no module imports itself
back through others."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ecsdeploy

SOURCE = Path(ecsdeploy.__file__).parent
FRONTS = ("ecsdeploy.cli", "ecsdeploy.drone", "ecsdeploy.github")
#: What the library proper (Deployer and everything under it) must never import.
OUTSIDE_THE_LIBRARY = (*FRONTS, "ecsdeploy._front", "ecsdeploy.sim", "ecsdeploy.testing")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module, module: str, *, is_package: bool) -> Iterator[str]:
    """Modules imported when `module` is imported (not under TYPE_CHECKING, not in functions)."""
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SOURCE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _top_level_imports(tree, name, is_package=path.name == "__init__.py")
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_no_front_imports_another_fronts_modules() -> None:
    """The CLI and the Drone plugin share the front layer, never each other's modules."""
    crossings = [
        (module, target)
        for module, targets in _graph().items()
        for target in targets
        for front in FRONTS
        if _inside(target, front) and not _inside(module, front)
    ]
    assert crossings == []


#: What the front layer does once for every front, by what doing it again would import.
DONE_BY_THE_FRONT_LAYER = {
    "botocore.utils.validate_region_name": "region checks (_front.aws)",
    "botocore.utils.is_valid_endpoint_url": "endpoint checks (_front.aws)",
    "ecsdeploy._region.region_from_environment": "region resolution (_front.aws)",
    "ecsdeploy._result.exit_code_of": "exit codes (_result.exit_code_of_all, _front.errors)",
    "ecsdeploy._taskdef.changes.parse_image_change": "CI image settings (_front.values)",
}


def _front_imports() -> Iterator[tuple[str, str]]:
    """(front module, what it imports at its top level) for every module of every front."""
    for path in SOURCE.rglob("*.py"):
        module = _module_name(path)
        if any(_inside(module, front) for front in FRONTS):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for target in _top_level_imports(tree, module, is_package=path.name == "__init__.py"):
                yield module, target


def test_no_front_redoes_what_the_front_layer_does() -> None:
    """Region and endpoint checks, exit codes and CI image settings live in _front alone (the
    CLI's --image goes through click to the library's parser: no CI settings to read)."""
    redone = sorted(
        (module, DONE_BY_THE_FRONT_LAYER[target])
        for module, target in _front_imports()
        if target in DONE_BY_THE_FRONT_LAYER
        and not (module == "ecsdeploy.cli._deploy" and target.endswith("parse_image_change"))
    )
    assert redone == []


def test_every_front_maps_errors_to_exit_codes_through_the_front_layer() -> None:
    """The CLI, the Drone plugin and the GitHub Action each import _front.errors."""
    users = {
        front
        for module, target in _front_imports()
        for front in FRONTS
        if _inside(module, front) and _inside(target, "ecsdeploy._front.errors")
    }
    assert users == set(FRONTS)


def test_the_library_imports_no_front_and_no_simulator() -> None:
    """Deployer and everything under it import neither a front nor the simulator."""
    library = {
        module: targets
        for module, targets in _graph().items()
        if not any(_inside(module, outside) for outside in OUTSIDE_THE_LIBRARY)
    }
    crossings = [
        (module, target)
        for module, targets in library.items()
        for target in targets
        if any(_inside(target, outside) for outside in OUTSIDE_THE_LIBRARY)
    ]
    assert sorted(library) != []
    assert crossings == []


def test_the_simulator_imports_nothing_of_the_library_or_its_fronts() -> None:
    """The simulator stands alone: any ECS client can use it, ecsdeploy included."""
    crossings = [
        (module, target)
        for module, targets in _graph().items()
        if _inside(module, "ecsdeploy.sim") and module != "ecsdeploy.sim.__main__"
        for target in targets
        # _public only sets __module__ on exports; it imports nothing of ecsdeploy.
        if not _inside(target, "ecsdeploy.sim") and target != "ecsdeploy._public"
    ]
    assert crossings == []


def test_module_imports_have_no_cycles() -> None:
    """Importing any module never runs into a module that is still being imported."""
    graph = _graph()
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            # A package importing its own submodules is how re-exports work, not a cycle.
            if not _inside(target, module):
                visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []
