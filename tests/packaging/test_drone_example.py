"""examples/.drone.yml works as written: each step, handed to `ecsdeploy-drone` the way Drone
hands it over, deploys what the step says to `ecsdeploy sim` running as a separate process.

What Drone does, reproduced here: it substitutes `${DRONE_*}` in the file's text, passes each
step's `environment` (secrets resolved) and turns each of its `settings` into a `PLUGIN_<NAME>`
variable, joining lists with commas. The plugin runs in the cloned repository.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsdeploy import ImageChange
from ecsdeploy._release.file import load_release
from tests._fixtures.simulator_process import SPEED, SimulatedEcs
from tests.packaging.commands import console_script
from tests.packaging.example_services import (
    container_images,
    service_request,
    subprocess_environment,
    task_definition_request,
)

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "examples" / ".drone.yml"
DRONE_VARIABLES = {
    "DRONE_COMMIT_SHA": "3f9c2a17e4b85d06c1a29f7be0d4c5e6a7b8c9d0",
    "DRONE_BRANCH": "main",
    "DRONE_BUILD_NUMBER": "42",
}
#: The one variable that is not from the file. The simulator runs SPEED times faster than the
#: wall clock, so this keeps the plugin's cadence: one check per simulated 10 s.
SIMULATOR_PACE = {"PLUGIN_POLL_INTERVAL": str(round(10 / SPEED, 3))}
OLD_IMAGE = "myorg/previous:1.0"


def drone_substitute(text: str, variables: Mapping[str, str]) -> str:
    """Drone's `${NAME}` substitution over the raw file, before YAML parsing."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in variables, f"the pipeline uses ${{{name}}}, which Drone does not set"
        return variables[name]

    return re.sub(r"\$\{(DRONE_\w+)\}", value, text)


def pipeline_steps() -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all(drone_substitute(PIPELINE.read_text(), DRONE_VARIABLES))
    pipelines = [d for d in documents if d and d.get("kind") == "pipeline"]
    return {step["name"]: step for pipeline in pipelines for step in pipeline["steps"]}


def drone_encode(value: Any) -> str:
    """How Drone writes one setting into an environment variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        return ",".join(drone_encode(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def plugin_environment(step: Mapping[str, Any]) -> dict[str, str]:
    """The step's `environment` (secrets left to the test's fake credentials) and settings."""
    environment = {
        name: str(value)
        for name, value in step.get("environment", {}).items()
        if not isinstance(value, dict)
    }
    for name, value in step.get("settings", {}).items():
        environment[f"PLUGIN_{name.upper()}"] = drone_encode(value)
    return environment


@dataclass(frozen=True)
class ExpectedService:
    """A service a step deploys, and the images its containers must run afterwards."""

    region: str
    cluster: str
    service: str
    images: Mapping[str, str]


def expected_from_settings(settings: Mapping[str, Any]) -> list[ExpectedService]:
    """Read the step's settings as a drone-deploy-ecs user means them."""
    services = settings["service"]
    names = services if isinstance(services, list) else services.split(",")
    images = dict(item.split("=", 1) for item in settings.get("images", []))
    if "container" in settings:
        images[settings["container"]] = settings["image"]
    return [
        ExpectedService(settings["aws_region"], settings["cluster"], name.strip(), images)
        for name in names
    ]


def expected_from_release_file(
    settings: Mapping[str, Any], environ: Mapping[str, str]
) -> list[ExpectedService]:
    """Every service of the release file, read with the environment the plugin gets."""
    release = load_release(ROOT / settings["release_file"], environ=environ)
    return [
        ExpectedService(
            target.region or settings["aws_region"],
            target.cluster,
            target.service,
            {c.container: c.image for c in target.changes if isinstance(c, ImageChange)},
        )
        for target in release.targets
    ]


def create(simulated: SimulatedEcs, expected: ExpectedService) -> None:
    """The service, steady, with every container the step changes on an older image."""
    ecs = simulated.ecs_in(expected.region)
    ecs.create_cluster(clusterName=expected.cluster)
    old = dict.fromkeys(expected.images, OLD_IMAGE)
    registered = ecs.register_task_definition(**task_definition_request(expected.service, old))
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(**service_request(expected.cluster, expected.service, arn))


def running(simulated: SimulatedEcs, expected: ExpectedService) -> dict[str, str]:
    """Container name → image of the revision the service runs now."""
    ecs = simulated.ecs_in(expected.region)
    described = ecs.describe_services(cluster=expected.cluster, services=[expected.service])
    arn = described["services"][0]["taskDefinition"]
    return container_images(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])


STEPS = pipeline_steps()


def test_the_first_step_is_a_drone_deploy_ecs_step() -> None:
    """Users of drone-deploy-ecs recognise the first step: only its settings, no new ones."""
    original = {
        "mode",
        "aws_region",
        "cluster",
        "service",
        "container",
        "image",
        "max_deploy_checks",
    }
    first = next(iter(STEPS.values()))
    assert set(first["settings"]) <= original
    assert first["settings"]["image"].endswith(DRONE_VARIABLES["DRONE_COMMIT_SHA"])


@pytest.mark.parametrize("step_name", list(STEPS))
def test_step_deploys_what_it_says(simulated: SimulatedEcs, step_name: str) -> None:
    """`ecsdeploy-drone` exits 0 and every service the step names runs the step's images."""
    step = STEPS[step_name]
    environment = {
        **subprocess_environment(simulated.url, region=None),
        **DRONE_VARIABLES,
        **plugin_environment(step),
        **SIMULATOR_PACE,
    }
    settings = step["settings"]
    expected = (
        expected_from_release_file(settings, environment)
        if "release_file" in settings
        else expected_from_settings(settings)
    )
    assert expected
    for service in expected:
        create(simulated, service)
    simulated.advance(600)

    completed = subprocess.run(
        [console_script("ecsdeploy-drone")],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for service in expected:
        assert running(simulated, service) == dict(service.images), service
