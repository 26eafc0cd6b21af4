"""CloudWatch alarms on the simulator through aioboto3: PutMetricAlarm, DescribeAlarms (names,
prefix, state, paging), SetAlarmState (which fails the ECS deployments the alarm watches) and
DeleteAlarms."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator, Timings
from tests.sim.aws_cli import AWS, aws_env
from tests.sim.conftest import NO_RETRIES

pytestmark = pytest.mark.anyio

ALARM = "web-5xx"


@pytest.fixture
async def cloudwatch(sim: Simulator) -> AsyncIterator[Any]:
    """An aioboto3 CloudWatch client to `sim` on a stopped clock, retries off."""
    sim.clock.speed = 0
    async with new_session().client(
        "cloudwatch", config=NO_RETRIES, **sim.client_kwargs()
    ) as client:
        yield client


async def put_alarm(cloudwatch: Any, name: str = ALARM, **extra: Any) -> None:
    await cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/web/1"}],
        Period=60,
        EvaluationPeriods=2,
        Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        **extra,
    )


async def describe(cloudwatch: Any, **filters: Any) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = (await cloudwatch.describe_alarms(**filters))["MetricAlarms"]
    return alarms


async def test_put_metric_alarm_creates_an_alarm_with_insufficient_data(
    sim: Simulator, cloudwatch: Any
) -> None:
    """A new alarm is described with its configuration, its ARN and the state of a new alarm."""
    await put_alarm(cloudwatch, AlarmDescription="5xx from the web ALB")
    [alarm] = await describe(cloudwatch, AlarmNames=[ALARM])
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{ALARM}"
    assert (alarm["StateValue"], alarm["StateReason"]) == (
        "INSUFFICIENT_DATA",
        "Unchecked: Initial alarm creation",
    )
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["Period"]) == (5.0, 2, 60)
    assert alarm["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/web/1"}]
    assert alarm["AlarmDescription"] == "5xx from the web ALB"
    assert alarm["StateUpdatedTimestamp"].timestamp() == pytest.approx(sim.clock.now(), abs=0.01)


async def test_setting_the_state_an_alarm_has_moves_only_its_update_time(
    sim: Simulator, cloudwatch: Any
) -> None:
    """ALARM set again later: StateUpdatedTimestamp moves, StateTransitionedTimestamp stays at
    the transition into ALARM; a change to OK moves both."""
    await put_alarm(cloudwatch)
    await cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="7 > 5")
    went_into_alarm = sim.clock.now()
    await sim.advance(60)
    await cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="9 > 5")
    [alarm] = await describe(cloudwatch, AlarmNames=[ALARM])
    assert alarm["StateTransitionedTimestamp"].timestamp() == pytest.approx(
        went_into_alarm, abs=0.01
    )
    assert alarm["StateUpdatedTimestamp"].timestamp() == pytest.approx(sim.clock.now(), abs=0.01)
    await sim.advance(60)
    await cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="2 < 5")
    [alarm] = await describe(cloudwatch, AlarmNames=[ALARM])
    assert alarm["StateTransitionedTimestamp"].timestamp() == pytest.approx(
        sim.clock.now(), abs=0.01
    )


async def test_set_alarm_state_is_described_back(cloudwatch: Any) -> None:
    """SetAlarmState changes the state and reason DescribeAlarms reports; StateValue filters."""
    await put_alarm(cloudwatch)
    await put_alarm(cloudwatch, "web-latency")
    await cloudwatch.set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason="Threshold Crossed: 7 > 5"
    )
    [alarm] = await describe(cloudwatch, StateValue="ALARM")
    assert (alarm["AlarmName"], alarm["StateReason"]) == (ALARM, "Threshold Crossed: 7 > 5")
    assert [a["AlarmName"] for a in await describe(cloudwatch, StateValue="INSUFFICIENT_DATA")] == [
        "web-latency"
    ]


async def test_describe_alarms_by_prefix_and_in_pages(cloudwatch: Any) -> None:
    """AlarmNamePrefix selects, MaxRecords pages with NextToken, in name order."""
    for name in ("web-c", "web-a", "api-a", "web-b"):
        await put_alarm(cloudwatch, name)
    first = await cloudwatch.describe_alarms(AlarmNamePrefix="web-", MaxRecords=2)
    second = await cloudwatch.describe_alarms(
        AlarmNamePrefix="web-", MaxRecords=2, NextToken=first["NextToken"]
    )
    assert [a["AlarmName"] for a in first["MetricAlarms"]] == ["web-a", "web-b"]
    assert [a["AlarmName"] for a in second["MetricAlarms"]] == ["web-c"]
    assert "NextToken" not in second


async def test_describe_alarms_errors(cloudwatch: Any) -> None:
    """A made-up NextToken is InvalidNextToken; names and a prefix together are refused."""
    with pytest.raises(ClientError) as raised:
        await cloudwatch.describe_alarms(NextToken="not-a-token")
    assert raised.value.response["Error"]["Code"] == "InvalidNextToken"
    with pytest.raises(ClientError) as raised:
        await cloudwatch.describe_alarms(AlarmNames=["a"], AlarmNamePrefix="a")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterCombination"


async def test_unknown_alarms_are_resource_not_found(cloudwatch: Any) -> None:
    """SetAlarmState and DeleteAlarms on an alarm that does not exist are ResourceNotFound."""
    for attempt in (
        cloudwatch.set_alarm_state(AlarmName="ghost", StateValue="OK", StateReason="test"),
        cloudwatch.delete_alarms(AlarmNames=["ghost"]),
    ):
        with pytest.raises(cloudwatch.exceptions.ResourceNotFound):
            await attempt


async def test_delete_alarms_forgets_them(sim: Simulator, cloudwatch: Any) -> None:
    """Deleted alarms are no longer described, and no deployment reads their old state."""
    await put_alarm(cloudwatch)
    await cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test")
    await cloudwatch.delete_alarms(AlarmNames=[ALARM])
    assert await describe(cloudwatch) == []
    assert sim.backend.alarms.get(ALARM).state == "INSUFFICIENT_DATA"


async def test_alarm_set_through_the_simulator_is_described(
    sim: Simulator, cloudwatch: Any
) -> None:
    """An alarm only set with `Simulator.set_alarm` is described with that state."""
    sim.set_alarm("queue-depth", "ALARM", "set by the test")
    [alarm] = await describe(cloudwatch)
    assert (alarm["AlarmName"], alarm["StateValue"]) == ("queue-depth", "ALARM")
    assert alarm["StateReason"] == "set by the test"


async def test_set_alarm_state_fails_and_rolls_back_the_watched_deployment(
    sim: Simulator, cloudwatch: Any
) -> None:
    """SetAlarmState over the wire is the alarm ECS's deployment alarms read: the deployment
    it watches fails and ECS rolls it back."""
    await put_alarm(cloudwatch)
    async with new_session().client("ecs", config=NO_RETRIES, **sim.client_kwargs()) as ecs:
        await ecs.create_cluster(clusterName="cw")
        for image in ("myorg/web:1", "myorg/web:2"):
            await ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "app", "image": image, "memory": 256}]
            )
        await ecs.create_service(
            cluster="cw",
            serviceName="web",
            taskDefinition="web:1",
            desiredCount=1,
            deploymentConfiguration={
                "alarms": {"alarmNames": [ALARM], "enable": True, "rollback": True}
            },
        )
        await sim.advance(60 + Timings().alarm_bake_time + 60)
        update = await ecs.update_service(cluster="cw", service="web", taskDefinition="web:2")
        failing = update["service"]["deployments"][0]["id"]
        await sim.advance(15)
        await cloudwatch.set_alarm_state(
            AlarmName=ALARM, StateValue="ALARM", StateReason="Threshold Crossed"
        )
        service = (await ecs.describe_services(cluster="cw", services=["web"]))["services"][0]
        failed = next(d for d in service["deployments"] if d["id"] == failing)
        assert failed["rolloutState"] == "FAILED"
        assert ALARM in failed["rolloutStateReason"]
        await sim.advance(Timings().rollback_delay)
        service = (await ecs.describe_services(cluster="cw", services=["web"]))["services"][0]
    assert service["taskDefinition"].endswith(":1")
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"


async def test_cloudwatch_endpoint_from_environment_variable(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_CLOUDWATCH points an unmodified client at the simulator."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", sim.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "anything")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anything")
    async with new_session().client("cloudwatch", region_name="eu-west-1") as client:
        await put_alarm(client)
        [alarm] = await describe(client)
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{ALARM}"
    assert sim.stats()["calls"] == {"cloudwatch:DescribeAlarms": 1, "cloudwatch:PutMetricAlarm": 1}


async def test_aws_cli_sets_and_describes_alarms(sim: Simulator, cloudwatch: Any) -> None:
    """``aws cloudwatch set-alarm-state`` and ``describe-alarms`` work against the simulator."""
    await put_alarm(cloudwatch)
    env = {**aws_env(sim), "AWS_ENDPOINT_URL_CLOUDWATCH": sim.endpoint_url}
    cli = [AWS, "cloudwatch"]
    with anyio.fail_after(30):
        set_state = await anyio.run_process(
            [*cli, "set-alarm-state", "--alarm-name", ALARM, "--state-value", "ALARM",
             "--state-reason", "from the CLI"],
            env=env, check=False,
        )  # fmt: skip
        assert set_state.returncode == 0, set_state.stderr.decode()
        result = await anyio.run_process(
            [*cli, "describe-alarms", "--alarm-names", ALARM, "--output", "json"], env=env
        )
    [alarm] = json.loads(result.stdout)["MetricAlarms"]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "from the CLI")
    assert sim.backend.alarms.get(ALARM).state == "ALARM"


async def test_describe_alarms_agrees_with_moto(cloudwatch: Any, moto_ecs_url: str) -> None:
    """The configuration DescribeAlarms echoes is moto's too (not the state: moto starts OK)."""
    # PutMetricAlarm's reference says a new alarm is INSUFFICIENT_DATA; moto starts it OK.
    kwargs = {"config": NO_RETRIES, "region_name": "us-east-1"}
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    async with new_session().client(
        "cloudwatch", endpoint_url=moto_ecs_url, **kwargs, **credentials
    ) as moto:
        await put_alarm(moto, "conformance")
        [theirs] = await describe(moto, AlarmNames=["conformance"])
    await put_alarm(cloudwatch, "conformance")
    [ours] = await describe(cloudwatch, AlarmNames=["conformance"])
    compared = (
        "AlarmName",
        "AlarmArn",
        "MetricName",
        "Namespace",
        "Statistic",
        "Dimensions",
        "Period",
        "EvaluationPeriods",
        "Threshold",
        "ComparisonOperator",
        "ActionsEnabled",
        "AlarmActions",
    )
    assert {key: ours.get(key) for key in compared} == {key: theirs.get(key) for key in compared}


