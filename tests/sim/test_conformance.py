"""The static ECS API, checked against both the simulator and moto's server through aioboto3.

moto is the second opinion: where both agree with ECS's documentation, both are tested. Where
moto departs from ECS, the test says how (in a comment) and checks ECS's documented behaviour
on the simulator only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

SIMULATOR = "simulator"
MOTO = "moto"


@dataclass(frozen=True)
class Server:
    name: str
    ecs: ECSClient
    ec2: Any
    """moto's EC2 client (no stubs installed for it), where awsvpc services need a real
    subnet; None for the simulator."""


@pytest.fixture(params=[SIMULATOR, MOTO])
async def server(request: pytest.FixtureRequest, no_retries: Config) -> AsyncIterator[Server]:
    """An aioboto3 ECS client to a fresh simulator or to moto's (freshly reset) server."""
    session = new_session()
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if request.param == SIMULATOR:
        async with Simulator(speed=100, seed=5) as sim:
            kwargs: dict[str, Any] = sim.client_kwargs()
            async with session.client("ecs", config=no_retries, **kwargs) as ecs:
                yield Server(SIMULATOR, ecs, None)
        return
    url: str = request.getfixturevalue("moto_ecs_url")
    async with aiohttp.ClientSession() as http, http.post(url + "/moto-api/reset") as reset:
        assert reset.status == 200
    endpoint = {"endpoint_url": url, "region_name": "us-east-1", "config": no_retries}
    async with (
        session.client("ec2", **endpoint, **credentials) as ec2,
        session.client("ecs", **endpoint, **credentials) as ecs,
    ):
        yield Server(MOTO, ecs, ec2)


async def awsvpc_configuration(server: Server) -> dict[str, Any]:
    """Subnets and security groups for an awsvpc service.

    ECS (and moto) check that the subnet exists in EC2; the simulator has no EC2 and takes any
    id. ECS makes security groups optional, but moto 5.2 fails with a KeyError (a 500) without.
    """
    if server.ec2 is None:
        return {"subnets": ["subnet-0123456789abcdef0"]}
    vpc = (await server.ec2.create_vpc(CidrBlock="10.0.0.0/16"))["Vpc"]["VpcId"]
    subnet = await server.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")
    group = await server.ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)
    return {"subnets": [subnet["Subnet"]["SubnetId"]], "securityGroups": [group["GroupId"]]}


TASK_DEFINITION: dict[str, Any] = {
    "family": "web",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [
        {
            "name": "app",
            "image": "registry.example/web:1.0",
            "essential": True,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": "MODE", "value": "prod"}],
        }
    ],
}


async def register(ecs: ECSClient, **changes: Any) -> dict[str, Any]:
    answer = await ecs.register_task_definition(**{**TASK_DEFINITION, **changes})
    return dict(answer["taskDefinition"])


async def create_service(server: Server, **changes: Any) -> dict[str, Any]:
    ecs = server.ecs
    await ecs.create_cluster(clusterName="prod")
    taskdef = await register(ecs)
    arguments: dict[str, Any] = {
        "cluster": "prod",
        "serviceName": "web",
        "taskDefinition": taskdef["taskDefinitionArn"],
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": await awsvpc_configuration(server)},
        **changes,
    }
    return dict((await ecs.create_service(**arguments))["service"])


async def test_create_cluster_is_active_and_described(server: Server) -> None:
    """CreateCluster returns an ACTIVE cluster that DescribeClusters and ListClusters find."""
    created = (await server.ecs.create_cluster(clusterName="prod"))["cluster"]
    assert created["clusterName"] == "prod"
    assert created["status"] == "ACTIVE"
    assert created["clusterArn"].startswith("arn:aws:ecs:us-east-1:")
    assert created["clusterArn"].endswith(":cluster/prod")
    described = await server.ecs.describe_clusters(clusters=["prod"])
    assert [c["clusterArn"] for c in described["clusters"]] == [created["clusterArn"]]
    assert described["failures"] == []
    assert (await server.ecs.list_clusters())["clusterArns"] == [created["clusterArn"]]


async def test_describe_missing_cluster_is_a_missing_failure(server: Server) -> None:
    """DescribeClusters reports unknown clusters in failures with reason MISSING."""
    described = await server.ecs.describe_clusters(clusters=["ghost"])
    assert described["clusters"] == []
    assert [f["reason"] for f in described["failures"]] == ["MISSING"]
    assert described["failures"][0]["arn"].endswith(":cluster/ghost")


async def test_task_definition_round_trip(server: Server) -> None:
    """What RegisterTaskDefinition stored, DescribeTaskDefinition gives back, per revision."""
    first = await register(server.ecs)
    second = await register(server.ecs, cpu="512", memory="1024")
    assert (first["family"], first["revision"], first["status"]) == ("web", 1, "ACTIVE")
    assert second["revision"] == 2
    assert first["taskDefinitionArn"].endswith(":task-definition/web:1")
    latest = (await server.ecs.describe_task_definition(taskDefinition="web"))["taskDefinition"]
    assert (latest["revision"], latest["cpu"], latest["memory"]) == (2, "512", "1024")
    old = (await server.ecs.describe_task_definition(taskDefinition="web:1"))["taskDefinition"]
    assert old["cpu"] == "256"
    container = old["containerDefinitions"][0]
    assert container["name"] == "app"
    assert container["image"] == "registry.example/web:1.0"
    assert container["essential"] is True
    assert container["environment"] == [{"name": "MODE", "value": "prod"}]
    assert container["portMappings"][0]["containerPort"] == 8080
    assert old["networkMode"] == "awsvpc"
    assert old["requiresCompatibilities"] == ["FARGATE"]
    by_arn = await server.ecs.describe_task_definition(taskDefinition=first["taskDefinitionArn"])
    assert by_arn["taskDefinition"]["revision"] == 1


