"""The watch's decisions over our service-deployment record (no server): which record is ours,
what ECS's rollback is credited to, and when a BLUE_GREEN / LINEAR / CANARY deployment is over."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ecsdeploy import Observation, Verdict
from ecsdeploy._preflight import roll_room_problem
from ecsdeploy._service_deployments import not_done, pick_record, record_trigger
from ecsdeploy._watch import (
    CONFIRM_READS,
    EndKind,
    WatchContext,
    WatchState,
    assess,
    conclude,
    ecs_rollback_trigger,
)
from ecsdeploy.testing import OUR_DEPLOYMENT_ID, deployment, observation

CONTEXT = WatchContext(
    deployment_id=OUR_DEPLOYMENT_ID,
    created_at=None,
    rollback_arns=frozenset(),
    previous_deployment_id="ecs-svc/previous",
    poll_interval=5.0,
)


def with_record(
    seen: Observation, record: dict[str, Any], *, strategy: str = "ROLLING", at: float = 0.0
) -> Observation:
    service = {**seen.service, "deploymentConfiguration": {"strategy": strategy}}
    return replace(
        seen,
        service=service,
        service_deployment=record,
        observed_at=seen.observed_at + at,
    )


def test_our_record_is_the_one_created_with_our_deployment() -> None:
    """Of the listed records, ours is the one created nearest our deployment's createdAt."""
    briefs = [
        {"serviceDeploymentArn": "later", "createdAt": 1030.0},
        {"serviceDeploymentArn": "ours", "createdAt": 1000.2},
        {"serviceDeploymentArn": "earlier", "createdAt": 900.0},
    ]
    assert pick_record(briefs, 1000.0) == "ours"
    assert pick_record(briefs[2:], 1000.0) is None


def test_alarm_rollback_is_named_from_the_record_alone() -> None:
    """Without any service event or rolloutStateReason naming it, the record's
    triggeredAlarmNames name the alarm."""
    seen = with_record(
        observation(deployment(rollout="FAILED", reason="")),
        {"status": "ROLLBACK_IN_PROGRESS", "alarms": {"triggeredAlarmNames": ["api-5xx"]}},
    )
    assert ecs_rollback_trigger(seen) == "alarm api-5xx"


def test_record_triggers() -> None:
    """A tripped breaker, a failed lifecycle hook and a stop request are told apart."""
    assert record_trigger({"deploymentCircuitBreaker": {"status": "TRIGGERED"}}) == (
        "circuit breaker"
    )
    hook = {"rollback": {"reason": "rolled back because the lifecycle hook arn:x failed"}}
    assert record_trigger(hook) == "lifecycle hook"
    stop = {"rollback": {"reason": "Service deployment rolled back because of a stop request."}}
    assert record_trigger(stop) == "stop request"


def test_rollback_requested_is_a_stop_request() -> None:
    """ROLLBACK_REQUESTED (before ECS says why) is where StopServiceDeployment puts a deployment;
    a tripped breaker or a triggered alarm in the same record still names itself."""
    assert record_trigger({"status": "ROLLBACK_REQUESTED"}) == "stop request"
    tripped = {"status": "ROLLBACK_REQUESTED", "deploymentCircuitBreaker": {"status": "TRIGGERED"}}
    assert record_trigger(tripped) == "circuit breaker"
    assert record_trigger({"status": "ROLLBACK_IN_PROGRESS"}) is None


def test_an_ecs_rollback_in_the_record_is_decided_only_on_agreeing_reads() -> None:
    """Record ROLLBACK_IN_PROGRESS while ours is still PRIMARY: an ECS rollback, but only after
    CONFIRM_READS fresh reads agree."""
    record = {"status": "ROLLBACK_IN_PROGRESS", "rollback": {"reason": "hook failed"}}
    state = WatchState()
    ends = []
    for n in range(CONFIRM_READS):
        seen = with_record(observation(deployment()), record, at=10.0 * n)
        state, end, judge = assess(state, CONTEXT, seen)
        assert not judge
        ends.append(end)
    assert ends[:-1] == [None] * (CONFIRM_READS - 1)
    final = ends[-1]
    assert final is not None
    assert final.kind is EndKind.FAILED
    assert final.ecs_rolling_back
    assert "hook failed" in final.reason


def test_native_deployment_is_not_over_before_its_record_is_successful() -> None:
    """BLUE_GREEN: healthy checks do not end the watch while the record is in BAKE_TIME; a
    SUCCESSFUL record does."""
    baking = {"status": "IN_PROGRESS", "lifecycleStage": "BAKE_TIME"}
    seen = with_record(observation(deployment(rollout="COMPLETED")), baking, strategy="BLUE_GREEN")
    assert not_done(seen) == "service deployment IN_PROGRESS, lifecycle stage BAKE_TIME"
    state, end = conclude(WatchState(), CONTEXT, seen, Verdict.healthy("steady"))
    assert end is None
    done = with_record(seen, {"status": "SUCCESSFUL", "lifecycleStage": "CLEAN_UP"}, at=5.0)
    state, end = conclude(state, CONTEXT, done, Verdict.healthy("steady"))
    assert end is not None
    assert end.kind is EndKind.SUCCEEDED


def test_without_a_record_a_native_deployment_needs_completed() -> None:
    """No record (API denied): only rolloutState COMPLETED ends a BLUE_GREEN deployment."""
    seen = observation(deployment(rollout="IN_PROGRESS"))
    seen = replace(
        seen, service={**seen.service, "deploymentConfiguration": {"strategy": "LINEAR"}}
    )
    assert not_done(seen) == "rollout IN_PROGRESS"
    completed = replace(seen, deployment=deployment(rollout="COMPLETED"))
    assert not_done(completed) is None


def test_rolling_deployments_are_not_held_by_the_record() -> None:
    """A rolling deployment's success does not wait for its record."""
    seen = with_record(observation(deployment(rollout="COMPLETED")), {"status": "IN_PROGRESS"})
    assert not_done(seen) is None


def test_preflight_lets_native_strategies_roll_whatever_the_percentages() -> None:
    """A BLUE_GREEN service at 100/100 percent can deploy (green is launched beside blue); the
    same service rolling cannot."""
    service: dict[str, Any] = {
        "desiredCount": 2,
        "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 100},
    }
    assert roll_room_problem(service) is not None
    service["deploymentConfiguration"]["strategy"] = "BLUE_GREEN"
    assert roll_room_problem(service) is None
