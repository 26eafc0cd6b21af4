"""ELBv2 on the simulator through aioboto3: load balancers, target groups and attributes,
listeners and weighted rules, target registration and health on the simulated clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from tests.sim.aws_cli import AWS, aws_env
from tests.sim.conftest import NO_RETRIES

pytestmark = pytest.mark.anyio

SUBNETS = ["subnet-0aa", "subnet-0bb"]
VPC = "vpc-0123"


@pytest.fixture
async def elbv2(sim: Simulator) -> AsyncIterator[Any]:
    """An aioboto3 ELBv2 client to `sim` on a stopped clock, retries off."""
    sim.clock.speed = 0
    async with new_session().client("elbv2", config=NO_RETRIES, **sim.client_kwargs()) as client:
        yield client


async def create_target_group(elbv2: Any, name: str = "web", **settings: Any) -> str:
    answer = await elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip", **settings
    )
    arn: str = answer["TargetGroups"][0]["TargetGroupArn"]
    return arn


async def create_listener(elbv2: Any, target_group: str, *, name: str = "web-alb") -> str:
    balancer = (await elbv2.create_load_balancer(Name=name, Subnets=SUBNETS))["LoadBalancers"][0]
    listener = await elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )
    arn: str = listener["Listeners"][0]["ListenerArn"]
    return arn


async def health(elbv2: Any, target_group: str, **filters: Any) -> list[tuple[Any, ...]]:
    """(id, port, state, reason) of each target DescribeTargetHealth reports."""
    answer = await elbv2.describe_target_health(TargetGroupArn=target_group, **filters)
    return [
        (
            d["Target"]["Id"],
            d["Target"]["Port"],
            d["TargetHealth"]["State"],
            d["TargetHealth"].get("Reason"),
        )
        for d in answer["TargetHealthDescriptions"]
    ]


async def test_load_balancer_is_provisioning_then_active(sim: Simulator, elbv2: Any) -> None:
    """CreateLoadBalancer answers a provisioning ALB in the given subnets; it is active 30
    simulated seconds later and found by name and by ARN."""
    created = (await elbv2.create_load_balancer(Name="web-alb", Subnets=SUBNETS))["LoadBalancers"][
        0
    ]
    assert created["State"]["Code"] == "provisioning"
    assert created["Type"] == "application"
    assert created["Scheme"] == "internet-facing"
    assert [zone["SubnetId"] for zone in created["AvailabilityZones"]] == SUBNETS
    assert created["LoadBalancerArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/"
    )
    await sim.advance(30)
    by_name = await elbv2.describe_load_balancers(Names=["web-alb"])
    by_arn = await elbv2.describe_load_balancers(LoadBalancerArns=[created["LoadBalancerArn"]])
    assert by_name["LoadBalancers"][0]["State"]["Code"] == "active"
    assert by_arn["LoadBalancers"][0]["LoadBalancerName"] == "web-alb"


async def test_unknown_load_balancer_is_load_balancer_not_found(elbv2: Any) -> None:
    """Describing a load balancer that does not exist is LoadBalancerNotFound."""
    with pytest.raises(elbv2.exceptions.LoadBalancerNotFoundException) as raised:
        await elbv2.describe_load_balancers(Names=["nope"])
    assert raised.value.response["Error"]["Message"] == "One or more load balancers not found"


async def test_target_group_has_elb_defaults_and_settings(elbv2: Any) -> None:
    """CreateTargetGroup keeps the health-check settings given and ELB's defaults for the
    rest; DescribeTargetGroups finds it by name."""
    arn = await create_target_group(elbv2, HealthCheckIntervalSeconds=10, HealthCheckPath="/up")
    [group] = (await elbv2.describe_target_groups(Names=["web"]))["TargetGroups"]
    assert group["TargetGroupArn"] == arn
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckPath"]) == (10, "/up")
    assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]) == (5, 2)
    assert (group["HealthCheckTimeoutSeconds"], group["Matcher"]) == (5, {"HttpCode": "200"})
    assert (group["TargetType"], group["LoadBalancerArns"]) == ("ip", [])


async def test_same_name_with_other_settings_is_duplicate_target_group_name(
    elbv2: Any,
) -> None:
    """A second target group of one name but another port is refused; the same settings
    answer the existing one."""
    arn = await create_target_group(elbv2)
    assert await create_target_group(elbv2) == arn
    with pytest.raises(ClientError) as raised:
        await elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=VPC)
    assert raised.value.response["Error"]["Code"] == "DuplicateTargetGroupName"


async def test_a_refused_modify_target_group_changes_nothing(elbv2: Any) -> None:
    """ModifyTargetGroup with a timeout not below the interval is a ValidationError, and the
    target group keeps every setting it had (the valid ones of the request included)."""
    arn = await create_target_group(elbv2)
    with pytest.raises(ClientError) as raised:
        await elbv2.modify_target_group(
            TargetGroupArn=arn, HealthCheckPath="/ready", HealthCheckTimeoutSeconds=40
        )
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    [group] = (await elbv2.describe_target_groups(TargetGroupArns=[arn]))["TargetGroups"]
    assert (group["HealthCheckTimeoutSeconds"], group["HealthCheckPath"]) == (5, "/")


async def test_deregistration_delay_is_a_target_group_attribute(elbv2: Any) -> None:
    """deregistration_delay.timeout_seconds defaults to 300 and is set with
    ModifyTargetGroupAttributes; a value outside 0..3600 is a ValidationError."""
    arn = await create_target_group(elbv2)

    async def delay() -> str:
        attributes = (await elbv2.describe_target_group_attributes(TargetGroupArn=arn))[
            "Attributes"
        ]
        return str(
            next(
                a["Value"] for a in attributes if a["Key"] == "deregistration_delay.timeout_seconds"
            )
        )

    assert await delay() == "300"
    await elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
    )
    assert await delay() == "5"
    with pytest.raises(ClientError) as raised:
        await elbv2.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "9000"}],
        )
    assert raised.value.response["Error"]["Code"] == "ValidationError"


async def test_listener_forwards_and_ties_the_target_group_to_its_load_balancer(
    elbv2: Any,
) -> None:
    """CreateListener's forward action is described with its ForwardConfig, and the target
    group lists the load balancer."""
    group = await create_target_group(elbv2)
    listener_arn = await create_listener(elbv2, group)
    [listener] = (await elbv2.describe_listeners(ListenerArns=[listener_arn]))["Listeners"]
    [action] = listener["DefaultActions"]
    assert action["TargetGroupArn"] == group
    assert action["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": group, "Weight": 1}]
    [described] = (await elbv2.describe_target_groups(TargetGroupArns=[group]))["TargetGroups"]
    assert described["LoadBalancerArns"] == [listener["LoadBalancerArn"]]
    with pytest.raises(ClientError) as raised:
        await elbv2.create_listener(
            LoadBalancerArn=listener["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )
    assert raised.value.response["Error"]["Code"] == "DuplicateListener"


async def test_weighted_rules_shift_traffic_between_target_groups(elbv2: Any) -> None:
    """A rule forwarding to blue and green by weight is created, described, and re-weighted
    with ModifyRule; ModifyListener switches the default action."""
    blue = await create_target_group(elbv2, "blue")
    green = await create_target_group(elbv2, "green")
    listener = await create_listener(elbv2, blue)

    def weighted(blue_weight: int, green_weight: int) -> list[dict[str, Any]]:
        return [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": blue, "Weight": blue_weight},
                        {"TargetGroupArn": green, "Weight": green_weight},
                    ]
                },
            }
        ]

    rule = (
        await elbv2.create_rule(
            ListenerArn=listener,
            Priority=10,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=weighted(90, 10),
        )
    )["Rules"][0]
    await elbv2.modify_rule(RuleArn=rule["RuleArn"], Actions=weighted(0, 100))
    rules = (await elbv2.describe_rules(ListenerArn=listener))["Rules"]
    assert [(r["Priority"], r["IsDefault"]) for r in rules] == [("10", False), ("default", True)]
    shifted = rules[0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert shifted == [
        {"TargetGroupArn": blue, "Weight": 0},
        {"TargetGroupArn": green, "Weight": 100},
    ]
    await elbv2.modify_listener(
        ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": green}]
    )
    [described] = (await elbv2.describe_listeners(ListenerArns=[listener]))["Listeners"]
    assert described["DefaultActions"][0]["TargetGroupArn"] == green


async def test_rule_errors_use_elb_codes(elbv2: Any) -> None:
    """A taken priority is PriorityInUse, the default rule cannot be deleted, an unknown rule
    is RuleNotFound."""
    group = await create_target_group(elbv2)
    listener = await create_listener(elbv2, group)
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    condition = [{"Field": "path-pattern", "Values": ["/api/*"]}]
    await elbv2.create_rule(ListenerArn=listener, Priority=5, Conditions=condition, Actions=forward)
    default = (await elbv2.describe_rules(ListenerArn=listener))["Rules"][-1]["RuleArn"]
    attempts = [
        (
            elbv2.create_rule(
                ListenerArn=listener, Priority=5, Conditions=condition, Actions=forward
            ),
            "PriorityInUse",
        ),
        (elbv2.delete_rule(RuleArn=default), "OperationNotPermitted"),
        (elbv2.describe_rules(RuleArns=[default + "0"]), "RuleNotFound"),
    ]
    for attempt, code in attempts:
        with pytest.raises(ClientError) as raised:
            await attempt
        assert raised.value.response["Error"]["Code"] == code


async def test_registered_target_turns_healthy_after_the_healthy_threshold(
    sim: Simulator, elbv2: Any
) -> None:
    """A registered target is initial (registration, then initial checks) until
    interval x HealthyThresholdCount simulated seconds have passed, then healthy."""
    group = await create_target_group(elbv2, HealthCheckIntervalSeconds=10, HealthyThresholdCount=3)
    await create_listener(elbv2, group)
    await elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.0.7"}])
    assert await health(elbv2, group) == [("10.0.0.7", 80, "initial", "Elb.RegistrationInProgress")]
    await sim.advance(10)
    assert await health(elbv2, group) == [("10.0.0.7", 80, "initial", "Elb.InitialHealthChecking")]
    await sim.advance(19)
    assert (await health(elbv2, group))[0][2] == "initial"
    await sim.advance(1)
    assert await health(elbv2, group) == [("10.0.0.7", 80, "healthy", None)]


async def test_deregistered_target_drains_for_the_delay_then_is_not_registered(
    sim: Simulator, elbv2: Any
) -> None:
    """DeregisterTargets leaves the target draining for deregistration_delay, then asking for
    it answers unused / Target.NotRegistered."""
    group = await create_target_group(elbv2)
    await elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}],
    )
    await create_listener(elbv2, group)
    target = {"Id": "10.0.0.8", "Port": 8080}
    await elbv2.register_targets(TargetGroupArn=group, Targets=[target])
    await sim.advance(300)
    await elbv2.deregister_targets(TargetGroupArn=group, Targets=[target])
    assert await health(elbv2, group) == [
        ("10.0.0.8", 8080, "draining", "Target.DeregistrationInProgress")
    ]
    await sim.advance(20)
    assert await health(elbv2, group) == []
    assert await health(elbv2, group, Targets=[target]) == [
        ("10.0.0.8", 8080, "unused", "Target.NotRegistered")
    ]
    with pytest.raises(ClientError) as raised:
        await elbv2.deregister_targets(TargetGroupArn=group, Targets=[target])
    assert raised.value.response["Error"]["Code"] == "InvalidTarget"


async def test_target_of_a_group_no_load_balancer_uses_is_unused_until_one_does(
    sim: Simulator, elbv2: Any
) -> None:
    """Without a listener forwarding to its group a target is unused (Target.NotInUse); a
    listener starts its health checks."""
    group = await create_target_group(elbv2)
    await elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.0.9"}])
    assert await health(elbv2, group) == [("10.0.0.9", 80, "unused", "Target.NotInUse")]
    await create_listener(elbv2, group)
    assert await health(elbv2, group) == [("10.0.0.9", 80, "initial", "Elb.RegistrationInProgress")]


async def test_bad_targets_and_unknown_groups_are_refused(elbv2: Any) -> None:
    """A non-IP id in an ip target group is InvalidTarget; an unknown target group is
    TargetGroupNotFound."""
    group = await create_target_group(elbv2)
    with pytest.raises(ClientError) as raised:
        await elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "i-0abc"}])
    assert raised.value.response["Error"]["Code"] == "InvalidTarget"
    with pytest.raises(elbv2.exceptions.TargetGroupNotFoundException):
        await elbv2.describe_target_health(TargetGroupArn=group + "0")


async def test_elbv2_endpoint_from_environment_variable(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 points an unmodified client at the simulator."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", sim.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "anything")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anything")
    async with new_session().client("elbv2", region_name="eu-west-1") as client:
        await client.create_target_group(Name="env", Protocol="HTTP", Port=80, VpcId=VPC)
        [group] = (await client.describe_target_groups())["TargetGroups"]
    assert ":eu-west-1:" in group["TargetGroupArn"]
    assert sim.stats()["calls"] == {
        "elbv2:CreateTargetGroup": 1,
        "elbv2:DescribeTargetGroups": 1,
    }


async def test_aws_cli_reads_target_health(sim: Simulator, elbv2: Any) -> None:
    """``aws elbv2 describe-target-health`` parses the simulator's XML answer."""
    group = await create_target_group(elbv2)
    await create_listener(elbv2, group)
    await elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.0.7"}])
    env = {**aws_env(sim), "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": sim.endpoint_url}
    argv = [AWS, "elbv2", "describe-target-health", "--target-group-arn", group]
    with anyio.fail_after(20):
        result = await anyio.run_process([*argv, "--output", "json"], env=env)
    [description] = json.loads(result.stdout)["TargetHealthDescriptions"]
    assert description["Target"] == {"Id": "10.0.0.7", "Port": 80}
    assert description["TargetHealth"]["Reason"] == "Elb.RegistrationInProgress"


