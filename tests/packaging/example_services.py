"""Arranging services in a simulator and reading them back, for tests that run our scripts and
commands as subprocesses (the way users run them) against it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

REGION = "us-east-2"
#: Simulated seconds per wall second: a task starts in about 0.2 s of wall time.
SPEED = 100.0
#: Scripts poll this often (wall seconds) so a rollout is watched in a few ticks.
POLL_INTERVAL = "0.05"


def subprocess_environment(endpoint_url: str, *, region: str | None = REGION) -> dict[str, str]:
    """This process's environment with AWS pointed at the simulator and nothing inherited that
    could reach real AWS (profiles, credentials, instance metadata) or configure a plugin.
    `region=None` leaves AWS_REGION unset, as in a Drone step that does not set it."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PLUGIN_", "DRONE_"))
    }
    return {
        **inherited,
        **({"AWS_REGION": region} if region else {}),
        "AWS_ENDPOINT_URL_ECS": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def task_definition_request(family: str, images: Mapping[str, str]) -> dict[str, Any]:
    """RegisterTaskDefinition input: one essential container per `images` entry."""
    return {
        "family": family,
        "containerDefinitions": [
            {"name": name, "image": image, "essential": True, "memory": 128}
            for name, image in images.items()
        ],
    }


def service_request(cluster: str, service: str, task_definition: str) -> dict[str, Any]:
    """CreateService input: two tasks, rolled with room for a full second set."""
    return {
        "cluster": cluster,
        "serviceName": service,
        "taskDefinition": task_definition,
        "desiredCount": 2,
        "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200},
    }


def container_images(task_definition: Mapping[str, Any]) -> dict[str, str]:
    return {c["name"]: c["image"] for c in task_definition["containerDefinitions"]}


@dataclass
class ExampleServices:
    """Creates steady services in an in-process simulator and reads back what they run."""

    ecs: ECSClient
    sim: Simulator

    async def create_service(self, cluster: str, service: str, images: Mapping[str, str]) -> str:
        """Create `service` running `images` (container name → image), steady; its TD ARN."""
        await self.ecs.create_cluster(clusterName=cluster)
        registered = await self.ecs.register_task_definition(
            **task_definition_request(service, images)
        )
        arn = registered["taskDefinition"]["taskDefinitionArn"]
        await self.ecs.create_service(**service_request(cluster, service, arn))
        await self.sim.advance(600)
        return arn

    async def running(self, cluster: str, service: str) -> dict[str, str]:
        """Container name → image of the task definition the service runs now."""
        described = await self.ecs.describe_services(cluster=cluster, services=[service])
        arn = described["services"][0]["taskDefinition"]
        task_definition = await self.ecs.describe_task_definition(taskDefinition=arn)
        return container_images(task_definition["taskDefinition"])
