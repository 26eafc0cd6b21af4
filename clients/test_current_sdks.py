"""The newest SDKs' requests are accepted: members the year-old botocore of aioboto3 lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clients.conftest import (
    CLUSTER,
    GOOD_DEPLOY,
    SERVICE,
    client_env,
    create_service,
    run,
)
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

BREAKER = {
    "enable": True,
    "rollback": True,
    "resetOnHealthyTask": False,
    "thresholdConfiguration": {"type": "COUNT", "value": 4},
}

BOTO3_UPDATE = f"""
import json
import boto3
ecs = boto3.client("ecs")
ecs.update_service(
    cluster="{CLUSTER}",
    service="{SERVICE}",
    deploymentConfiguration={{"deploymentCircuitBreaker": {BREAKER!r}}},
)
[service] = ecs.describe_services(cluster="{CLUSTER}", services=["{SERVICE}"])["services"]
print(json.dumps(service["deploymentConfiguration"]["deploymentCircuitBreaker"]))
"""

JS_UPDATE = f"""
const {{ ECSClient, UpdateServiceCommand }} = require("@aws-sdk/client-ecs");
const client = new ECSClient({{ endpoint: process.env.AWS_ENDPOINT_URL_ECS }});
client.send(new UpdateServiceCommand({{
  cluster: "{CLUSTER}",
  service: "{SERVICE}",
  deploymentConfiguration: {{ deploymentCircuitBreaker: {{
    enable: true, rollback: true, resetOnHealthyTask: false,
    thresholdConfiguration: {{ type: "COUNT", value: 4 }},
  }} }},
}})).then(
  (answer) => {{
    console.log(JSON.stringify(answer.service.deploymentConfiguration.deploymentCircuitBreaker));
    process.exit(0);
  }},
  (error) => {{ console.log("FAILURE", error.name, error.message); process.exit(1); }},
);
"""


async def test_newest_boto3_sets_reset_on_healthy_task_and_threshold(
    sim: Simulator, ecs: ECSClient, tools_bin: Path
) -> None:
    """boto3 from PyPI sends resetOnHealthyTask and thresholdConfiguration; both are kept."""
    await create_service(sim, ecs, GOOD_DEPLOY)
    status, output = await run([str(tools_bin / "python"), "-c", BOTO3_UPDATE], client_env(sim))
    assert status == 0, output
    assert json.loads(output.strip().splitlines()[-1]) == BREAKER


async def test_js_sdk_sets_reset_on_healthy_task_and_threshold(
    sim: Simulator, ecs: ECSClient, node_modules: Path, tmp_path: Path
) -> None:
    """The JS SDK v3 sends the same members; no SerializationException."""
    await create_service(sim, ecs, GOOD_DEPLOY)
    script = tmp_path / "update.cjs"
    script.write_text(JS_UPDATE)
    status, output = await run(["node", str(script)], client_env(sim, NODE_PATH=str(node_modules)))
    assert status == 0, output
    assert json.loads(output.strip().splitlines()[-1]) == BREAKER
