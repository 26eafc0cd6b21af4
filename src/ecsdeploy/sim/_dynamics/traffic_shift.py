"""The lifecycle of BLUE_GREEN, LINEAR and CANARY service deployments.

"Amazon ECS blue/green deployments", "Amazon ECS linear deployments", "Amazon ECS canary
deployments" and "Lifecycle hooks for Amazon ECS service deployments" (developer guide), and
`ServiceDeployment.lifecycleStage` (API reference): a deployment goes through
RECONCILE_SERVICE (only when more than one service revision is ACTIVE), PRE_SCALE_UP, SCALE_UP
(the green revision is launched at its full desired count, serving no traffic), POST_SCALE_UP,
TEST_TRAFFIC_SHIFT (green gets 100 % of the test traffic), POST_TEST_TRAFFIC_SHIFT,
PRODUCTION_TRAFFIC_SHIFT (BLUE_GREEN: 100 % at once; LINEAR: `stepPercent` at a time with
`stepBakeTimeInMinutes` between steps and none after the last; CANARY: `canaryPercent`, then
`canaryBakeTimeInMinutes`, then the rest), POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME
(`bakeTimeInMinutes`, blue still running) and CLEAN_UP (blue drained); then the service
deployment is SUCCESSFUL and the deployment COMPLETED.

A stage with lifecycle hooks lasts until its hooks answered; the simulator runs no Lambda: a
hook answers SUCCEEDED after `Timings.lifecycle_hook` unless a hook rule
(`sim._dynamics.hook_rules`) makes it answer FAILED, and then the deployment fails and rolls
back to the last completed deployment (the circuit breaker's `roll_back`: traffic back to blue,
green drained). PRE_PRODUCTION_TRAFFIC_SHIFT hooks run at the start of every production traffic
step. Hooks are not run again during a rollback (AWS runs the traffic-shift hooks then).
The circuit breaker, deployment alarms and StopServiceDeployment fail and roll back a deployment
in any of these stages the same way as a rolling one.

Traffic shows in the service-deployment record (`requestedProductionTrafficWeight` and
`requestedTestTrafficWeight` of its revisions) and, for `loadBalancers` entries with an
`advancedConfiguration`, in the weights of their production and test listener rules between
the blue and the green target group (`sim._dynamics.listener_weights`). The first deployment of
a service (nothing completed yet, so no blue) is a plain rolling one, and so is a rollback.
"""

from __future__ import annotations

import math
from typing import Any

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.circuit_breaker import roll_back
from ecsdeploy.sim._dynamics.deployments import ONGOING_RECORD_STATUSES
from ecsdeploy.sim._dynamics.listener_weights import set_weights
from ecsdeploy.sim._dynamics.state import Deployment, Service, TrafficShift
from ecsdeploy.sim._dynamics.world import World

NATIVE_STRATEGIES = frozenset({"BLUE_GREEN", "LINEAR", "CANARY"})

STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)
"""`ServiceDeploymentLifecycleStage`, in the order a deployment goes through them."""

LINEAR_STEP_PERCENT = 10.0
LINEAR_STEP_BAKE_MINUTES = 6
CANARY_PERCENT = 5.0
CANARY_BAKE_MINUTES = 10
"""The API reference's defaults for `LinearConfiguration` and `CanaryConfiguration`."""


def strategy_of(service: Service) -> str:
    config: dict[str, Any] = service.spec.get("deploymentConfiguration") or {}
    return str(config.get("strategy") or "ROLLING")


def shifting(deployment: Deployment) -> bool:
    """The deployment is the green side of a lifecycle still in charge of the scheduler."""
    return deployment.record.shift is not None and not deployment.is_rollback


def scaled_up(deployment: Deployment) -> bool:
    """Green may launch its tasks: SCALE_UP or a later stage."""
    shift = deployment.record.shift
    return shift is not None and STAGES.index(shift.stage) >= STAGES.index("SCALE_UP")


def plan(config: dict[str, Any]) -> TrafficShift:
    """The lifecycle a `deploymentConfiguration` asks for."""
    strategy = str(config.get("strategy"))
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        percent = float(linear.get("stepPercent") or LINEAR_STEP_PERCENT)
        count = math.ceil(round(100.0 / percent, 6))
        steps = [min(100.0, round(percent * (i + 1), 1)) for i in range(count)]
        step_bake = 60.0 * _minutes(linear.get("stepBakeTimeInMinutes"), LINEAR_STEP_BAKE_MINUTES)
    elif strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        steps = [float(canary.get("canaryPercent") or CANARY_PERCENT), 100.0]
        step_bake = 60.0 * _minutes(canary.get("canaryBakeTimeInMinutes"), CANARY_BAKE_MINUTES)
    else:
        steps, step_bake = [100.0], 0.0
    steps[-1] = 100.0
    return TrafficShift(
        strategy=strategy,
        steps=steps,
        step_bake=step_bake,
        bake=60.0 * _minutes(config.get("bakeTimeInMinutes"), 0),
        hooks=[dict(hook) for hook in config.get("lifecycleHooks") or ()],
    )


def _minutes(value: Any, default: int) -> int:
    return default if value is None else int(value)


def begin(world: World, deployment: Deployment) -> None:
    """Start the lifecycle of a user's new deployment on a service with a native strategy.

    Without a completed deployment there is no blue to shift traffic from: rolling update.
    """
    service = deployment.service
    if strategy_of(service) not in NATIVE_STRATEGIES or service.last_completed is None:
        return
    config: dict[str, Any] = service.spec["deploymentConfiguration"]
    deployment.record.shift = plan(config)
    # Preparation: both target groups behind the listener rules, all traffic on blue.
    set_weights(world, service, production=0.0, test=0.0)
    live = [d for d in service.deployments[1:] if d.status == "ACTIVE" and d.tasks]
    _enter(world, deployment, "RECONCILE_SERVICE" if len(live) > 1 else "PRE_SCALE_UP")


