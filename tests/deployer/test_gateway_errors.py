"""The one boundary where botocore errors become ecsdeploy errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ecsdeploy import exceptions
from ecsdeploy._gateway import is_transient, map_error


def client_error(code: str, message: str = "msg", status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "DescribeServices")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, exceptions.ThrottledError),
        ("ServerException", 500, exceptions.AwsUnavailableError),
        ("SomethingNew", 503, exceptions.AwsUnavailableError),
        ("ClusterNotFoundException", 400, exceptions.ClusterNotFoundError),
        ("ServiceNotFoundException", 400, exceptions.ServiceNotFoundError),
        ("ServiceNotActiveException", 400, exceptions.ServiceNotFoundError),
        ("AccessDeniedException", 400, exceptions.AccessDeniedError),
        ("InvalidParameterException", 400, exceptions.InputError),
        ("SomethingNew", 400, exceptions.AwsError),
    ],
)
def test_client_errors_map_to_the_hierarchy(
    code: str, status: int, expected: type[exceptions.EcsDeployError]
) -> None:
    """Each ECS error code lands on its ecsdeploy exception, naming the operation."""
    mapped = map_error(client_error(code, "it broke", status), "DescribeServices")
    assert isinstance(mapped, expected)
    assert "DescribeServices: it broke" in str(mapped)


def test_missing_task_definition_is_its_own_error() -> None:
    """ECS says ClientException for a missing task definition; we say which error it is."""
    mapped = map_error(
        client_error("ClientException", "Unable to describe task definition."),
        "DescribeTaskDefinition",
    )
    assert isinstance(mapped, exceptions.TaskDefinitionNotFoundError)


def test_only_transient_failures_are_retried() -> None:
    """Throttling, 5xx and dropped connections retry; validation errors never do."""
    assert is_transient(client_error("ThrottlingException"))
    assert is_transient(client_error("ServerException", status=500))
    assert is_transient(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert not is_transient(client_error("InvalidParameterException"))
    assert not is_transient(client_error("ClientException"))
