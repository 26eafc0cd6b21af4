"""ECS services behind ELBv2 target groups: registration as the ENI's IP, health on the target
group's timing, ELB-failed tasks stopped after the grace period and counted by the circuit
breaker, draining for the deregistration delay, and CreateService's checks."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._dynamics.rules import ContainerRule
from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim

INTERVAL = 10
HEALTHY = 3
UNHEALTHY = 2
AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


def behind_target_group(
    sim: Sim,
    image: str = "myorg/web:1",
    *,
    desired: int = 2,
    group: dict[str, Any] | None = None,
    **service: Any,
) -> str:
    """An awsvpc service of `desired` tasks behind a fresh target group (settings `group`
    over this module's defaults); returns the target group's ARN."""
    settings: dict[str, Any] = {
        "health_check_interval": INTERVAL,
        "healthy_threshold": HEALTHY,
        "unhealthy_threshold": UNHEALTHY,
        "deregistration_delay": 30,
        **(group or {}),
    }
    arn = sim.target_group(**settings)
    sim.create_service(
        sim.register(image, port=8080, networkMode="awsvpc"),
        desired=desired,
        networkConfiguration=AWSVPC,
        loadBalancers=[{"targetGroupArn": arn, "containerName": "app", "containerPort": 8080}],
        **service,
    )
    return arn


def target_health(sim: Sim, group: str) -> list[tuple[str, int, str, str | None]]:
    answer = sim.elb("DescribeTargetHealth", TargetGroupArn=group)
    return [
        (
            d["Target"]["Id"],
            d["Target"]["Port"],
            d["TargetHealth"]["State"],
            d["TargetHealth"].get("Reason"),
        )
        for d in answer["TargetHealthDescriptions"]
    ]


def eni_ips(tasks: list[dict[str, Any]]) -> set[str]:
    return {
        detail["value"]
        for task in tasks
        for attachment in task["attachments"]
        for detail in attachment["details"]
        if detail["name"] == "privateIPv4Address"
    }


def test_running_tasks_are_registered_as_their_eni_ip_and_container_port() -> None:
    """Once RUNNING (10 s), each awsvpc task is a target: its ENI's private IP, port
    containerPort, initial while its health checks run."""
    sim = Sim()
    group = behind_target_group(sim)
    sim.advance(10)
    health = target_health(sim, group)
    assert {ip for ip, _, _, _ in health} == eni_ips(sim.tasks())
    assert {(port, state) for _, port, state, _ in health} == {(8080, "initial")}


def test_deployment_completes_only_once_targets_are_healthy() -> None:
    """A task counts as healthy when its targets pass HealthyThresholdCount checks (here 90 s
    after RUNNING), not after ECS's 40 s: the rollout, and the service deployment's running
    count, wait for the load balancer."""
    sim = Sim()
    group = behind_target_group(sim, desired=1, group={"health_check_interval": 30})
    deployment = sim.service()["deployments"][0]["id"]
    sim.advance(10 + 40 + 1)
    assert sim.deployment(deployment)["rolloutState"] == "IN_PROGRESS"  # type: ignore[index]
    assert sim.deployment(deployment)["runningCount"] == 1  # type: ignore[index]
    assert revision_running(sim) == 0
    assert [state for _, _, state, _ in target_health(sim, group)] == ["initial"]
    sim.advance(10 + 90 - 51)
    assert [state for _, _, state, _ in target_health(sim, group)] == ["healthy"]
    assert sim.deployment(deployment)["rolloutState"] == "COMPLETED"  # type: ignore[index]
    assert revision_running(sim) == 1


def revision_running(sim: Sim) -> int:
    """runningTaskCount of the newest service deployment's target revision."""
    [brief] = sim.call("ListServiceDeployments", cluster="prod", service="webapp")[
        "serviceDeployments"
    ]
    [record] = sim.call(
        "DescribeServiceDeployments", serviceDeploymentArns=[brief["serviceDeploymentArn"]]
    )["serviceDeployments"]
    count: int = record["targetServiceRevision"]["runningTaskCount"]
    return count


def test_elb_unhealthy_tasks_are_stopped_and_trip_the_circuit_breaker() -> None:
    """Under an elb_unhealthy rule the container runs but its targets turn unhealthy
    (ResponseCodeMismatch); ECS stops each task with the ELB stop reason, counts it failed,
    and the circuit breaker rolls the deployment back."""
    sim = Sim()
    group = behind_target_group(
        sim, circuit_breaker=True, rollback=True, healthCheckGracePeriodSeconds=25
    )
    sim.advance(600)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "elb_unhealthy"})
    new_id = sim.update(
        taskDefinition=sim.register("myorg/web:bad", port=8080, networkMode="awsvpc")
    )
    sim.advance(10 + INTERVAL * UNHEALTHY)
    unhealthy = [h for h in target_health(sim, group) if h[2] == "unhealthy"]
    assert [reason for _, _, _, reason in unhealthy] == ["Target.ResponseCodeMismatch"] * 2
    description = sim.elb("DescribeTargetHealth", TargetGroupArn=group)
    assert {
        d["TargetHealth"].get("Description")
        for d in description["TargetHealthDescriptions"]
        if d["TargetHealth"]["State"] == "unhealthy"
    } == {"Health checks failed with these codes: [500]"}
    sim.advance(5)  # the grace period ends 25 s after the tasks started
    stopped = [t for t in sim.tasks(desired="STOPPED") if t["taskDefinitionArn"].endswith(":2")]
    assert len(stopped) == 2
    assert {t["stoppedReason"] for t in stopped} == {
        f"Task failed ELB health checks in (target-group {group})"
    }
    assert {t["stopCode"] for t in stopped} == {"ServiceSchedulerInitiated"}
    assert {c["lastStatus"] for t in stopped for c in t["containers"]} == {"RUNNING"}
    assert sim.deployment(new_id)["failedTasks"] == 2  # type: ignore[index]
    assert any(
        "is unhealthy in (target-group" in m and "Health checks failed with these codes: [500]" in m
        for m in sim.messages()
    )
    assert sim.run_until_settled(new_id)["rolloutState"] == "FAILED"
    sim.advance(Timings().rollback_delay)
    assert sim.service()["taskDefinition"].endswith(":1")


