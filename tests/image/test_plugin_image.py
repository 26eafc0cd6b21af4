"""The Drone plugin image for each architecture: what it is, and that it deploys.

Each test runs the image with podman (arm64 under qemu) against `ecsdeploy sim` on the host,
with the PLUGIN_* settings Drone would pass.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib.metadata import version

import pytest

from tests._fixtures.simulator_process import CLUSTER, REGION, SimulatedEcs, results
from tests.image.podman import PODMAN, ImageUnderTest

#: `uname -m` for each image architecture.
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}
#: What ecsdeploy and its dependencies may add to the base image.
ADDED_BYTES_BUDGET = 120 * 1024 * 1024

pytestmark = pytest.mark.timeout(600)


def plugin_environment(simulated: SimulatedEcs, service: str, image: str) -> dict[str, str]:
    """A drone-deploy-ecs step's settings, the simulator as endpoint, a runner's credentials."""
    return {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_SERVICE": service,
        "PLUGIN_CONTAINER": "nginx",
        "PLUGIN_IMAGE": image,
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "PLUGIN_POLL_INTERVAL": "0.2",
        "PLUGIN_TIMEOUT": "120",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def test_a_good_deploy_exits_0(image: ImageUnderTest, simulated: SimulatedEcs) -> None:
    """The plugin deploys the new image and exits 0."""
    service = simulated.create_service(f"img-good-{image.arch}")
    new = f"myorg/nginx:2.0-{image.arch}"

    completed = image.run(plugin_environment(simulated, service, new))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert simulated.image(service) == new
    assert [r["outcome"] for r in results(completed.stdout)] == ["SUCCEEDED"]


def test_a_crashing_image_exits_1_with_the_stop_reason(
    image: ImageUnderTest, simulated: SimulatedEcs
) -> None:
    """The new image crashes: rolled back, exit 1, the containers' stop reason in the log."""
    service = simulated.create_service(f"img-crash-{image.arch}")
    crashing = f"myorg/nginx:crash-{image.arch}"
    simulated.add_rule({"image": crashing, "behavior": "crash", "exit_code": 1, "after": 5})

    completed = image.run(plugin_environment(simulated, service, crashing))

    assert completed.returncode == 1, completed.stdout + completed.stderr
    [result] = results(completed.stdout)
    assert result["outcome"] == "ROLLED_BACK"
    assert "Essential container in task exited (nginx: exit 1)" in result["reason"]
    assert simulated.image(service) == "myorg/nginx:1.0"


def test_a_bad_setting_exits_2_and_changes_nothing(
    image: ImageUnderTest, simulated: SimulatedEcs
) -> None:
    """`max_deploy_checks: abc` is refused with exit 2 and a reason; the service is untouched."""
    service = simulated.create_service(f"img-bad-{image.arch}")
    environment = plugin_environment(simulated, service, "myorg/nginx:3.0")

    completed = image.run({**environment, "PLUGIN_MAX_DEPLOY_CHECKS": "abc"})

    assert completed.returncode == 2
    assert "setting max_deploy_checks: 'abc' is not a whole number" in completed.stderr
    assert simulated.image(service) == "myorg/nginx:1.0"


def test_a_stopped_container_rolls_back_and_exits_3(
    image: ImageUnderTest, simulated: SimulatedEcs
) -> None:
    """`podman stop` (SIGTERM, as a Kubernetes runner's pod deletion) mid-watch: the plugin, PID 1,
    rolls the service back before it exits 3."""
    # Drone's docker runner cancels with SIGKILL instead, which nothing can outlive.
    service = simulated.create_service(f"img-stop-{image.arch}")
    never_ready = f"myorg/nginx:never-ready-{image.arch}"
    simulated.add_rule({"image": never_ready, "behavior": "slow_start", "seconds": 36000})
    name = f"ecsdeploy-stop-test-{image.arch}-{os.getpid()}"
    environment = plugin_environment(simulated, service, never_ready) | {"PLUGIN_TIMEOUT": "3600"}

    process = image.start(environment, name=name)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{") and json.loads(line).get("phase") == "WATCH":
                break
        subprocess.run([*PODMAN, "stop", "--time", "60", name], capture_output=True, check=True)
        rest, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 3, errors
    assert "interrupted by SIGTERM" in errors
    assert simulated.image(service) == "myorg/nginx:1.0"
    assert "ROLLED_BACK" in [json.loads(line).get("phase") for line in rest.splitlines()]


def test_runs_as_a_non_root_user(image: ImageUnderTest) -> None:
    """The image's user is 10001, and a process inside really runs with that uid."""
    assert image.inspect()["Config"]["User"] == "10001"
    completed = image.run(entrypoint=["id", "-u"])
    assert (completed.returncode, completed.stdout.strip()) == (0, "10001")


def test_version_inside_matches_the_package(image: ImageUnderTest) -> None:
    """`ecsdeploy --version` in the image is this checkout's version, also its label."""
    completed = image.run(entrypoint=["ecsdeploy", "--version"])
    assert completed.stdout.strip() == f"ecsdeploy, version {version('ecsdeploy')}"
    labels = image.inspect()["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == version("ecsdeploy")


def test_is_built_for_its_architecture(image: ImageUnderTest) -> None:
    """The image says its architecture, and the Python inside runs as that machine."""
    assert image.inspect()["Architecture"] == image.arch
    completed = image.run(
        entrypoint=["python3", "-c", "import platform; print(platform.machine())"]
    )
    assert completed.stdout.strip() == MACHINES[image.arch]


def test_adds_little_to_its_base_image(image: ImageUnderTest) -> None:
    """ecsdeploy's layers (its venv and user) stay within budget; the size is printed."""
    inspected = image.inspect()
    base = inspected["Config"]["Labels"]["org.opencontainers.image.base.name"]
    completed = ImageUnderTest(image.arch, base).inspect()
    added = inspected["Size"] - completed["Size"]
    print(f"{image.reference}: {inspected['Size'] / 2**20:.0f} MiB, {added / 2**20:.0f} MiB added")
    assert 0 < added < ADDED_BYTES_BUDGET
