"""The pytest fixtures of `ecsdeploy.testing`: a running simulator, a client to arrange it, a
steady service to deploy to, and a Deployer pointed at the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
import pytest
from botocore.config import Config

from ecsdeploy._aws_session import new_session
from ecsdeploy._deployer import Deployer
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

__all__ = [
    "CLUSTER",
    "POLL_INTERVAL",
    "REGION",
    "SPEED",
    "EcsServices",
    "anyio_backend",
    "ecs_client",
    "ecs_deployer",
    "ecs_services",
    "ecs_simulator",
    "offline_session",
]

REGION = "us-east-2"
CLUSTER = "dev-ecs-cluster"
#: Simulated seconds per wall-clock second: ECS's minutes of rollout pass in a fraction of one.
SPEED = 1000.0
#: The Deployer's poll interval in wall seconds: five simulated seconds at SPEED.
POLL_INTERVAL = 5.0 / SPEED

# One attempt per call: a test sees each error the simulator sends, not botocore's retries.
_ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def offline_session() -> aioboto3.Session:
    """An aioboto3 Session with dummy credentials and REGION: all a simulator client needs."""
    return new_session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


@pytest.fixture
def anyio_backend() -> str:
    """aiobotocore runs on asyncio only (a conftest.py fixture of the same name wins)."""
    return "asyncio"


@pytest.fixture
async def ecs_simulator() -> AsyncIterator[Simulator]:
    """A simulator on a fast clock (SPEED), on a free loopback port, stopped afterwards.

    It keeps an hour of service answers, so a stale-read rule added mid-test answers with what
    ECS said before it."""
    async with Simulator(speed=SPEED, seed=11, stale_history=3600) as simulator:
        yield simulator


@pytest.fixture
async def ecs_client(ecs_simulator: Simulator) -> AsyncIterator[ECSClient]:
    """An aioboto3 ECS client to the simulator (one attempt per call), for arranging state."""
    async with offline_session().client(
        "ecs", endpoint_url=ecs_simulator.endpoint_url, region_name=REGION, config=_ONE_ATTEMPT
    ) as client:
        yield client


@pytest.fixture
async def ecs_deployer(ecs_simulator: Simulator) -> AsyncIterator[Deployer]:
    """An open Deployer talking HTTP to the simulator, polling every five simulated seconds."""
    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=30)
    async with Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=ecs_simulator.endpoint_url,
        settings=settings,
        retry=RetryPolicy.fast(),
    ) as deployer:
        yield deployer


@dataclass
class EcsServices:
    """Creates steady services in the simulator and reads their state back."""

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
        environment: Sequence[dict[str, str]] = (),
        extra_containers: Sequence[dict[str, Any]] = (),
        minimum_healthy: int = 100,
        maximum: int = 200,
        health_check: dict[str, Any] | None = None,
        alarms: dict[str, Any] | None = None,
    ) -> str:
        """Create a steady service running `image` in container "nginx"; its task definition ARN.

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
                "environment": list(environment),
                **({"healthCheck": health_check} if health_check else {}),
            },
            *extra_containers,
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
        """The service as DescribeServices shows it now."""
        response = await self.ecs.describe_services(cluster=cluster, services=[name])
        return dict(response["services"][0])

    async def task_definition(self, name: str = "webapp", cluster: str = CLUSTER) -> str:
        """The ARN of the revision the service runs now."""
        return str((await self.describe(name, cluster))["taskDefinition"])

    async def revisions(self, family: str = "webapp") -> list[str]:
        """The family's ACTIVE revisions, oldest first."""
        response = await self.ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")
        return list(response["taskDefinitionArns"])


@pytest.fixture
def ecs_services(ecs_client: ECSClient, ecs_simulator: Simulator) -> EcsServices:
    """`EcsServices` over the simulator: `await ecs_services.create("web")` and so on."""
    return EcsServices(ecs_client, ecs_simulator)