def test_grace_period_delays_the_elb_stop() -> None:
    """With healthCheckGracePeriodSeconds, a task whose targets are unhealthy keeps running
    until the grace period after it started is over."""
    sim = Sim()
    sim.backend.add_container_rule(
        {"image": "myorg/web:bad", "behavior": "elb_unhealthy", "reason": "Timeout"}
    )
    group = behind_target_group(sim, "myorg/web:bad", desired=1, healthCheckGracePeriodSeconds=120)
    sim.advance(10 + INTERVAL * UNHEALTHY)
    assert [h[2:] for h in target_health(sim, group)] == [("unhealthy", "Target.Timeout")]
    sim.advance(119 - INTERVAL * UNHEALTHY)
    assert [t["lastStatus"] for t in sim.tasks()] == ["RUNNING"]
    sim.advance(1)
    [task] = sim.tasks(desired="STOPPED")
    assert task["stoppedReason"] == f"Task failed ELB health checks in (target-group {group})"


def test_stopped_task_drains_for_the_target_groups_deregistration_delay() -> None:
    """A replaced task's target drains (Target.DeregistrationInProgress) while the task stays
    DEACTIVATING for the target group's delay; then the target is gone and the task stops."""
    sim = Sim()
    group = behind_target_group(sim, desired=1, group={"deregistration_delay": 45})
    sim.advance(600)
    [old_ip] = [ip for ip, _, _, _ in target_health(sim, group)]
    sim.update(taskDefinition=sim.register("myorg/web:2", port=8080, networkMode="awsvpc"))
    # The new task runs at 10 s and is healthy at 10 + 40 s (container) / 40 s (targets).
    sim.advance(50)
    states = {ip: (state, reason) for ip, _, state, reason in target_health(sim, group)}
    assert states[old_ip] == ("draining", "Target.DeregistrationInProgress")
    [old] = sim.tasks(desired="STOPPED")
    assert old["lastStatus"] == "DEACTIVATING"
    sim.advance(44)
    assert sim.tasks(desired="STOPPED")[0]["lastStatus"] == "DEACTIVATING"
    sim.advance(1)
    assert old_ip not in {ip for ip, _, _, _ in target_health(sim, group)}
    assert sim.tasks(desired="STOPPED")[0]["lastStatus"] == "STOPPING"


def _create_error(sim: Sim, entry: dict[str, Any], *, network_mode: str = "awsvpc") -> str:
    taskdef = sim.register("myorg/web:1", port=8080, networkMode=network_mode)
    with pytest.raises(EcsApiError) as raised:
        sim.create_service(
            taskdef,
            networkConfiguration=AWSVPC,
            loadBalancers=[{"containerName": "app", "containerPort": 8080, **entry}],
        )
    assert raised.value.code == "InvalidParameterException"
    assert sim.call("ListServices", cluster="prod")["serviceArns"] == []
    return raised.value.message


