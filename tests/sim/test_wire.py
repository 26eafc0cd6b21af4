"""The simulator speaks ECS's AWS JSON 1.1 protocol: targets, regions, headers, error bodies."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
import structlog.testing
from botocore.config import Config
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire.protocol import (
    CONTENT_TYPE,
    TARGET_PREFIX,
    operation_from_target,
    region_from_authorization,
)

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


async def raw_post(
    sim: Simulator, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.endpoint_url + "/", data=io.BytesIO(body), headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.json(content_type=None)


def test_operation_comes_from_the_ecs_target_header() -> None:
    """Only AmazonEC2ContainerServiceV20141113.<Operation> names an ECS operation."""
    assert operation_from_target(TARGET_PREFIX + "ListClusters") == "ListClusters"
    assert operation_from_target("DynamoDB_20120810.ListTables") is None
    assert operation_from_target(TARGET_PREFIX) is None
    assert operation_from_target(None) is None


def test_region_comes_from_the_sigv4_credential_scope() -> None:
    """The region is the third part of Credential=AKID/date/region/service/aws4_request."""
    header = (
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-2/ecs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    assert region_from_authorization(header) == "us-east-2"
    assert region_from_authorization(None) == "us-east-1"
    assert region_from_authorization("Bearer token") == "us-east-1"


async def test_answers_carry_json_content_type_and_request_id(ecs: ECSClient) -> None:
    """Responses look like ECS's: application/x-amz-json-1.1 and an x-amzn-RequestId."""
    response = await ecs.list_clusters()
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == CONTENT_TYPE
    assert response["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]


async def test_state_is_kept_per_region(sim: Simulator, ecs: ECSClient, no_retries: Config) -> None:
    """A cluster created in us-east-2 is invisible from us-east-1, as on AWS."""
    kwargs = sim.client_kwargs(region_name="us-east-2")
    async with new_session().client("ecs", config=no_retries, **kwargs) as ohio:
        created = await ohio.create_cluster(clusterName="regional")
        assert ":us-east-2:" in created["cluster"]["clusterArn"]
        assert (await ohio.list_clusters())["clusterArns"] == [created["cluster"]["clusterArn"]]
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_endpoint_from_environment_variable(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_ECS points an unmodified client at the simulator."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", sim.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "anything")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anything")
    async with new_session().client("ecs", region_name="eu-west-1") as client:
        cluster = (await client.create_cluster(clusterName="from-env"))["cluster"]
    assert ":eu-west-1:" in cluster["clusterArn"]
    assert sim.stats()["calls"] == {"CreateCluster": 1}


async def test_ecs_errors_are_parsed_by_botocore(ecs: ECSClient) -> None:
    """An ECS error body becomes a ClientError with ECS's code and its modelled exception."""
    with pytest.raises(ecs.exceptions.ClusterNotFoundException) as raised:
        await ecs.describe_services(cluster="nowhere", services=["web"])
    error = raised.value.response
    assert error["Error"]["Code"] == "ClusterNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


async def test_unknown_operation_is_unknown_operation_exception(sim: Simulator) -> None:
    """A target ECS does not have gets {"__type": "UnknownOperationException"} and a 400."""
    status, headers, body = await raw_post(
        sim, b"{}", {"X-Amz-Target": TARGET_PREFIX + "LaunchRocket", "Content-Type": CONTENT_TYPE}
    )
    assert (status, body) == (400, {"__type": "UnknownOperationException"})
    assert headers["Content-Type"] == CONTENT_TYPE
    assert "x-amzn-RequestId" in headers


async def test_missing_target_is_unknown_operation_exception(sim: Simulator) -> None:
    """A POST without X-Amz-Target names no operation."""
    status, _, body = await raw_post(sim, b"{}", {"Content-Type": CONTENT_TYPE})
    assert (status, body["__type"]) == (400, "UnknownOperationException")


async def test_backend_bug_becomes_logged_server_exception(
    sim: Simulator, ecs: ECSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception is a 500 ServerException with its traceback logged, not a crash."""

    def explode(*_: object) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(sim.backend, "handle", explode)
    with structlog.testing.capture_logs() as logs, pytest.raises(ClientError) as raised:
        await ecs.list_clusters()
    assert raised.value.response["Error"]["Code"] == "ServerException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert [log["event"] for log in logs] == ["ecsdeploy.sim.unexpected_error"]
    assert logs[0]["operation"] == "ListClusters"
    assert logs[0]["exc_info"] is True
    monkeypatch.undo()
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_operation_the_simulator_lacks_is_a_client_error(sim: Simulator) -> None:
    """An ECS operation the backend does not implement is a 400 InvalidAction, not a 500."""
    assert "DescribeCapacityProviders" not in sim.backend.operations
    status, _, body = await raw_post(
        sim,
        b"{}",
        {"X-Amz-Target": TARGET_PREFIX + "DescribeCapacityProviders", "Content-Type": CONTENT_TYPE},
    )
    assert (status, body["__type"]) == (400, "InvalidAction")


async def test_oversized_body_is_a_client_error(sim: Simulator) -> None:
    """A body over the size limit is refused with a 413 ClientException, not a 500."""
    with structlog.testing.capture_logs() as logs:
        status, _, body = await raw_post(
            sim,
            b'{"clusterName": "' + b"x" * (2 * 1024**2) + b'"}',
            {"X-Amz-Target": TARGET_PREFIX + "CreateCluster", "Content-Type": CONTENT_TYPE},
        )
    assert (status, body["__type"]) == (413, "ClientException")
    assert logs == []
