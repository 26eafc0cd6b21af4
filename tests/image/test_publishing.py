"""The README's recipe for publishing images built with podman, run on the images just built."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from tests.image.podman import images_from

README = Path(__file__).resolve().parents[2] / "README.md"
#: The recipe's own names for the list and for the images `nox -s image` builds.
PUBLISHED = "ecsdeploy/ecsdeploy-drone:0.1.0"
BUILT = re.compile(r"localhost/ecsdeploy-drone:[\w.]+-(amd64|arm64)")


def manifest_commands() -> list[str]:
    """The `podman manifest` lines of the README's publishing recipe."""
    section = README.read_text().split("### Building and publishing the plugin image", 1)[1]
    return [
        line.strip()
        for line in section.split("\n## ", 1)[0].splitlines()
        if line.startswith("podman manifest ")
    ]


def test_the_readmes_manifest_recipe_joins_the_built_images() -> None:
    """`podman manifest create` + `add` as the README says (not `push`): a list of every arch."""
    images = images_from(os.environ.get("ECSDEPLOY_TEST_IMAGES", ""))
    built = {image.arch: image.reference for image in images}
    manifest = f"localhost/ecsdeploy-manifest-test:{os.getpid()}"
    commands = manifest_commands()
    assert [c.split()[2] for c in commands] == ["create", "add", "add", "push"]
    try:
        for written in commands[:-1]:
            match = BUILT.search(written)
            if match and match.group(1) not in built:
                continue  # `nox -s image -- ARCH` built only one architecture
            command = written.replace(match.group(0), built[match.group(1)]) if match else written
            argv = shlex.split(command.replace(PUBLISHED, manifest))
            completed = subprocess.run(argv, capture_output=True, text=True, check=False)
            assert completed.returncode == 0, f"{command}: {completed.stderr}"
        inspected = subprocess.run(
            ["podman", "manifest", "inspect", manifest],
            capture_output=True,
            text=True,
            check=True,
        )
        architectures = re.findall(r'"architecture":\s*"(\w+)"', inspected.stdout)
        assert sorted(architectures) == sorted(built)
    finally:
        subprocess.run(["podman", "manifest", "rm", manifest], capture_output=True, check=False)
