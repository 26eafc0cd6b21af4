"""Accounts in the simulator process: clients in a role's account, a `web` service there."""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # typed only with boto3-stubs
from botocore.config import Config

from tests._fixtures.simulator_process import CLUSTER, REGION, SimulatedEcs

ACCOUNT_A = "210987654321"
ACCOUNT_B = "345678901234"
ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/ecsdeploy"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/ecsdeploy"
_ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def ecs_of(simulated: SimulatedEcs, role_arn: str) -> Any:
    """A boto3 ECS client in the role's account, with credentials from the simulator's STS."""
    sts = boto3.client(
        "sts",
        endpoint_url=simulated.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_ONE_ATTEMPT,
    )
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="arrange")["Credentials"]
    return boto3.client(
        "ecs",
        endpoint_url=simulated.url,
        region_name=REGION,
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
        config=_ONE_ATTEMPT,
    )


def create_web(simulated: SimulatedEcs, role_arn: str | None) -> None:
    """`web` on myorg/nginx:1.0 in the role's account (None: the default account)."""
    ecs = simulated.ecs if role_arn is None else ecs_of(simulated, role_arn)
    ecs.create_cluster(clusterName=CLUSTER)
    registered = ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "nginx", "image": "myorg/nginx:1.0", "essential": True, "memory": 128}
        ],
    )
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="web",
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
    )
    simulated.advance(600)


def revisions(simulated: SimulatedEcs, role_arn: str) -> list[str]:
    listed = ecs_of(simulated, role_arn).list_task_definitions(familyPrefix="web")
    return list(listed["taskDefinitionArns"])
