"""Fixtures for deployment tests: a simulator on a fast clock, a Deployer talking HTTP to it, and a
helper that creates a steady service to deploy to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
import pytest
from botocore.config import Config

from ecsdeploy import Deployer, DeploySettings, RetryPolicy
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

REGION = "us-east-2"
CLUSTER = "dev-ecs-cluster"
#: Simulated seconds per wall second: a 5 s poll interval is 0.05 s of wall time.
SPEED = 100.0
POLL = 0.05


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=SPEED, seed=11) as simulator:
        yield simulator


def session() -> aioboto3.Session:
    return aioboto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


@pytest.fixture
async def ecs(sim: Simulator) -> AsyncIterator[ECSClient]:
    """A plain client to the simulator, for arranging and inspecting state."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    async with session().client(
        "ecs", endpoint_url=sim.endpoint_url, region_name=REGION, config=config
    ) as client:
        yield client


@pytest.fixture
async def deployer(sim: Simulator) -> AsyncIterator[Deployer]:
    settings = DeploySettings(timeout=30, poll_interval=POLL, rollback_timeout=30)
    async with Deployer(
        session=session(),
        region=REGION,
        endpoint_url=sim.endpoint_url,
        settings=settings,
        retry=RetryPolicy.fast(),
    ) as deployer:
        yield deployer


@dataclass
class Services:
    """Creates services in the simulator and reads their state back."""

    ecs: ECSClient
    sim: Simulator

    async def create(
        self,
        name: str = "webapp",
        *,
        image: str = "myorg/nginx:1.0",
        desired: int = 2,
        breaker: bool = False,
        breaker_rollback: bool = True,
        controller: str = "ECS",
        cluster: str = CLUSTER,
        environment: list[dict[str, str]] | None = None,
        extra_containers: list[dict[str, Any]] | None = None,
        minimum_healthy: int = 100,
        maximum: int = 200,
        health_check: dict[str, Any] | None = None,
        alarms: dict[str, Any] | None = None,
    ) -> str:
        """Create a steady service running `image` in container "nginx"; return its task def ARN.

        `health_check` becomes the container's `healthCheck` (ECS only finds a task unhealthy,
        and the simulator's `unhealthy` rule only bites, when the container defines one).
        `alarms` becomes `deploymentConfiguration.alarms` (CloudWatch alarms ECS watches)."""
        await self.ecs.create_cluster(clusterName=cluster)
        containers: list[Any] = [
            {
                "name": "nginx",
                "image": image,
                "essential": True,
                "memory": 128,
                "environment": environment or [],
                **({"healthCheck": health_check} if health_check else {}),
            },
            *(extra_containers or []),
        ]
        registered = await self.ecs.register_task_definition(
            family=name, containerDefinitions=containers, tags=[{"key": "team", "value": "web"}]
        )
        arn = registered["taskDefinition"]["taskDefinitionArn"]
        configuration: Any = {
            "deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker_rollback},
            "minimumHealthyPercent": minimum_healthy,
            "maximumPercent": maximum,
            **({"alarms": alarms} if alarms else {}),
        }
        await self.ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=arn,
            desiredCount=desired,
            deploymentController={"type": controller},  # type: ignore[typeddict-item]
            deploymentConfiguration=configuration,
        )
        await self.sim.advance(600)
        return arn

    async def describe(self, name: str = "webapp", cluster: str = CLUSTER) -> dict[str, Any]:
        response = await self.ecs.describe_services(cluster=cluster, services=[name])
        return dict(response["services"][0])

    async def task_definition(self, name: str = "webapp", cluster: str = CLUSTER) -> str:
        return str((await self.describe(name, cluster))["taskDefinition"])

    async def revisions(self, family: str = "webapp") -> list[str]:
        response = await self.ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")
        return list(response["taskDefinitionArns"])


@pytest.fixture
def services(ecs: ECSClient, sim: Simulator) -> Services:
    return Services(ecs, sim)