async def test_target_group_defaults_agree_with_moto(elbv2: Any, moto_ecs_url: str) -> None:
    """CreateTargetGroup's defaults for an HTTP ip target group are moto's too."""
    kwargs = {"config": NO_RETRIES, "region_name": "us-east-1"}
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    async with (
        new_session().client("ec2", endpoint_url=moto_ecs_url, **kwargs, **credentials) as ec2,
        new_session().client("elbv2", endpoint_url=moto_ecs_url, **kwargs, **credentials) as moto,
    ):
        vpc = (await ec2.create_vpc(CidrBlock="10.0.0.0/16"))["Vpc"]["VpcId"]
        await moto.create_target_group(
            Name="conformance", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
        )
        [theirs] = (await moto.describe_target_groups(Names=["conformance"]))["TargetGroups"]
    await create_target_group(elbv2, "conformance")
    [ours] = (await elbv2.describe_target_groups(Names=["conformance"]))["TargetGroups"]
    compared = (
        "Protocol",
        "Port",
        "HealthCheckProtocol",
        "HealthCheckPort",
        "HealthCheckEnabled",
        "HealthCheckIntervalSeconds",
        "HealthCheckTimeoutSeconds",
        "HealthyThresholdCount",
        "UnhealthyThresholdCount",
        "HealthCheckPath",
        "Matcher",
        "TargetType",
    )
    assert {key: ours.get(key) for key in compared} == {key: theirs.get(key) for key in compared}