def _hooks_at(shift: TrafficShift, stage: str) -> list[str]:
    stages = (
        {stage, "PRE_PRODUCTION_TRAFFIC_SHIFT"} if stage == "PRODUCTION_TRAFFIC_SHIFT" else {stage}
    )
    return [
        str(hook.get("hookTargetArn") or "")
        for hook in shift.hooks
        if stages & set(hook.get("lifecycleStages") or ())
    ]


def _enter(world: World, deployment: Deployment, stage: str) -> None:
    record = deployment.record
    shift = record.shift
    assert shift is not None
    shift.stage = stage
    shift.token += 1
    record.updated_at = world.now
    if stage == "TEST_TRAFFIC_SHIFT":
        shift.test_weight = 100.0
    elif stage == "PRODUCTION_TRAFFIC_SHIFT":
        shift.production_weight = shift.steps[shift.step]
    if stage in ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"):
        set_weights(
            world,
            deployment.service,
            production=shift.production_weight,
            test=shift.test_weight,
        )
    hooks = _hooks_at(shift, stage)
    if hooks:
        world.schedule(world.timings.lifecycle_hook, _hooks_answered, (deployment, shift.token))
    else:
        _work(world, deployment)
    world.touch(deployment.service)


def _current(deployment: Deployment, token: int) -> TrafficShift | None:
    """The shift if `token` is still its stage's and the deployment still goes forward."""
    shift = deployment.record.shift
    if (
        shift is None
        or shift.token != token
        or deployment.is_rollback
        or deployment.status != "PRIMARY"
        or deployment.rollout_state != "IN_PROGRESS"
        or deployment.record.status not in ONGOING_RECORD_STATUSES
    ):
        return None
    return shift


def _hooks_answered(world: World, subject: tuple[Deployment, int]) -> None:
    deployment, token = subject
    shift = _current(deployment, token)
    if shift is None:
        return
    for hook in _hooks_at(shift, shift.stage):
        reason = world.hook_rules.failure(shift.stage, hook)
        if reason is not None:
            _hook_failed(world, deployment, hook, shift.stage, reason)
            return
    _work(world, deployment)


def _work(world: World, deployment: Deployment) -> None:
    """What the stage does once its hooks succeeded; it ends by `_advance`."""
    shift = deployment.record.shift
    assert shift is not None
    stage = shift.stage
    if stage == "SCALE_UP":
        return  # `on_evaluate` moves on once green runs at full size
    if stage == "CLEAN_UP":
        return  # the scheduler drains blue and completes the deployment
    if stage == "PRODUCTION_TRAFFIC_SHIFT" and shift.step < len(shift.steps) - 1:
        delay = shift.step_bake
    elif stage == "BAKE_TIME":
        delay = shift.bake
    else:
        delay = world.timings.lifecycle_stage
    world.schedule(delay, _advance, (deployment, shift.token))


def _advance(world: World, subject: tuple[Deployment, int]) -> None:
    deployment, token = subject
    shift = _current(deployment, token)
    if shift is None:
        return
    if shift.stage == "PRODUCTION_TRAFFIC_SHIFT" and shift.step < len(shift.steps) - 1:
        shift.step += 1
        _enter(world, deployment, "PRODUCTION_TRAFFIC_SHIFT")
        return
    _enter(world, deployment, STAGES[STAGES.index(shift.stage) + 1])


def on_evaluate(world: World, deployment: Deployment) -> None:
    """SCALE_UP ends once every desired green task runs healthy."""
    shift = deployment.record.shift
    if shift is None or shift.stage != "SCALE_UP" or _current(deployment, shift.token) is None:
        return
    desired = deployment.service.desired_count
    healthy = sum(1 for t in deployment.tasks.values() if t.last_status == "RUNNING" and t.healthy)
    if healthy >= desired and len(deployment.tasks) == desired:
        _enter(world, deployment, "POST_SCALE_UP")


def hook_failed_reason(hook: str, stage: str, why: str) -> str:
    return f"ECS deployment lifecycle hook {hook} failed at {stage}: {why}."


def hook_rollback_reason(hook: str, stage: str) -> str:
    return (
        f"Service deployment rolled back because the lifecycle hook {hook} failed at the "
        f"{stage} stage."
    )


def _hook_failed(world: World, deployment: Deployment, hook: str, stage: str, why: str) -> None:
    service = deployment.service
    record = deployment.record
    now = world.now
    deployment.rollout_state = "FAILED"
    deployment.rollout_state_reason = hook_failed_reason(hook, stage, why)
    deployment.updated_at = record.updated_at = now
    _events.add_event(
        world,
        service,
        f"(service {service.name}) (deployment {deployment.id}) deployment failed: "
        f"lifecycle hook {hook} failed at {stage}.",
    )
    if service.last_completed is not None:
        world.schedule(world.timings.rollback_delay, _start_hook_rollback, (deployment, hook))
    else:
        record.status = "STOPPED"
        record.status_reason = deployment.rollout_state_reason
        record.stopped_at = record.finished_at = now
    world.touch(service)


def _start_hook_rollback(world: World, subject: tuple[Deployment, str]) -> None:
    deployment, hook = subject
    service = deployment.service
    shift = deployment.record.shift
    if service.primary is not deployment or service.last_completed is None or shift is None:
        return  # someone deployed over the failed deployment meanwhile
    roll_back(
        world,
        deployment,
        reason=hook_rollback_reason(hook, shift.stage),
        rollout_reason=(
            f"ECS deployment lifecycle hook failed: rolling back to deploymentId "
            f"{service.last_completed.id}."
        ),
    )