async def test_missing_task_definition_is_a_client_exception(server: Server) -> None:
    """DescribeTaskDefinition of an unknown family is ECS's ClientException."""
    with pytest.raises(ClientError) as raised:
        await server.ecs.describe_task_definition(taskDefinition="ghost:1")
    assert raised.value.response["Error"]["Code"] == "ClientException"


async def test_task_definition_tags_round_trip(server: Server) -> None:
    """Tags given at registration come back with include=["TAGS"]."""
    await register(server.ecs, tags=[{"key": "team", "value": "web"}])
    described = await server.ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])
    assert described["tags"] == [{"key": "team", "value": "web"}]


async def test_create_service_is_described_and_listed(server: Server) -> None:
    """CreateService returns an ACTIVE service that DescribeServices and ListServices find."""
    created = await create_service(server)
    assert (created["serviceName"], created["status"], created["desiredCount"]) == (
        "web",
        "ACTIVE",
        2,
    )
    assert created["taskDefinition"].endswith(":task-definition/web:1")
    assert created["clusterArn"].endswith(":cluster/prod")
    described = await server.ecs.describe_services(cluster="prod", services=["web"])
    assert described["failures"] == []
    [service] = described["services"]
    assert service["serviceArn"] == created["serviceArn"]
    assert service["launchType"] == "FARGATE"
    listed = await server.ecs.list_services(cluster="prod")
    assert listed["serviceArns"] == [created["serviceArn"]]


async def test_service_arn_uses_the_long_format(server: Server) -> None:
    """Service ARNs include the cluster name (the long ARN format, default since 2021)."""
    created = await create_service(server)
    assert created["serviceArn"].endswith(":service/prod/web")


async def test_update_service_changes_count_and_task_definition(server: Server) -> None:
    """UpdateService's new desiredCount and taskDefinition show in DescribeServices."""
    await create_service(server)
    second = await register(server.ecs, cpu="512", memory="1024")
    updated = await server.ecs.update_service(
        cluster="prod", service="web", desiredCount=3, taskDefinition="web:2"
    )
    [service] = (await server.ecs.describe_services(cluster="prod", services=["web"]))["services"]
    assert service["desiredCount"] == 3
    if server.name == MOTO:
        # moto 5.2 stores "web:2" as given; ECS resolves it to the task definition's full ARN
        # (API_UpdateService: "the full ARN ... of the task definition"). Checked on the
        # simulator only.
        assert service["taskDefinition"].endswith("web:2")
        return
    assert updated["service"]["taskDefinition"] == second["taskDefinitionArn"]
    assert service["taskDefinition"] == second["taskDefinitionArn"]
    primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
    assert [d["taskDefinition"] for d in primary] == [second["taskDefinitionArn"]]


async def test_describe_missing_service_is_a_missing_failure(server: Server) -> None:
    """DescribeServices lists unknown services in failures with reason MISSING."""
    await create_service(server)
    described = await server.ecs.describe_services(cluster="prod", services=["web", "ghost"])
    assert [s["serviceName"] for s in described["services"]] == ["web"]
    assert [f["reason"] for f in described["failures"]] == ["MISSING"]
    assert described["failures"][0]["arn"].endswith("ghost")


async def test_update_missing_service_is_service_not_found(server: Server) -> None:
    """UpdateService of an unknown service is ServiceNotFoundException."""
    await server.ecs.create_cluster(clusterName="prod")
    with pytest.raises(server.ecs.exceptions.ServiceNotFoundException):
        await server.ecs.update_service(cluster="prod", service="ghost", desiredCount=1)


async def test_create_service_in_missing_cluster_is_cluster_not_found(server: Server) -> None:
    """CreateService into an unknown cluster is ClusterNotFoundException."""
    await register(server.ecs)
    with pytest.raises(server.ecs.exceptions.ClusterNotFoundException):
        await server.ecs.create_service(
            cluster="ghost", serviceName="web", taskDefinition="web", desiredCount=1
        )


async def test_describe_services_in_missing_cluster_is_cluster_not_found(server: Server) -> None:
    """DescribeServices in an unknown cluster is ClusterNotFoundException."""
    with pytest.raises(server.ecs.exceptions.ClusterNotFoundException):
        await server.ecs.describe_services(cluster="ghost", services=["web"])


async def test_service_tags_round_trip(server: Server) -> None:
    """Tags set at creation, added with TagResource and removed with UntagResource."""
    created = await create_service(server, tags=[{"key": "team", "value": "web"}])
    arn = created["serviceArn"]
    await server.ecs.tag_resource(resourceArn=arn, tags=[{"key": "tier", "value": "front"}])
    listed = await server.ecs.list_tags_for_resource(resourceArn=arn)
    assert sorted(t["key"] for t in listed["tags"]) == ["team", "tier"]
    await server.ecs.untag_resource(resourceArn=arn, tagKeys=["team"])
    listed = await server.ecs.list_tags_for_resource(resourceArn=arn)
    assert listed["tags"] == [{"key": "tier", "value": "front"}]
    described = await server.ecs.describe_services(
        cluster="prod", services=["web"], include=["TAGS"]
    )
    assert described["services"][0]["tags"] == [{"key": "tier", "value": "front"}]


async def test_cluster_tags_round_trip(server: Server) -> None:
    """Cluster tags set at creation are listed by ListTagsForResource."""
    created = await server.ecs.create_cluster(
        clusterName="prod", tags=[{"key": "env", "value": "prod"}]
    )
    listed = await server.ecs.list_tags_for_resource(resourceArn=created["cluster"]["clusterArn"])
    assert listed["tags"] == [{"key": "env", "value": "prod"}]
