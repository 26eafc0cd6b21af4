"""ECS's native BLUE_GREEN, LINEAR and CANARY deployments, end to end on the simulator: the
watch follows the lifecycle stages to the end of ECS's bake time, ROLLBACK_* outcomes are
failures, and our own rollback asks ECS for it with StopServiceDeployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ecsdeploy import (
    Deployer,
    DeployEvent,
    Observation,
    Outcome,
    RetryPolicy,
    Verdict,
)
from ecsdeploy._service_deployments import MAX_LOOKUPS
from ecsdeploy.checks import CircuitBreakerCheck
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices
from tests._fixtures.scenario import CRASH, in_lockstep, to

pytestmark = pytest.mark.anyio

HOOK = "arn:aws:lambda:us-east-2:123456789012:function:smoke-test"
ALARM = "webapp-5xx"


#: Tasks become HEALTHY two simulated minutes after they start: SCALE_UP lasts that long, so a
#: watch polling every five simulated seconds sees it.
SLOW_HEALTH = {"command": ["CMD-SHELL", "curl -f localhost"], "interval": 120}


async def native(
    ecs_services: EcsServices, strategy: str, *, slow_health: bool = False, **config: Any
) -> str:
    """A steady service switched to `strategy`; its task definition ARN."""
    old = await ecs_services.create(
        breaker=True, breaker_rollback=True, health_check=SLOW_HEALTH if slow_health else None
    )
    await ecs_services.ecs.update_service(
        cluster=CLUSTER,
        service="webapp",
        deploymentConfiguration={"strategy": strategy, **config},  # type: ignore[arg-type]
    )
    return old


class Stages:
    """A listener keeping the lifecycle stage events, in order."""

    def __init__(self) -> None:
        self.events: list[DeployEvent] = []

    def __call__(self, event: DeployEvent) -> None:
        if event.kind == "lifecycle_stage":
            self.events.append(event)

    @property
    def names(self) -> list[str]:
        return [str(event.data["lifecycle_stage"]) for event in self.events]

    @property
    def traffic_shifts(self) -> list[Any]:
        """The production traffic share of each PRODUCTION_TRAFFIC_SHIFT event, in order."""
        return [
            event.data["production_traffic"]
            for event in self.events
            if event.data["lifecycle_stage"] == "PRODUCTION_TRAFFIC_SHIFT"
        ]


async def _record(ecs_services: EcsServices) -> dict[str, Any]:
    """The service's newest service deployment as the simulator describes it."""
    ecs = ecs_services.ecs
    briefs = await ecs.list_service_deployments(cluster=CLUSTER, service="webapp")
    arn = briefs["serviceDeployments"][0]["serviceDeploymentArn"]
    described = await ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    return dict(described["serviceDeployments"][0])


def _in_order(seen: list[str], expected: list[str]) -> bool:
    """`expected` is a subsequence of `seen`."""
    remaining = iter(seen)
    return all(stage in remaining for stage in expected)


