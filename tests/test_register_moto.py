"""A built revision registers over the wire, and what was set survives the round trip.

moto's server speaks the ECS wire protocol; the client is aioboto3 exactly as the gateway uses it,
so botocore validates the produced input against the service model before it is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from ecsdeploy import ImageChange, SetEnv, SetSecret, UnsetEnv, build_revision
from ecsdeploy._aws_session import new_session

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

RICH_TASK_DEFINITION: dict[str, Any] = {
    "family": "web",
    "taskRoleArn": "arn:aws:iam::123456789012:role/web-task",
    "executionRoleArn": "arn:aws:iam::123456789012:role/web-exec",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "pidMode": "task",
    "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    "ephemeralStorage": {"sizeInGiB": 30},
    "proxyConfiguration": {
        "type": "APPMESH",
        "containerName": "envoy",
        "properties": [{"name": "IgnoredUID", "value": "1337"}],
    },
    "volumes": [
        {"name": "scratch"},
        {
            "name": "shared",
            "efsVolumeConfiguration": {
                "fileSystemId": "fs-12345678",
                "rootDirectory": "/",
                "transitEncryption": "ENABLED",
            },
        },
    ],
    # Left out: enableFaultInjection (moto 5 does not store it), ipcMode and inferenceAccelerators
    # (ECS refuses them with FARGATE). The pure tests in test_taskdef*.py cover them.
    "tags": [{"key": "team", "value": "payments"}, {"key": "cost-centre", "value": "42"}],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "myorg/web:1",
            "essential": True,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "http"}],
            "environment": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "FEATURE_X", "value": "on"},
            ],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-2:123:parameter/db"}
            ],
            "mountPoints": [{"sourceVolume": "shared", "containerPath": "/data"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-2"},
            },
            "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:8080/health"]},
            "dockerLabels": {"com.example.owner": "payments"},
        },
        {
            "name": "envoy",
            "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod",
            "essential": True,
            "user": "1337",
        },
    ],
}


@pytest.fixture
async def ecs(moto_url: str) -> AsyncIterator[ECSClient]:
    """An aioboto3 ECS client talking to the moto server."""
    session = new_session()
    async with session.client(
        "ecs",
        endpoint_url=moto_url,
        region_name="us-east-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        yield client


async def test_built_revision_registers_and_keeps_fields(ecs: ECSClient) -> None:
    """Register, describe, change, register again: the changes land and the rest survives."""
    await ecs.register_task_definition(**RICH_TASK_DEFINITION)
    described = await ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])

    register_input = build_revision(
        described,
        [
            ImageChange("web", "myorg/web:2"),
            SetEnv("web", "LOG_LEVEL", "debug"),
            UnsetEnv("web", "FEATURE_X"),
            SetEnv("web", "NEW_VAR", "1"),
            SetSecret("web", "API_TOKEN", "arn:aws:secretsmanager:us-east-2:123:secret:tok"),
        ],
    )
    await ecs.register_task_definition(**register_input)
    after = await ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])

    new = after["taskDefinition"]
    assert new["revision"] == 2
    web, envoy = new["containerDefinitions"]
    assert web["image"] == "myorg/web:2"
    assert web["environment"] == [
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "NEW_VAR", "value": "1"},
    ]
    assert [s["name"] for s in web["secrets"]] == ["DB_PASSWORD", "API_TOKEN"]
    assert envoy == described["taskDefinition"]["containerDefinitions"][1]
    for field in (
        "taskRoleArn",
        "executionRoleArn",
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "memory",
        "pidMode",
        "runtimePlatform",
        "ephemeralStorage",
        "proxyConfiguration",
        "volumes",
    ):
        assert new.get(field) == RICH_TASK_DEFINITION[field], field
    assert after.get("tags") == RICH_TASK_DEFINITION["tags"]


async def test_unchanged_revision_round_trips(ecs: ECSClient) -> None:
    """Re-registering a described revision with a no-op change gives back the same definition."""
    await ecs.register_task_definition(**RICH_TASK_DEFINITION)
    described = await ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])

    register_input = build_revision(described, [ImageChange("web", "myorg/web:1")])
    await ecs.register_task_definition(**register_input)
    after = await ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])

    read_only = {"taskDefinitionArn", "revision", "registeredAt", "registeredBy"}
    old = {k: v for k, v in described["taskDefinition"].items() if k not in read_only}
    new = {k: v for k, v in after["taskDefinition"].items() if k not in read_only}
    assert new == old
    assert after.get("tags") == described.get("tags")
