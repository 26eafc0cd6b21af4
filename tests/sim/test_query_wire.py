"""ELBv2, CloudWatch and STS share the simulator's port over the AWS query protocol: routing,
form parameters, XML answers and errors as botocore reads them, faults and call counting."""

from __future__ import annotations

import datetime
import io
import time
from typing import Any

import aiohttp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire import query
from ecsdeploy.sim._wire.validation import load_model

pytestmark = pytest.mark.anyio

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


async def raw_post(sim: Simulator, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            sim.endpoint_url + "/", data=io.BytesIO(body.encode()), headers=headers
        ) as response,
    ):
        return response.status, await response.text()


def round_trip_params(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """`params` serialized by botocore's query serializer, then parsed by the simulator."""
    model = load_model(service).operation_model(operation)
    serialized = QuerySerializer().serialize_to_request(params, model)
    form = {key: str(value) for key, value in serialized["body"].items()}
    return query.parse_params(model, form)


def round_trip_answer(service: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` rendered as the simulator's XML answer, then parsed by botocore's query parser."""
    model = load_model(service).operation_model(operation)
    response = query.xml_response(model, body)
    assert response.body is not None
    assert model.output_shape is not None
    parsed: dict[str, Any] = QueryParser().parse(
        {"body": response.body, "headers": dict(response.headers), "status_code": 200},
        model.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_query_parameters_read_lists_maps_and_nested_structures() -> None:
    """What botocore serializes (member lists, nested structures, numbers, booleans) reads back
    as the same typed values."""
    params = {
        "Name": "web",
        "Protocol": "HTTP",
        "Port": 80,
        "VpcId": "vpc-1",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 10,
        "Matcher": {"HttpCode": "200-299"},
        "Tags": [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "prod"}],
    }
    assert round_trip_params("elbv2", "CreateTargetGroup", params) == params


def test_query_parameters_read_timestamps_doubles_and_empty_lists() -> None:
    """ISO 8601 timestamps become epoch seconds, doubles stay doubles, an empty list stays
    an empty list."""
    params = {
        "AlarmName": "web-5xx",
        "Threshold": 1.5,
        "EvaluationPeriods": 2,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [],
        "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}],
    }
    assert round_trip_params("cloudwatch", "PutMetricAlarm", params) == params
    history = round_trip_params(
        "cloudwatch",
        "DescribeAlarmHistory",
        {"StartDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)},
    )
    assert history == {"StartDate": 1_767_225_600.0}


def test_xml_answers_parse_back_through_botocore() -> None:
    """Nested lists, structures, timestamps, doubles and booleans survive the XML answer."""
    body = {
        "MetricAlarms": [
            {
                "AlarmName": "web-5xx",
                "ActionsEnabled": True,
                "StateValue": "ALARM",
                "StateReason": "5xx > 1% <now>",
                "StateUpdatedTimestamp": 1_767_225_600.0,
                "Threshold": 1.5,
                "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}],
                "AlarmActions": [],
            }
        ],
        "NextToken": "t1",
    }
    parsed = round_trip_answer("cloudwatch", "DescribeAlarms", body)
    [alarm] = parsed["MetricAlarms"]
    assert alarm["StateUpdatedTimestamp"] == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert (alarm["Threshold"], alarm["ActionsEnabled"]) == (1.5, True)
    assert alarm["StateReason"] == "5xx > 1% <now>"
    assert alarm["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/web/1"}]
    assert parsed["NextToken"] == "t1"


async def test_operation_not_simulated_is_an_xml_invalid_action(sim: Simulator) -> None:
    """An ELBv2 action the simulator lacks reaches ELBv2 by the signing name and is refused
    with an error botocore parses from the XML."""
    async with new_session().client(
        "elbv2", config=Config(retries={"total_max_attempts": 1}), **sim.client_kwargs()
    ) as elbv2:
        with pytest.raises(ClientError) as raised:
            await elbv2.describe_ssl_policies()
    assert raised.value.response["Error"]["Code"] == "InvalidAction"
    assert sim.stats()["calls"] == {"elbv2:DescribeSSLPolicies": 1}


async def test_classic_elb_signed_like_elbv2_is_refused_not_answered_as_elbv2(
    sim: Simulator,
) -> None:
    """Classic ELB (API version 2012-06-01) signs with ELBv2's name: its DescribeLoadBalancers
    is InvalidAction for that version, not ELBv2's answer read as an empty classic list."""
    async with new_session().client(
        "elb", config=Config(retries={"total_max_attempts": 1}), **sim.client_kwargs()
    ) as elb:
        with pytest.raises(ClientError) as raised:
            await elb.describe_load_balancers()
    assert raised.value.response["Error"]["Code"] == "InvalidAction"
    assert "for version 2012-06-01" in raised.value.response["Error"]["Message"]


async def test_unsigned_form_is_routed_by_its_api_version(sim: Simulator) -> None:
    """Without a signature the form's Version picks the service; an Action it does not have
    is InvalidAction in an <ErrorResponse> of that service's namespace."""
    status, body = await raw_post(sim, "Action=LaunchRocket&Version=2011-06-15", FORM)
    assert status == 400
    assert "<Code>InvalidAction</Code>" in body
    assert 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in body
    assert "Could not find operation LaunchRocket for version 2011-06-15" in body


async def test_missing_required_parameter_is_a_validation_error(sim: Simulator) -> None:
    """A required member left out is ValidationError in Coral's words, before any backend."""
    status, body = await raw_post(sim, "Action=DescribeTargetHealth&Version=2015-12-01", FORM)
    assert status == 400
    assert "<Code>ValidationError</Code>" in body
    assert "Value null at 'targetGroupArn' failed to satisfy constraint" in body


async def test_throttling_fault_is_query_throttling_and_counted(sim: Simulator) -> None:
    """An injected ThrottlingException reaches a query client as Throttling and is counted
    under the service-qualified operation."""
    sim.add_rule({"operation": "elbv2:DescribeSSLPolicies", "error": "ThrottlingException"})
    async with new_session().client(
        "elbv2", config=Config(retries={"total_max_attempts": 1}), **sim.client_kwargs()
    ) as elbv2:
        with pytest.raises(ClientError) as raised:
            await elbv2.describe_ssl_policies()
    assert raised.value.response["Error"] == {
        "Type": "Sender",
        "Code": "Throttling",
        "Message": "Rate exceeded",
    }
    stats = sim.stats()
    assert stats["calls"] == {"elbv2:DescribeSSLPolicies": 1}
    assert stats["throttled"] == {"elbv2:DescribeSSLPolicies": 1}


async def test_reset_and_latency_faults_apply_to_query_operations(sim: Simulator) -> None:
    """reset drops an STS call's connection; latency delays the next one by wall-clock time
    before it is answered normally."""
    sim.add_rule({"operation": "sts:GetCallerIdentity", "error": "reset", "count": 1})
    sim.add_rule(
        {"operation": "sts:GetCallerIdentity", "error": "latency", "seconds": 0.3, "count": 1}
    )
    async with new_session().client(
        "sts", config=Config(retries={"total_max_attempts": 1}), **sim.client_kwargs()
    ) as sts:
        with pytest.raises(ConnectionClosedError):
            await sts.get_caller_identity()
        started = time.monotonic()
        assert (await sts.get_caller_identity())["Account"] == "123456789012"
        assert time.monotonic() - started >= 0.3
    assert sim.stats()["calls"] == {"sts:GetCallerIdentity": 2}


async def test_server_fault_is_internal_failure(sim: Simulator) -> None:
    """An injected ServerException is a 500 InternalFailure for a query service."""
    sim.add_rule({"operation": "*", "error": "ServerException"})
    status, body = await raw_post(sim, "Action=DescribeSSLPolicies&Version=2015-12-01", FORM)
    assert status == 500
    assert "<Type>Receiver</Type><Code>InternalFailure</Code>" in body


async def test_fault_rule_naming_an_unqualified_query_operation_is_refused(
    sim: Simulator,
) -> None:
    """Fault rules name ELBv2, CloudWatch and STS operations with their service prefix only."""
    with pytest.raises(ValueError, match="operation"):
        sim.add_rule({"operation": "DescribeTargetHealth", "error": "ThrottlingException"})
    sim.add_rule({"operation": "elbv2:DescribeTargetHealth", "error": "ThrottlingException"})


async def test_access_denied_fault_is_each_services_iam_refusal(sim: Simulator) -> None:
    """An AccessDenied rule answers ECS with AccessDeniedException and ELBv2 with a 403
    AccessDenied, both naming the IAM action the caller lacks."""
    sim.add_rule({"operation": "DescribeServiceDeployments", "error": "AccessDenied"})
    sim.add_rule({"operation": "elbv2:DescribeTargetGroups", "error": "AccessDenied"})
    config = Config(retries={"total_max_attempts": 1})
    async with (
        new_session().client("ecs", config=config, **sim.client_kwargs()) as ecs,
        new_session().client("elbv2", config=config, **sim.client_kwargs()) as elbv2,
    ):
        with pytest.raises(ClientError) as denied_ecs:
            await ecs.describe_service_deployments(serviceDeploymentArns=["arn:x"])
        with pytest.raises(ClientError) as denied_elb:
            await elbv2.describe_target_groups()
    ecs_error = denied_ecs.value.response
    assert ecs_error["Error"]["Code"] == "AccessDeniedException"
    assert ecs_error["Error"]["Message"].startswith(
        "User: arn:aws:iam::123456789012:user/ecsdeploy-sim is not authorized to perform: "
        "ecs:DescribeServiceDeployments"
    )
    elb_error = denied_elb.value.response
    assert (elb_error["Error"]["Code"], elb_error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDenied",
        403,
    )
    assert "elasticloadbalancing:DescribeTargetGroups" in elb_error["Error"]["Message"]