async def json_post(sim: Simulator, operation: str, body: dict[str, Any]) -> tuple[int, Any, Any]:
    """A CloudWatch call as botocore 1.43+ and the AWS CLI send it: JSON 1.0, query mode."""
    headers = {
        "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}",
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-query-mode": "true",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.endpoint_url + "/", json=body, headers=headers) as response,
    ):
        return response.status, response.headers, await response.json(content_type=None)


async def test_json_protocol_of_newer_sdks_is_served(sim: Simulator, cloudwatch: Any) -> None:
    """CloudWatch over AWS JSON 1.0 answers JSON, and an error carries its query code in
    x-amzn-query-error, as botocore expects from a query-compatible service."""
    await put_alarm(cloudwatch)
    status, headers, body = await json_post(sim, "DescribeAlarms", {"AlarmNames": [ALARM]})
    assert (status, headers["Content-Type"]) == (200, "application/x-amz-json-1.0")
    assert body["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    assert isinstance(body["MetricAlarms"][0]["StateUpdatedTimestamp"], float)
    status, headers, body = await json_post(
        sim, "SetAlarmState", {"AlarmName": "ghost", "StateValue": "OK", "StateReason": "t"}
    )
    assert (status, headers["x-amzn-query-error"]) == (404, "ResourceNotFound;Sender")
    assert body["__type"] == "ResourceNotFound"
    assert sim.stats()["calls"]["cloudwatch:SetAlarmState"] == 1
