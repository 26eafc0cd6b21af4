"""The real AWS CLI (``aws ecs wait services-stable``) works against the simulator unmodified.

The AWS CLI v1 waiter polls DescribeServices at once and then every 15 wall seconds, with no
flag to change that; so one test has the service steady before the first poll, and the other
makes it steady between the first and second poll by advancing simulated time, with the delay
shortened to one second through AWS_DATA_PATH (botocore's own waiter data, one number changed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import botocore
import pytest

from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

AWS = str(Path(sys.executable).with_name("aws"))


def aws_env(sim: Simulator) -> dict[str, str]:
    """The CLI's environment: endpoint and dummy credentials, no user config leaking in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_ECS=sim.endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


async def create_service(ecs: ECSClient, *, desired: int = 2) -> None:
    await ecs.create_cluster(clusterName="cli")
    await ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:1.27", "essential": True}],
    )
    await ecs.create_service(
        cluster="cli",
        serviceName="web",
        taskDefinition="web",
        desiredCount=desired,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )


def one_second_waiter(into: Path) -> Path:
    """An AWS_DATA_PATH whose ECS waiters are botocore's, polling every second instead of 15."""
    source = Path(botocore.__file__).parent / "data" / "ecs" / "2014-11-13" / "waiters-2.json"
    waiters = json.loads(source.read_text())
    waiters["waiters"]["ServicesStable"]["delay"] = 1
    target = into / "ecs" / "2014-11-13"
    target.mkdir(parents=True)
    (target / "waiters-2.json").write_text(json.dumps(waiters))
    return into


def waiter_argv() -> list[str]:
    return [AWS, "ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web"]


async def test_aws_cli_lists_clusters(sim: Simulator, ecs: ECSClient) -> None:
    """A plain AWS CLI call parses the simulator's answer."""
    await ecs.create_cluster(clusterName="cli")
    with anyio.fail_after(20):
        result = await anyio.run_process(
            [AWS, "ecs", "list-clusters", "--output", "text"], env=aws_env(sim)
        )
    assert ":cluster/cli" in result.stdout.decode()


async def test_services_stable_returns_at_once_for_a_steady_service(
    sim: Simulator, ecs: ECSClient
) -> None:
    """A service already steady passes the waiter's first poll."""
    await create_service(ecs)
    await sim.advance(600)
    described = await ecs.describe_services(cluster="cli", services=["web"])
    assert described["services"][0]["runningCount"] == 2
    with anyio.fail_after(20):
        result = await anyio.run_process(waiter_argv(), env=aws_env(sim), check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert sim.stats()["calls"]["DescribeServices"] == 2


async def test_services_stable_waits_until_the_service_is_steady(
    sim: Simulator, ecs: ECSClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not steady at the first poll, steady by the second: the waiter succeeds."""
    env = {**aws_env(sim), "AWS_DATA_PATH": str(one_second_waiter(tmp_path))}
    sim.clock.speed = 0
    await create_service(ecs)
    first_poll = anyio.Event()
    handle = sim.backend.handle

    def spy(region: str, operation: str, params: dict[str, Any], **context: Any) -> dict[str, Any]:
        answer = handle(region, operation, params, **context)
        if operation == "DescribeServices":
            first_poll.set()
        return answer

    monkeypatch.setattr(sim.backend, "handle", spy)
    with anyio.fail_after(30):
        async with await anyio.open_process(
            waiter_argv(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as waiter:
            await first_poll.wait()
            assert sim.stats()["calls"]["DescribeServices"] == 1
            await sim.advance(600)
            returncode = await waiter.wait()
    assert returncode == 0
    assert sim.stats()["calls"]["DescribeServices"] == 2