async def test_service_behind_a_target_group_from_the_python_api(
    sim: Simulator, elbv2: Any
) -> None:
    """`Simulator.create_target_group` gives a target group a service can use at once; an
    elb_unhealthy rule makes its tasks' targets fail, and ECS stops them for it."""
    group = sim.create_target_group("api", health_check_interval=5, unhealthy_threshold=2)
    sim.add_rule({"image": "myorg/api:bad", "behavior": "elb_unhealthy"})
    async with new_session().client("ecs", config=NO_RETRIES, **sim.client_kwargs()) as ecs:
        await ecs.create_cluster(clusterName="lb")
        await ecs.register_task_definition(
            family="api",
            networkMode="awsvpc",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "myorg/api:bad",
                    "memory": 256,
                    "portMappings": [{"containerPort": 80}],
                }
            ],
        )
        await ecs.create_service(
            cluster="lb",
            serviceName="api",
            taskDefinition="api",
            desiredCount=1,
            networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": 80}],
        )
        await sim.advance(10 + 5 * 2)
        [(_, port, state, reason)] = await health(elbv2, group)
        assert (port, state, reason) == (80, "draining", "Target.DeregistrationInProgress")
        stopped = await ecs.list_tasks(cluster="lb", desiredStatus="STOPPED")
        [task] = (await ecs.describe_tasks(cluster="lb", tasks=stopped["taskArns"]))["tasks"]
    assert task["stoppedReason"] == f"Task failed ELB health checks in (target-group {group})"