def test_create_service_refuses_target_groups_ecs_would_refuse() -> None:
    """An unknown target group, one without a load balancer, a port the container lacks and an
    instance target group for awsvpc are refused in ECS's words, creating nothing."""
    sim = Sim()
    unknown = sim.target_group().replace("/web/", "/gone/")
    assert _create_error(sim, {"targetGroupArn": unknown}).startswith(
        "Unable to assume role and validate the specified targetGroupArn."
    )
    alone = sim.elb(
        "CreateTargetGroup", Name="alone", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    assert _create_error(sim, {"targetGroupArn": alone}) == (
        f"The target group with targetGroupArn {alone} does not have an associated load balancer."
    )
    group = sim.target_group("ip-group")
    assert _create_error(sim, {"targetGroupArn": group, "containerPort": 9090}) == (
        "The container app did not have a container port 9090 defined."
    )
    instance = sim.target_group("instances", target_type="instance")
    assert _create_error(sim, {"targetGroupArn": instance}) == (
        f"The provided target group {instance} has target type instance, which is incompatible "
        "with the awsvpc network mode specified in the task definition."
    )


def test_elb_unhealthy_rule_accepts_elb_reasons_only() -> None:
    """The rule's reason is a TargetHealth reason, with or without "Target."; others are
    refused."""
    assert ContainerRule.parse({"image": "x", "behavior": "elb_unhealthy"}).reason == (
        "Target.ResponseCodeMismatch"
    )
    rule = ContainerRule.parse(
        {"image": "x", "behavior": "elb_unhealthy", "reason": "FailedHealthChecks", "code": 503}
    )
    assert (rule.reason, rule.code) == ("Target.FailedHealthChecks", 503)
    with pytest.raises(ValueError, match="'reason' must be one of"):
        ContainerRule.parse({"image": "x", "behavior": "elb_unhealthy", "reason": "Nope"})


def _degrading_service(sim: Sim, after: float, grace: int = 0) -> tuple[str, str]:
    """A steady service behind a target group, updated to myorg/web:bad whose targets start
    failing `after` seconds past the container's start; (target group, new deployment id)."""
    group = behind_target_group(sim, desired=1, healthCheckGracePeriodSeconds=grace)
    sim.advance(600)
    sim.backend.add_container_rule(
        {"image": "myorg/web:bad", "behavior": "elb_unhealthy", "reason": "Timeout", "after": after}
    )
    new_id = sim.update(
        taskDefinition=sim.register("myorg/web:bad", port=8080, networkMode="awsvpc")
    )
    return group, new_id


def new_target(sim: Sim, group: str) -> tuple[str, str | None]:
    """(state, reason) of the target of the service's one task on the new revision."""
    [ip] = eni_ips([t for t in sim.tasks() if t["taskDefinitionArn"].endswith(":2")])
    [health] = [h[2:] for h in target_health(sim, group) if h[0] == ip]
    return health


def test_elb_unhealthy_after_lets_targets_pass_then_fail() -> None:
    """With `after`, the targets turn healthy after interval * healthy threshold and the
    deployment completes; failures start `after` seconds past the container's start and the
    targets turn unhealthy interval * unhealthy threshold later, with the rule's reason."""
    sim = Sim()
    group, new_id = _degrading_service(sim, after=100, grace=600)
    sim.advance(10 + INTERVAL * HEALTHY)  # RUNNING at 10 s, targets healthy 30 s later
    assert new_target(sim, group) == ("healthy", None)
    sim.advance(100 + INTERVAL * UNHEALTHY - INTERVAL * HEALTHY - 1)
    assert new_target(sim, group) == ("healthy", None)
    assert sim.deployment(new_id)["rolloutState"] == "COMPLETED"  # type: ignore[index]
    sim.advance(1)
    assert new_target(sim, group) == ("unhealthy", "Target.Timeout")


def test_a_target_degrading_after_warm_up_has_its_task_stopped() -> None:
    """Once the degraded target turns unhealthy (no grace period), ECS stops its task with
    the ELB stop reason and the scheduler launches a replacement of the same revision."""
    sim = Sim()
    group, _ = _degrading_service(sim, after=100)
    sim.advance(10 + 100 + INTERVAL * UNHEALTHY)
    [stopped] = [t for t in sim.tasks(desired="STOPPED") if t["taskDefinitionArn"].endswith(":2")]
    assert stopped["stoppedReason"] == f"Task failed ELB health checks in (target-group {group})"
    [replacement] = sim.tasks()
    assert replacement["taskDefinitionArn"] == stopped["taskDefinitionArn"]
    assert replacement["taskArn"] != stopped["taskArn"]


def test_failures_starting_before_the_healthy_streak_ends_never_pass() -> None:
    """A target whose failures start before it passed HealthyThresholdCount checks is never
    healthy: it turns unhealthy interval * unhealthy threshold after `after`."""
    sim = Sim()
    group, _ = _degrading_service(sim, after=15, grace=600)
    sim.advance(10 + 15 + INTERVAL * UNHEALTHY - 1)  # past the 30 s a healthy streak takes
    assert new_target(sim, group) == ("initial", "Elb.InitialHealthChecking")
    sim.advance(1)
    assert new_target(sim, group) == ("unhealthy", "Target.Timeout")


def test_elb_unhealthy_after_must_be_seconds() -> None:
    """`after` is a finite number of seconds >= 0, like a crash's; other values are refused."""
    rule = ContainerRule.parse({"image": "x", "behavior": "elb_unhealthy", "after": 90})
    assert rule.after == 90.0
    for bad in (-1, "soon", True, float("inf")):
        with pytest.raises(ValueError, match="'after' must be"):
            ContainerRule.parse({"image": "x", "behavior": "elb_unhealthy", "after": bad})
