"""Bad requests are refused as ECS refuses them, before the backend sees them, never with a 500."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
import structlog.testing
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire.protocol import CONTENT_TYPE, TARGET_PREFIX
from ecsdeploy.sim._wire.validation import BATCH_LIMITS, RequestValidator, load_ecs_model

pytestmark = pytest.mark.anyio

SERIALIZATION = "SerializationException"
INVALID = "InvalidParameterException"

BAD_REQUESTS: list[tuple[str, str, object, str, str]] = [
    # (test id, operation, body, ECS error code, message fragment)
    (
        "missing-required",
        "DescribeServices",
        {"cluster": "c"},
        INVALID,
        "Services cannot be empty.",
    ),
    ("empty-services", "DescribeServices", {"services": []}, INVALID, "Services cannot be empty."),
    ("list-as-string", "DescribeServices", {"services": "web"}, SERIALIZATION, "'services'"),
    (
        "unknown-member",
        "DescribeServices",
        {"services": ["a"], "colour": 1},
        SERIALIZATION,
        "colour",
    ),
    (
        "int-as-string",
        "CreateService",
        {"serviceName": "w", "desiredCount": "two"},
        SERIALIZATION,
        "desiredCount",
    ),
    (
        "bool-as-int",
        "CreateService",
        {"serviceName": "w", "desiredCount": True},
        SERIALIZATION,
        "desiredCount",
    ),
    (
        "fraction-as-int",
        "CreateService",
        {"serviceName": "w", "desiredCount": 1.5},
        SERIALIZATION,
        "desiredCount",
    ),
    (
        "float-as-int",
        "CreateService",
        {"serviceName": "w", "desiredCount": 2.0},
        SERIALIZATION,
        "desiredCount",
    ),
    (
        "int32-overflow",
        "CreateService",
        {"serviceName": "w", "desiredCount": 2**31},
        SERIALIZATION,
        "overflows",
    ),
    (
        "string-as-bool",
        "CreateService",
        {"serviceName": "w", "enableECSManagedTags": "yes"},
        SERIALIZATION,
        "enableECSManagedTags",
    ),
    (
        "enum",
        "CreateService",
        {"serviceName": "w", "launchType": "MOON"},
        INVALID,
        "Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL",
    ),
    (
        "nested-unknown",
        "CreateService",
        {"serviceName": "w", "deploymentConfiguration": {"maximumPercentage": 200}},
        SERIALIZATION,
        "deploymentConfiguration.maximumPercentage",
    ),
    (
        "nested-required",
        "RegisterTaskDefinition",
        {"family": "f"},
        INVALID,
        "ContainerDefinitions cannot be empty.",
    ),
    (
        "tag-key-too-short",
        "CreateCluster",
        {"tags": [{"key": "", "value": "v"}]},
        INVALID,
        "Member must have length greater than or equal to 1",
    ),
    (
        "too-many-tags",
        "CreateCluster",
        {"tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]},
        INVALID,
        "Member must have length less than or equal to 50",
    ),
    (
        "port-out-of-range",
        "CreateService",
        {
            "serviceName": "w",
            "serviceConnectConfiguration": {
                "enabled": True,
                "services": [{"portName": "http", "ingressPortOverride": 70000}],
            },
        },
        INVALID,
        "Member must have value less than or equal to 65535",
    ),
    (
        "eleven-services",
        "DescribeServices",
        {"services": [f"s{i}" for i in range(11)]},
        INVALID,
        "service names can have at most 10 items.",
    ),
    (
        "101-tasks",
        "DescribeTasks",
        {"tasks": [f"t{i}" for i in range(101)]},
        INVALID,
        "taskIds can have at most 100 items.",
    ),
    ("body-not-object", "ListClusters", [1, 2], SERIALIZATION, "JSON object"),
]


async def post_raw(sim: Simulator, operation: str, body: bytes) -> tuple[int, Any]:
    headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": CONTENT_TYPE}
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.endpoint_url + "/", data=body, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


async def health(sim: Simulator) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(sim.endpoint_url + "/_sim/health") as response,
    ):
        return response.status


@pytest.mark.parametrize("case", [pytest.param(case[1:], id=case[0]) for case in BAD_REQUESTS])
async def test_bad_request_is_refused_like_ecs(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, case: tuple[str, object, str, str]
) -> None:
    """Each malformed request gets ECS's error code with a 400; the backend never runs it."""
    operation, body, code, fragment = case
    reached: list[str] = []

    def record(_region: str, operation: str, _params: dict[str, Any]) -> dict[str, Any]:
        reached.append(operation)
        return {}

    monkeypatch.setattr(sim.backend, "handle", record)
    with structlog.testing.capture_logs() as logs:
        status, answer = await post_raw(sim, operation, json.dumps(body).encode())
    assert status == 400
    assert answer["__type"] == code
    assert fragment in answer["message"]
    assert reached == []
    assert logs == []
    assert await health(sim) == 200


