"""`services-stable` waiters of the AWS CLI, boto3 and the JavaScript SDK v3 against the
simulator: each reaches the conclusion it reaches on ECS, wrong ones included.

The waiter's rule (botocore's and the JS SDK's `ServicesStable`): success once every service
has exactly one deployment and runningCount == desiredCount; failure for MISSING, DRAINING or
INACTIVE services; otherwise poll again until the attempts run out. A circuit-breaker rollback
ends with one deployment, all tasks running: the waiter calls that success, as on ECS. The
simulator is driven to each scenario's end state first; the waiters then poll every second
(their acceptors unchanged; only their delays shortened).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clients.conftest import (
    CLUSTER,
    GOOD_DEPLOY,
    NO_BREAKER,
    ROLLED_BACK,
    SERVICE,
    Scenario,
    client_env,
    create_service,
    deploy,
    describe,
    run,
)
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

ATTEMPTS = 3
"""Polls before a waiter gives up (ECS's default is 40, 15 s apart)."""

BOTO3_WAITER = f"""
import sys
import boto3
from botocore.exceptions import WaiterError

waiter = boto3.client("ecs").get_waiter("services_stable")
try:
    waiter.wait(
        cluster="{CLUSTER}", services=["{SERVICE}"],
        WaiterConfig={{"Delay": 1, "MaxAttempts": {ATTEMPTS}}},
    )
except WaiterError as error:
    print("FAILURE", error)
    sys.exit(1)
print("SUCCESS")
"""

JS_WAITER = f"""
const {{ ECSClient, waitUntilServicesStable }} = require("@aws-sdk/client-ecs");
const client = new ECSClient({{ endpoint: process.env.AWS_ENDPOINT_URL_ECS }});
waitUntilServicesStable(
  {{ client, maxWaitTime: {ATTEMPTS + 1}, minDelay: 1, maxDelay: 1 }},
  {{ cluster: "{CLUSTER}", services: ["{SERVICE}"] }},
).then(
  (result) => {{ console.log(result.state); process.exit(0); }},
  (error) => {{ console.log("FAILURE", error.name, error.message); process.exit(1); }},
);
"""


async def reach_end_state(sim: Simulator, ecs: ECSClient, scenario: Scenario) -> None:
    """Deploy and let the simulated hour run out: each scenario's final state on ECS."""
    old = await create_service(sim, ecs, scenario)
    new = await deploy(sim, ecs, scenario)
    await sim.advance(3600)
    service = await describe(ecs)
    if scenario is GOOD_DEPLOY:
        assert [d["taskDefinition"] for d in service["deployments"]] == [new]
    elif scenario is ROLLED_BACK:
        assert [d["taskDefinition"] for d in service["deployments"]] == [old]
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    else:
        assert [d["taskDefinition"] for d in service["deployments"]] == [new, old]
        assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def aws_cli_data_path(tools_bin: Path, into: Path) -> Path:
    """botocore data with ECS's own waiters, only delay and attempts shortened (AWS_DATA_PATH
    is how the CLI loads model overrides)."""
    [source] = tools_bin.parent.glob("lib/python*/site-packages/botocore/data/ecs/2014-11-13")
    waiters = json.loads((source / "waiters-2.json").read_text())
    waiters["waiters"]["ServicesStable"].update(delay=1, maxAttempts=ATTEMPTS)
    target = into / "ecs" / "2014-11-13"
    target.mkdir(parents=True)
    (target / "waiters-2.json").write_text(json.dumps(waiters))
    return into


@pytest.mark.parametrize(
    ("scenario", "succeeds"),
    [(GOOD_DEPLOY, True), (ROLLED_BACK, True), (NO_BREAKER, False)],
    ids=lambda value: value.name if isinstance(value, Scenario) else str(value),
)
async def test_aws_cli_wait_services_stable(
    sim: Simulator,
    ecs: ECSClient,
    *,
    tools_bin: Path,
    tmp_path: Path,
    scenario: Scenario,
    succeeds: bool,
) -> None:
    """`aws ecs wait services-stable`: success for a good deploy and (wrongly, as on ECS) for
    a circuit-breaker rollback; max attempts exceeded while a crashing deploy goes on."""
    await reach_end_state(sim, ecs, scenario)
    env = client_env(sim, AWS_DATA_PATH=str(aws_cli_data_path(tools_bin, tmp_path)))
    argv = [str(tools_bin / "aws"), "ecs", "wait", "services-stable"]
    status, output = await run([*argv, "--cluster", CLUSTER, "--services", SERVICE], env)
    assert (status == 0) is succeeds, output
    if not succeeds:
        assert "Max attempts exceeded" in output


@pytest.mark.parametrize(
    ("scenario", "succeeds"),
    [(GOOD_DEPLOY, True), (ROLLED_BACK, True), (NO_BREAKER, False)],
    ids=lambda value: value.name if isinstance(value, Scenario) else str(value),
)
async def test_boto3_services_stable_waiter(
    sim: Simulator, ecs: ECSClient, tools_bin: Path, scenario: Scenario, succeeds: bool
) -> None:
    """boto3's `services_stable` waiter: the AWS CLI's conclusions, from the newest boto3."""
    await reach_end_state(sim, ecs, scenario)
    status, output = await run([str(tools_bin / "python"), "-c", BOTO3_WAITER], client_env(sim))
    assert (status == 0) is succeeds, output
    assert output.strip().splitlines()[-1].startswith("SUCCESS" if succeeds else "FAILURE")
    if not succeeds:
        assert "Max attempts exceeded" in output


@pytest.mark.parametrize(
    ("scenario", "succeeds"),
    [(GOOD_DEPLOY, True), (ROLLED_BACK, True), (NO_BREAKER, False)],
    ids=lambda value: value.name if isinstance(value, Scenario) else str(value),
)
async def test_js_sdk_wait_until_services_stable(
    sim: Simulator,
    ecs: ECSClient,
    *,
    node_modules: Path,
    tmp_path: Path,
    scenario: Scenario,
    succeeds: bool,
) -> None:
    """@aws-sdk/client-ecs `waitUntilServicesStable`: SUCCESS for a good deploy and for a
    rollback; a TimeoutError while a crashing deploy goes on."""
    await reach_end_state(sim, ecs, scenario)
    script = tmp_path / "wait.cjs"
    script.write_text(JS_WAITER)
    env = client_env(sim, NODE_PATH=str(node_modules))
    status, output = await run(["node", str(script)], env)
    assert (status == 0) is succeeds, output
    assert output.strip().splitlines()[-1].startswith("SUCCESS" if succeeds else "FAILURE")
    if not succeeds:
        assert "TimeoutError" in output
