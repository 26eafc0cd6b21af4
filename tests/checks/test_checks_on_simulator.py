"""TargetHealth and Alarms in deployments on the simulator, over ELBv2's and CloudWatch's wire:
the healthy path, the failing path with the reason in the result, a denied read failing
PREFLIGHT with nothing changed, and a failure during the bake time rolling back."""

from __future__ import annotations

import textwrap

import pytest

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeploySettings,
    ExitCode,
    Outcome,
    Phase,
    Status,
    parse_release,
)
from ecsdeploy.checks import Alarms, HealthCheck, TargetHealth
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER
from tests._fixtures.scenario import in_lockstep, once_in, to
from tests.checks.balanced import PORT, Balanced

pytestmark = pytest.mark.anyio

ALARM = "webapp-5xx"


def with_checks(deployer: Deployer, *checks: HealthCheck, bake: float = 0.0) -> DeploySettings:
    """The deployer's settings with these checks added (and a bake time)."""
    return deployer.settings.with_overrides(extra_checks=checks, bake=bake)


async def test_healthy_targets_let_the_deployment_succeed(
    ecs_deployer: Deployer, lb: Balanced
) -> None:
    """Our tasks' targets become healthy: SUCCEEDED, with TargetHealth's verdict in the result."""
    await lb.create()
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"), settings=with_checks(ecs_deployer, TargetHealth())
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    (verdict,) = [v for v in result.checks if v.check == "target-health"]
    assert verdict.status is Status.HEALTHY
    assert verdict.reason == "2 targets of 2 tasks healthy in 1 target group(s)"


async def test_unhealthy_targets_roll_back_with_the_reason_code(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """The new version fails its ELB health checks: no failure inside the grace period, then
    ROLLED_BACK by ecsdeploy, the reason naming our target, ELB's reason code and description;
    the service on its old revision."""
    # A long grace period, with simulated time moving only as the deployer polls: the check
    # sees the targets unhealthy inside it however loaded the machine, before ECS stops their
    # tasks (at a fixed speed, 0.9 s of a busy machine's wall time could pass unseen).
    old = await lb.create(grace=900)
    ecs_simulator.add_rule({"image": "myorg/nginx:2", "behavior": "elb_unhealthy"})
    verdicts: list[DeployEvent] = []
    ecs_deployer.subscribe(lambda e: verdicts.append(e) if e.kind == "verdict" else None)
    result = await in_lockstep(
        ecs_simulator,
        lambda: ecs_deployer.deploy(
            to("myorg/nginx:2"), settings=with_checks(ecs_deployer, TargetHealth(threshold=2))
        ),
        step=30,  # 30 polls in the grace period, where 2 unhealthy sightings decide
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert "in webapp-tg is unhealthy (Target.ResponseCodeMismatch: Health checks failed" in (
        result.reason
    )
    assert "ECS stopped the task; 2/2 unhealthy sightings" in result.reason
    in_grace = [e for e in verdicts if "(in the grace period)" in e.message]
    assert in_grace, "the unhealthy targets were seen inside the grace period first"
    assert await lb.task_definition() == old


async def test_tasks_whose_targets_cannot_be_told_get_no_opinion_not_a_timeout(
    ecs_deployer: Deployer, lb: Balanced
) -> None:
    """A bridge-mode task with no container instance to name its target (the simulator runs
    none) leaves TargetHealth without an opinion: ECS's completed rollout SUCCEEDS instead of
    waiting for "no task of our deployment runs yet" until the timeout rolls it back."""
    await lb.front("bridge", target_type="instance")
    group = lb.target_group
    await lb.ecs.create_cluster(clusterName=CLUSTER)
    registered = await lb.ecs.register_task_definition(
        family="webapp",
        networkMode="bridge",
        containerDefinitions=[
            {
                "name": "nginx",
                "image": "myorg/nginx:1.0",
                "memory": 128,
                "portMappings": [{"containerPort": PORT, "hostPort": 0}],
            }
        ],
    )
    await lb.ecs.create_service(
        cluster=CLUSTER,
        serviceName="webapp",
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
        launchType="EC2",
        loadBalancers=[{"targetGroupArn": group, "containerName": "nginx", "containerPort": PORT}],
    )
    await lb.sim.advance(600)
    settings = with_checks(ecs_deployer, TargetHealth()).with_overrides(timeout=10.0)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), settings=settings)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    (verdict,) = [v for v in result.checks if v.check == "target-health"]
    assert verdict.status is Status.UNKNOWN
    assert "1 running task(s) of our deployment have no target" in verdict.reason