async def test_body_that_is_not_json_is_serialization_exception(sim: Simulator) -> None:
    """Bytes that are not JSON cannot be deserialized: SerializationException, 400."""
    status, answer = await post_raw(sim, "ListClusters", b"{not json")
    assert (status, answer["__type"]) == (400, SERIALIZATION)


async def test_empty_body_means_no_parameters(sim: Simulator) -> None:
    """An empty body is an empty request, which ListClusters accepts."""
    status, answer = await post_raw(sim, "ListClusters", b"")
    assert (status, answer) == (200, {"clusterArns": []})


async def test_botocore_sees_the_error_code(sim: Simulator, no_retries: Config) -> None:
    """Through botocore with its own validation off, ECS's codes come back as ClientErrors."""
    config = no_retries.merge(Config(parameter_validation=False))
    async with new_session().client("ecs", config=config, **sim.client_kwargs()) as ecs:
        with pytest.raises(ecs.exceptions.InvalidParameterException) as raised:
            await ecs.describe_services(cluster="c", services=[f"s{i}" for i in range(11)])
        with pytest.raises(ClientError) as wrong_type:
            await ecs.create_service(serviceName="w", desiredCount="two")
    assert raised.value.response["Error"]["Message"] == "service names can have at most 10 items."
    assert wrong_type.value.response["Error"]["Code"] == SERIALIZATION


async def test_ten_services_pass_validation(sim: Simulator) -> None:
    """The limit is 10 services per DescribeServices call, inclusive."""
    status, _ = await post_raw(
        sim, "DescribeServices", json.dumps({"services": [f"s{i}" for i in range(10)]}).encode()
    )
    assert status != 500
    RequestValidator().validate("DescribeServices", {"services": [f"s{i}" for i in range(10)]})


def test_valid_nested_request_passes() -> None:
    """A realistic RegisterTaskDefinition body validates cleanly."""
    RequestValidator().validate(
        "RegisterTaskDefinition",
        {
            "family": "web",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "essential": True,
                    "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                    "environment": [{"name": "A", "value": "1"}],
                    "dockerLabels": {"team": "web"},
                    "healthCheck": {"command": ["CMD", "true"], "interval": 10},
                }
            ],
            "tags": [{"key": "team", "value": "web"}],
        },
    )


# -- property: whatever botocore accepts, serialized as botocore sends it, passes -------------

MODEL = load_ecs_model()
SERIALIZER = create_serializer("json", include_validation=False)
PROPERTY_OPERATIONS = [
    "CreateCluster",
    "RegisterTaskDefinition",
    "CreateService",
    "UpdateService",
    "DescribeServices",
    "DescribeTasks",
    "ListTasks",
    "TagResource",
]
MAX_DEPTH = 5


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values botocore would accept for `shape` (bounded in depth and size)."""
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        required = {name: values(shape.members[name], depth + 1) for name in shape.required_members}
        optional = (
            {}
            if depth >= MAX_DEPTH
            else {
                name: values(member, depth + 1)
                for name, member in shape.members.items()
                if name not in shape.required_members
            }
        )
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(shape, ListShape):
        # botocore does not check a list's "max" client-side; ECS (and the simulator) does.
        low = meta.get("min", 0)
        high = min(meta.get("max", 3), max(low, 3))
        return st.lists(values(shape.member, depth + 1), min_size=low, max_size=high)
    if isinstance(shape, MapShape):
        return st.dictionaries(
            values(shape.key, depth + 1), values(shape.value, depth + 1), max_size=2
        )
    kind = shape.type_name
    if kind == "string":
        if meta.get("enum"):
            return st.sampled_from(meta["enum"])
        low = meta.get("min", 0)
        return st.text(min_size=low, max_size=min(meta.get("max", 20), low + 20))
    if kind in ("integer", "long"):
        return st.integers(meta.get("min", -(2**31)), meta.get("max", 2**31 - 1))
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 2**31)
    if kind == "blob":
        return st.binary(max_size=8)
    raise AssertionError(f"no strategy for {kind}")


def wire_body(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON body botocore puts on the wire for these parameters."""
    request = SERIALIZER.serialize_to_request(params, MODEL.operation_model(operation))
    body: dict[str, Any] = json.loads(request["body"] or b"{}")
    return body


def within_batch_limits(operation: str, params: dict[str, Any]) -> bool:
    limits = [(member, limit) for (op, member), limit in BATCH_LIMITS.items() if op == operation]
    return all(
        0 < len(params.get(member) or []) <= limit.max_items
        or (not params.get(member) and limit.empty_message is None)
        for member, limit in limits
    )


@pytest.mark.parametrize("operation", PROPERTY_OPERATIONS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_what_botocore_accepts_the_simulator_accepts(operation: str, data: st.DataObject) -> None:
    """A request that passes botocore's client-side validation passes the simulator's."""
    shape = MODEL.operation_model(operation).input_shape
    assert shape is not None
    params = data.draw(values(shape))
    assume(not ParamValidator().validate(params, shape).has_errors())
    assume(within_batch_limits(operation, params))
    RequestValidator(MODEL).validate(operation, wire_body(operation, params))
