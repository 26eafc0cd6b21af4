"""The plugin image, built by `nox -s image`, run with podman against `ecsdeploy sim`.

These tests need images that only `nox -s image` builds (podman, qemu for arm64, root), so they
are collected only when it names them in ECSDEPLOY_TEST_IMAGES ("amd64=REF,arm64=REF"); the
plain test suite leaves them out rather than reporting them skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests._fixtures.simulator_process import SimulatedEcs, simulator_process
from tests.image.podman import ImageUnderTest, images_from

if not os.environ.get("ECSDEPLOY_TEST_IMAGES"):
    collect_ignore_glob = ["test_*.py"]

IMAGES = images_from(os.environ.get("ECSDEPLOY_TEST_IMAGES", ""))


@pytest.fixture(params=IMAGES, ids=[image.arch for image in IMAGES])
def image(request: pytest.FixtureRequest) -> ImageUnderTest:
    """Each built image in turn."""
    chosen: ImageUnderTest = request.param
    return chosen


@pytest.fixture(scope="session")
def simulated() -> Iterator[SimulatedEcs]:
    """`ecsdeploy sim` on the host; containers reach it through the host network. Slower than
    the other suites' simulators so that an emulated (arm64) plugin still polls every few
    simulated seconds."""
    with simulator_process(speed=50) as url:
        yield SimulatedEcs(url)
