"""Running the plugin image with podman the way a Drone runner runs a plugin step."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: crun fails on this kind of machine's cgroup set-up; runc works.
PODMAN = ["podman", "--runtime", "runc"]


@dataclass(frozen=True)
class ImageUnderTest:
    arch: str
    reference: str

    def inspect(self) -> dict[str, Any]:
        completed = subprocess.run(
            [*PODMAN, "image", "inspect", self.reference],
            capture_output=True,
            text=True,
            check=True,
        )
        [inspected] = json.loads(completed.stdout)
        return dict(inspected)

    def start(self, environ: Mapping[str, str], *, name: str) -> subprocess.Popen[str]:
        """`podman run` of the image's entrypoint as container `name`, its output piped."""
        command = [*PODMAN, "run", "--rm", "--name", name, "--network=host", "--arch", self.arch]
        for key, value in environ.items():
            command += ["--env", f"{key}={value}"]
        command.append(self.reference)
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )

    def run(
        self,
        environ: Mapping[str, str] = {},
        *,
        entrypoint: Sequence[str] = (),
        timeout: float = 240,
    ) -> subprocess.CompletedProcess[str]:
        """`podman run` on the host network (where the simulator listens) with `environ`,
        the image's own entrypoint unless `entrypoint` (a command and its arguments) is given."""
        command = [*PODMAN, "run", "--rm", "--network=host", "--arch", self.arch]
        for name, value in environ.items():
            command += ["--env", f"{name}={value}"]
        if entrypoint:
            command += ["--entrypoint", entrypoint[0], self.reference, *entrypoint[1:]]
        else:
            command.append(self.reference)
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def images_from(spec: str) -> list[ImageUnderTest]:
    """ECSDEPLOY_TEST_IMAGES: "amd64=REF,arm64=REF"."""
    images = []
    for item in spec.split(","):
        if item.strip():
            arch, _, reference = item.strip().partition("=")
            images.append(ImageUnderTest(arch, reference))
    return images
