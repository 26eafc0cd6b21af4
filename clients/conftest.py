"""Fixtures for the third-party clients suite (`nox -s clients`).

The clients (the AWS CLI, boto3, fabfuel's ecs-deploy, the JavaScript SDK v3) pin a current
botocore that cannot share a virtualenv with aioboto3's, so `nox -s clients` installs them into
a tools virtualenv of their own and node modules into a directory of their own, and names them
in ``ECSDEPLOY_CLIENTS_BIN`` and ``ECSDEPLOY_CLIENTS_NODE_MODULES``. The simulator runs in this
test process; each client is a subprocess pointed at it through ``AWS_ENDPOINT_URL_ECS``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aioboto3
import anyio
import pytest
from botocore.config import Config

from ecsdeploy.sim import Simulator, Timings

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

CLUSTER = "prod"
SERVICE = "web"
GOOD = "myorg/web:2"
CRASHING = "myorg/web:crash"


def _required(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        pytest.fail(f"{variable} is not set: run this suite with `nox -s clients`")
    return Path(value)


@pytest.fixture(scope="session")
def tools_bin() -> Path:
    """The bin directory of the tools virtualenv (aws, python with boto3, ecs)."""
    return _required("ECSDEPLOY_CLIENTS_BIN")


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """node_modules holding @aws-sdk/client-ecs; the JS tests need node and npm on the machine
    (`nox -s clients` installs the SDK only where both are; Debian's nodejs comes without npm)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node or npm is not installed on this machine")
    return _required("ECSDEPLOY_CLIENTS_NODE_MODULES")


def client_env(sim: Simulator, **extra: str) -> dict[str, str]:
    """A client's environment: the simulator's endpoint, dummy credentials, no user config."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_ECS=sim.endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        **extra,
    )
    return env


@dataclass
class Scenario:
    """One of the three deployments every client is run against."""

    name: str
    image: str
    breaker: bool


GOOD_DEPLOY = Scenario("good deploy", GOOD, breaker=True)
ROLLED_BACK = Scenario("crash, circuit breaker rolls back", CRASHING, breaker=True)
NO_BREAKER = Scenario("crash, no circuit breaker", CRASHING, breaker=False)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator whose clock moves only when a test advances it (speed 0).

    The circuit breaker's rollback starts at once (`rollback_delay=0`): on ECS the moment a
    failed deployment is PRIMARY before its rollback is shorter than these clients' polls, so a
    poll never lands on it (the conclusions asserted here are those clients reach on ECS).
    """
    async with Simulator(speed=0, seed=3, timings=Timings(rollback_delay=0)) as simulator:
        yield simulator


@pytest.fixture
async def ecs(sim: Simulator) -> AsyncIterator[ECSClient]:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    async with aioboto3.Session().client("ecs", config=config, **sim.client_kwargs()) as client:
        yield client


async def create_service(sim: Simulator, ecs: ECSClient, scenario: Scenario) -> str:
    """A steady two-task service on myorg/web:1; returns its task definition ARN."""
    sim.add_rule({"image": CRASHING, "behavior": "crash", "exit_code": 1, "after": 2})
    await ecs.create_cluster(clusterName=CLUSTER)
    registered = await ecs.register_task_definition(
        family=SERVICE,
        containerDefinitions=[{"name": "app", "image": "myorg/web:1", "memory": 128}],
    )
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    await ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=arn,
        desiredCount=2,
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": scenario.breaker, "rollback": True}
        },
    )
    await sim.advance(300)
    return str(arn)


async def deploy(sim: Simulator, ecs: ECSClient, scenario: Scenario) -> str:
    """Register the scenario's image and UpdateService to it; returns the new revision ARN."""
    registered = await ecs.register_task_definition(
        family=SERVICE,
        containerDefinitions=[{"name": "app", "image": scenario.image, "memory": 128}],
    )
    arn = str(registered["taskDefinition"]["taskDefinitionArn"])
    await ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arn)
    return arn


async def describe(ecs: ECSClient) -> dict[str, Any]:
    answer = await ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
    return dict(answer["services"][0])


async def run(argv: list[str], env: dict[str, str], *, limit: float = 120) -> tuple[int, str]:
    """Run a client to completion; its exit status and combined output."""
    with anyio.fail_after(limit):
        result = await anyio.run_process(argv, env=env, check=False, stderr=subprocess.STDOUT)
    return result.returncode, result.stdout.decode(errors="replace")
