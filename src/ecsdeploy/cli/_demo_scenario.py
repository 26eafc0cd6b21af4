"""The demo's story: four services on a local simulator, one new image that crashes.

Kept apart from the command so the scenario (what is created, what is deployed, what counts as
"behaved as designed") reads in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3

from ecsdeploy._models import Target
from ecsdeploy._release.model import Release, ReleaseResult, Stage
from ecsdeploy._taskdef.changes import ImageChange

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

__all__ = [
    "CLUSTER",
    "CRASH_RULE",
    "REGION",
    "SERVICES",
    "DemoService",
    "behaved",
    "create_services",
    "demo_release",
    "demo_session",
]

CLUSTER = "demo"
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class DemoService:
    name: str
    old_image: str
    new_image: str
    desired: int
    #: The state the demo expects this service to end in.
    expected: str


SERVICES: tuple[DemoService, ...] = (
    DemoService("api", "demo/api:1.0", "demo/api:1.1", 3, "SUCCEEDED"),
    DemoService("worker", "demo/worker:1.0", "demo/worker:1.1", 2, "SUCCEEDED"),
    DemoService("web", "demo/web:1.0", "demo/web:1.1", 2, "SUCCEEDED"),
    DemoService("payments", "demo/payments:1.0", "demo/payments:2.0", 2, "ROLLED_BACK"),
)

#: payments 2.0 exits 1 five seconds after it starts, every time.
CRASH_RULE: Mapping[str, Any] = {
    "image": "demo/payments:2.0",
    "behavior": "crash",
    "exit_code": 1,
    "after": 5,
}


def demo_session() -> aioboto3.Session:
    """Credentials the simulator accepts; nothing here can reach AWS."""
    return aioboto3.Session(
        aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION
    )


async def create_services(ecs: ECSClient) -> None:
    """A cluster with the demo's services, each steady on its old image."""
    await ecs.create_cluster(clusterName=CLUSTER)
    for service in SERVICES:
        registered = await ecs.register_task_definition(
            family=service.name,
            containerDefinitions=[
                {"name": service.name, "image": service.old_image, "essential": True, "memory": 256}
            ],
        )
        await ecs.create_service(
            cluster=CLUSTER,
            serviceName=service.name,
            taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
            desiredCount=service.desired,
            deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
        )


def demo_release() -> Release:
    """Every service in one stage, deployed at once. Not atomic: a service that fails is rolled
    back on its own and the ones that succeeded keep their new version."""
    targets = [Target(CLUSTER, s.name, [ImageChange(s.name, s.new_image)]) for s in SERVICES]
    return Release([Stage("all services", targets)], atomic=False, name="demo")


def behaved(result: ReleaseResult) -> list[str]:
    """How the release strayed from the story; empty when it behaved as designed."""
    states = {s.target.service: s.state for s in result.services}
    return [
        f"{s.name} ended {states.get(s.name, 'missing')}, expected {s.expected}"
        for s in SERVICES
        if states.get(s.name) != s.expected
    ]
