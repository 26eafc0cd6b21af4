"""Two target accounts and three regions on one simulator: roles to deploy with, and services
arranged and read back in each (account, region) with that account's own STS credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from ecsdeploy import Deployer, DeploySettings
from ecsdeploy._aws_session import new_session
from ecsdeploy._credentials import DEFAULT_SESSION_SECONDS
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import POLL_INTERVAL, REGION, EcsServices, offline_session

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

ACCOUNT_A = "210987654321"
ACCOUNT_B = "345678901234"
ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/ecsdeploy"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/ecsdeploy"
#: The first is the canary region; all three are the simulator's, state kept apart.
REGIONS = ("us-east-2", "eu-west-1", "ap-southeast-2")
DEFAULT_ACCOUNT = "123456789012"

_ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@asynccontextmanager
async def ecs_in(sim: Simulator, role_arn: str | None, region: str) -> AsyncIterator[ECSClient]:
    """An ECS client for `region` of the role's account (the default account without a role),
    signing with that account's credentials (`Simulator.client_kwargs(account=...)`)."""
    account = role_arn.split(":")[4] if role_arn else None
    kwargs = sim.client_kwargs(region_name=region, account=account)
    async with new_session().client("ecs", config=_ONE_ATTEMPT, **kwargs) as ecs:
        yield ecs


@asynccontextmanager
async def deployer_to(
    endpoint_url: str, *, role_session_seconds: int = DEFAULT_SESSION_SECONDS
) -> AsyncIterator[Deployer]:
    """A Deployer whose ECS and STS are both at `endpoint_url` (the simulator, or a proxy in
    front of it): 60 s to deploy and to roll back, polling every POLL_INTERVAL, fast retries."""
    settings = DeploySettings(timeout=60, poll_interval=POLL_INTERVAL, rollback_timeout=60)
    async with Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=endpoint_url,
        sts_endpoint_url=endpoint_url,
        settings=settings,
        retry=RetryPolicy.fast(),
        role_session_seconds=role_session_seconds,
    ) as deployer:
        yield deployer


async def create_service(
    sim: Simulator, role_arn: str | None, region: str, name: str = "web", **options: Any
) -> str:
    """A steady service `name` (container "nginx" on myorg/nginx:1.0) in the role's account and
    `region`; its task definition ARN."""
    async with ecs_in(sim, role_arn, region) as ecs:
        return await EcsServices(ecs, sim).create(name, **options)


async def service_in(
    sim: Simulator, role_arn: str | None, region: str, name: str = "web"
) -> dict[str, Any]:
    """The service as DescribeServices shows it in the role's account and `region`."""
    async with ecs_in(sim, role_arn, region) as ecs:
        return await EcsServices(ecs, sim).describe(name)


async def image_in(sim: Simulator, role_arn: str | None, region: str, name: str = "web") -> str:
    """The "nginx" image of the revision the service runs now."""
    async with ecs_in(sim, role_arn, region) as ecs:
        arn = await EcsServices(ecs, sim).task_definition(name)
        described = await ecs.describe_task_definition(taskDefinition=arn)
    return str(described["taskDefinition"]["containerDefinitions"][0]["image"])


async def revisions_in(
    sim: Simulator, role_arn: str | None, region: str, family: str = "web"
) -> list[str]:
    """The family's ACTIVE revisions in the role's account and `region`."""
    async with ecs_in(sim, role_arn, region) as ecs:
        return await EcsServices(ecs, sim).revisions(family)
