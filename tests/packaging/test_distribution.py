"""The release artifacts: an sdist and a wheel, built offline, that install into a fresh venv
and run `ecsdeploy demo`.

Built as a release would be: the sdist from the checkout, the wheel from the unpacked sdist
(as pip builds from an sdist), both with the project's own build backend and no network. The
fresh venv resolves and installs the wheel's dependencies: with `uv pip install --offline` from
the packages this machine already downloaded for the test environment when nox made its venvs
with uv, otherwise with the venv's own pip from the machine's package index (as nox did).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]


def build(hook: str, source: Path, destination: Path) -> Path:
    """Run the build backend's PEP 517 `hook` in `source`, as a build frontend does."""
    code = f"import sys, hatchling.build as backend; print(backend.{hook}(sys.argv[1]))"
    completed = subprocess.run(
        [sys.executable, "-c", code, str(destination)],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return destination / completed.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("build_sdist", ROOT, tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    [source] = unpacked.iterdir()
    return build("build_wheel", source, tmp_path_factory.mktemp("wheel"))


def test_artifacts_are_named_with_the_one_version(sdist: Path, wheel: Path) -> None:
    """Both file names carry pyproject's version, which is also the installed one."""
    assert sdist.name == f"ecsdeploy-{PROJECT['version']}.tar.gz"
    assert wheel.name == f"ecsdeploy-{PROJECT['version']}-py3-none-any.whl"
    assert version("ecsdeploy") == PROJECT["version"]


def test_sdist_holds_the_sources_tests_and_changelog(sdist: Path) -> None:
    """The sdist rebuilds the package and carries its tests, licence and changelog."""
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "src/ecsdeploy/__init__.py",
        "src/ecsdeploy/py.typed",
        "tests/__init__.py",
    }
    assert expected <= names
    assert not [n for n in names if n.startswith((".nox/", ".git/")) or n.endswith(".pyc")]


def test_wheel_declares_the_commands_and_the_dependencies(wheel: Path) -> None:
    """The wheel's metadata has both console scripts and every dependency pyproject names."""
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        [entry_points] = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        requires = [
            line.removeprefix("Requires-Dist: ")
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ") and "extra ==" not in line
        ]
        scripts = archive.read(entry_points).decode()
    assert sorted(str(Requirement(r)) for r in requires) == sorted(
        str(Requirement(d)) for d in PROJECT["dependencies"]
    )
    for command in PROJECT["scripts"]:
        assert f"{command} = " in scripts


def test_wheel_installs_in_a_fresh_venv_and_runs_the_demo(wheel: Path, tmp_path: Path) -> None:
    """A new venv with only the wheel (and what it depends on) runs `ecsdeploy demo`: exit 0,
    and the demo's services end as designed."""
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    _install_into_fresh_venv(venv, wheel, environment)
    installed = subprocess.run(
        [str(python), "-c", "import ecsdeploy, sys; print(ecsdeploy.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(installed).is_relative_to(venv)

    demo = subprocess.run(
        [str(venv / "bin" / "ecsdeploy"), "demo", "--speed", "100", "--log-format", "json"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=environment,
    )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    outcomes = {
        line["service"]: line["outcome"]
        for line in map(json.loads, demo.stdout.splitlines())
        if line.get("event") == "ecsdeploy.release.service"
    }
    assert outcomes == {
        "api": "SUCCEEDED",
        "worker": "SUCCEEDED",
        "web": "SUCCEEDED",
        "payments": "ROLLED_BACK",
        "storefront": "ROLLED_BACK",
    }


def _install_into_fresh_venv(venv: Path, wheel: Path, environment: dict[str, str]) -> None:
    """Make `venv` and install `wheel` with its dependencies into it, as a user would."""
    uv = shutil.which("uv")
    if uv is not None:
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        command = [
            uv,
            "pip",
            "install",
            "--quiet",
            "--offline",
            "--python",
            str(venv / "bin" / "python"),
        ]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*command, str(wheel)], check=True, env=environment)