async def test_a_denied_target_health_read_fails_preflight_naming_the_permission(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """AccessDenied on DescribeTargetHealth: FAILED in PREFLIGHT, exit 2, nothing registered or
    changed, and the reason names elasticloadbalancing:DescribeTargetHealth."""
    old = await lb.create()
    ecs_simulator.add_rule({"operation": "elbv2:DescribeTargetHealth", "error": "AccessDenied"})
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"), settings=with_checks(ecs_deployer, TargetHealth())
    )
    assert result.outcome is Outcome.FAILED
    assert result.exit_code is ExitCode.BAD_INPUT
    assert (result.changed, result.task_definition_arn) == (False, None)
    assert "elasticloadbalancing:DescribeTargetHealth" in result.reason
    assert [t.phase.value for t in result.history] == ["PREFLIGHT", "FAILED"]
    assert await lb.task_definition() == old


async def test_a_denied_alarm_read_fails_preflight_naming_the_permission(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """AccessDenied on DescribeAlarms: exit 2 naming cloudwatch:DescribeAlarms."""
    await lb.create()
    await lb.alarm(ALARM)
    ecs_simulator.add_rule({"operation": "cloudwatch:DescribeAlarms", "error": "AccessDenied"})
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"), settings=with_checks(ecs_deployer, Alarms(ALARM))
    )
    assert result.exit_code is ExitCode.BAD_INPUT
    assert "cloudwatch:DescribeAlarms" in result.reason
    assert not result.changed


async def test_an_alarm_firing_during_the_bake_time_rolls_back(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """Healthy, then the alarm goes into ALARM while baking: ROLLED_BACK, naming the alarm and
    its StateReason."""
    old = await lb.create()
    await lb.alarm(ALARM)

    def fire_once_healthy(event: DeployEvent) -> None:
        if event.kind == "verdict" and event.data.get("status") == "HEALTHY":
            ecs_simulator.set_alarm(ALARM, "ALARM", "Threshold Crossed: 5xx > 10")

    ecs_deployer.subscribe(fire_once_healthy)
    checks = with_checks(ecs_deployer, Alarms(ALARM), TargetHealth(), bake=60.0)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), settings=checks)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.reason == f"alarm {ALARM} is in ALARM: Threshold Crossed: 5xx > 10"
    assert await lb.task_definition() == old


async def test_a_release_files_check_keys_run_the_checks(
    ecs_deployer: Deployer, lb: Balanced
) -> None:
    """`target_health = true` and `alarms = [...]` in [defaults] judge the release's service."""
    await lb.create()
    await lb.alarm(ALARM)
    release = parse_release(
        textwrap.dedent(f"""
        [defaults]
        cluster = "{CLUSTER}"
        target_health = true
        alarms = ["{ALARM}"]
        [[stage]]
        [[stage.service]]
        service = "webapp"
        images = {{ nginx = "myorg/nginx:2" }}
        """),
        source="release.toml",
        environ={},
        settings=ecs_deployer.settings,
    )
    result = await ecs_deployer.release(release)
    (service,) = result.services
    assert service.state == "SUCCEEDED", service.reason
    assert service.result is not None
    verdicts = {v.check: v.status for v in service.result.checks}
    assert verdicts["target-health"] is Status.HEALTHY
    assert verdicts["alarms"] is Status.HEALTHY


async def test_an_elbv2_outage_during_watch_keeps_the_check_waiting(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """DescribeTargetHealth failing past its retries is PROGRESSING, not a failure: once ELBv2
    answers again the deployment succeeds."""
    await lb.create()
    outage = {"operation": "elbv2:DescribeTargetHealth", "error": "ServerException", "count": 20}
    ecs_deployer.subscribe(once_in(Phase.WATCH, lambda: ecs_simulator.add_rule(outage)))
    messages: list[str] = []
    ecs_deployer.subscribe(lambda e: messages.append(e.message) if e.kind == "verdict" else None)
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"), settings=with_checks(ecs_deployer, TargetHealth())
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert any("target health could not be read: DescribeTargetHealth" in m for m in messages)