async def test_blue_green_succeeds_after_the_bake_time_with_its_stages_in_events(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """BLUE_GREEN: SUCCEEDED once the service deployment is SUCCESSFUL; the stages it went
    through (scale-up, bake time, clean-up) are events, in the documented order."""
    await native(ecs_services, "BLUE_GREEN", slow_health=True, bakeTimeInMinutes=2)
    stages = Stages()
    ecs_deployer.subscribe(stages)
    progress: list[DeployEvent] = []
    ecs_deployer.subscribe(lambda e: progress.append(e) if e.kind == "progress" else None)
    # Every stage lasts several polls however busy the machine (a late poll skipped SCALE_UP).
    result = await in_lockstep(ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:2")))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert _in_order(stages.names, ["SCALE_UP", "BAKE_TIME", "CLEAN_UP"]), stages.names
    followed = [e.data for e in progress if e.data.get("service_deployment_status")]
    assert followed[-1]["service_deployment_status"] == "SUCCESSFUL"
    assert followed[-1]["breaker_threshold"] == 3
    assert result.lifecycle_stage == "CLEAN_UP"
    record = await _record(ecs_services)
    assert record["serviceDeploymentArn"] == result.service_deployment_arn
    assert record["status"] == "SUCCESSFUL"
    assert await ecs_services.task_definition() == result.task_definition_arn


async def test_linear_shifts_traffic_in_steps_seen_in_events(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """LINEAR: each production traffic step is an event with its traffic share; SUCCEEDED."""
    await native(
        ecs_services,
        "LINEAR",
        # Stages of 20 simulated minutes (1.2 s): long enough that a loaded machine's polls see
        # each one, which is what the test asserts.
        linearConfiguration={"stepPercent": 50.0, "stepBakeTimeInMinutes": 20},
        bakeTimeInMinutes=20,
    )
    stages = Stages()
    ecs_deployer.subscribe(stages)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert stages.traffic_shifts[:1] == [50.0], stages.names
    assert _in_order(stages.names, ["PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"])
    assert (await _record(ecs_services))["status"] == "SUCCESSFUL"


async def test_canary_succeeds_after_its_canary_bake(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """CANARY: the canary share is seen in PRODUCTION_TRAFFIC_SHIFT, then the deployment
    finishes SUCCESSFUL and SUCCEEDED."""
    await native(
        ecs_services,
        "CANARY",
        canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 20},
    )
    stages = Stages()
    ecs_deployer.subscribe(stages)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert stages.traffic_shifts[:1] == [10.0], stages.names
    assert (await _record(ecs_services))["status"] == "SUCCESSFUL"


async def test_a_failing_hook_is_rolled_back_by_ecs_with_the_reason(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A lifecycle hook that fails: ROLLED_BACK by ECS, the trigger a lifecycle hook, the reason
    naming the hook and its stage; the service back on its previous revision."""
    hooks = [{"hookTargetArn": HOOK, "lifecycleStages": ["POST_SCALE_UP"]}]
    old = await native(ecs_services, "BLUE_GREEN", lifecycleHooks=hooks, bakeTimeInMinutes=1)
    ecs_simulator.add_rule({"hook_stage": "POST_SCALE_UP", "hook": HOOK})
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_trigger) == ("ecs", "lifecycle hook")
    assert result.rollback_method == "ecs"
    assert HOOK in result.reason
    assert "POST_SCALE_UP" in result.reason
    assert await ecs_services.task_definition() == old
    assert (await _record(ecs_services))["status"] == "ROLLBACK_SUCCESSFUL"


async def test_circuit_breaker_during_the_lifecycle_is_an_ecs_rollback(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Green tasks that crash trip ECS's circuit breaker mid-lifecycle: ROLLED_BACK by ECS,
    credited to the circuit breaker; blue served throughout and is PRIMARY again."""
    old = await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=1)
    ecs_simulator.add_rule(CRASH)
    stages = Stages()
    ecs_deployer.subscribe(stages)
    # Without our stopped-tasks count, which could fail the deployment from the same crashes
    # a moment before DescribeServices shows the breaker's FAILED (a race this test is not about).
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), checks=[CircuitBreakerCheck()])
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_trigger) == ("ecs", "circuit breaker")
    assert stages.names, "no lifecycle stage was seen"
    record = await _record(ecs_services)
    assert record["status"] == "ROLLBACK_SUCCESSFUL"
    assert record["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert await ecs_services.task_definition() == old


async def test_an_alarm_during_ecs_bake_time_fails_the_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A deployment alarm that fires in BAKE_TIME: ECS rolls back, the result names the alarm."""
    old = await native(
        ecs_services,
        "BLUE_GREEN",
        bakeTimeInMinutes=5,
        alarms={"alarmNames": [ALARM], "enable": True, "rollback": True},
    )

    def alarm_in_bake(event: DeployEvent) -> None:
        if event.kind == "lifecycle_stage" and event.data["lifecycle_stage"] == "BAKE_TIME":
            ecs_simulator.set_alarm(ALARM, "ALARM")

    ecs_deployer.subscribe(alarm_in_bake)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_trigger) == ("ecs", f"alarm {ALARM}")
    assert result.lifecycle_stage is not None
    assert await ecs_services.task_definition() == old


@dataclass(frozen=True)
class FailsIn:
    """A user's check (a smoke test, say) that fails once the deployment reaches `stage`."""

    stage: str
    name: str = "smoke-test"

    async def evaluate(self, observation: Observation) -> Verdict:
        record = observation.service_deployment or {}
        if record.get("lifecycleStage") == self.stage:
            return Verdict.failed(f"smoke test failed in {self.stage}")
        return Verdict.unknown()


async def test_our_rollback_stops_the_service_deployment(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Our own check fails in BAKE_TIME: we roll back with StopServiceDeployment(ROLLBACK), the
    record shows ECS's rollback, the service is back on its previous revision."""
    old = await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=30)
    # A late poll on a busy machine could otherwise see the bake over before BAKE_TIME.
    result = await in_lockstep(
        ecs_simulator,
        lambda: ecs_deployer.deploy(to("myorg/nginx:2"), checks=[FailsIn("BAKE_TIME")]),
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert result.rollback_method == "stop-service-deployment"
    assert "smoke test failed" in result.reason
    record = await _record(ecs_services)
    assert record["serviceDeploymentArn"] == result.service_deployment_arn
    assert record["status"] == "ROLLBACK_SUCCESSFUL"
    assert "stop request" in record["rollback"]["reason"]
    assert await ecs_services.task_definition() == old


async def test_without_the_record_the_watch_waits_for_completed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Service-deployment reads denied: a BLUE_GREEN deployment still succeeds only once
    DescribeServices shows it COMPLETED (after the bake time), and nothing is credited to a
    record."""
    await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=2)
    ecs_simulator.add_rule({"operation": "ListServiceDeployments", "error": "AccessDenied"})
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.service_deployment_arn is None
    ecs_simulator.clear_rules()
    assert (await _record(ecs_services))["status"] == "SUCCESSFUL"
    service = await ecs_services.describe()
    assert [d["rolloutState"] for d in service["deployments"][:1]] == ["COMPLETED"]


async def test_denied_stop_on_blue_green_falls_back_to_update_service(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """StopServiceDeployment denied: our rollback of a BLUE_GREEN deployment is an UpdateService
    to the previous revision, which ECS deploys blue/green in turn; the denial itself fails
    nothing."""
    old = await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=30)
    ecs_simulator.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), checks=[FailsIn("BAKE_TIME")])
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rollback_method == "update-service"
    assert await ecs_services.task_definition() == old
    ecs_simulator.clear_rules()
    newest = await _record(ecs_services)
    assert newest["serviceDeploymentArn"] != result.service_deployment_arn
    assert newest["status"] == "SUCCESSFUL"


async def test_record_reads_denied_mid_watch_fall_back_to_completed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """DescribeServiceDeployments denied once the deployment is in BAKE_TIME: the watch forgets
    the last record it read and succeeds on DescribeServices' COMPLETED, not a timeout."""
    await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=30)

    def deny_in_bake(event: DeployEvent) -> None:
        if event.kind == "lifecycle_stage" and event.data["lifecycle_stage"] == "BAKE_TIME":
            ecs_simulator.add_rule(
                {"operation": "DescribeServiceDeployments", "error": "AccessDenied"}
            )

    ecs_deployer.subscribe(deny_in_bake)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.lifecycle_stage == "BAKE_TIME"
    ecs_simulator.clear_rules()
    assert (await _record(ecs_services))["status"] == "SUCCESSFUL"
    assert await ecs_services.task_definition() == result.task_definition_arn


async def test_a_failing_record_lookup_is_given_up_not_repeated_every_poll(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ListServiceDeployments failing on every call (an endpoint's 5xx) while a BLUE_GREEN
    deployment wants its record every poll: given up after MAX_LOOKUPS rounds, the watch goes on
    with DescribeServices and succeeds on COMPLETED."""
    # The lookups' retries wait on the wall clock: with simulated time moving only as the
    # deployer polls, the bake leaves polls after the last lookup however busy the machine.
    await native(ecs_services, "BLUE_GREEN", bakeTimeInMinutes=10)
    ecs_simulator.add_rule({"operation": "ListServiceDeployments", "error": "ServerException"})
    attempts = RetryPolicy.fast().attempts  # the `ecs_deployer` fixture's
    result = await in_lockstep(
        ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:2"), timeout=60)
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.service_deployment_arn is None
    calls = ecs_simulator.stats()["calls"]
    assert calls["DescribeServices"] > 3 * MAX_LOOKUPS
    assert 0 < calls["ListServiceDeployments"] <= MAX_LOOKUPS * attempts
