"""Target health on the simulated clock, as DescribeTargetHealth reports it.

"Health checks for Application Load Balancer target groups" and "TargetHealth" (ELBv2 API
reference): a target registered with a target group that a load balancer uses is ``initial``
(``Elb.RegistrationInProgress``, then ``Elb.InitialHealthChecking`` once checks run) until it
passes ``HealthyThresholdCount`` checks in a row (``healthy``) or fails
``UnhealthyThresholdCount`` (``unhealthy``, with the reason of the failure:
``Target.ResponseCodeMismatch``, ``Target.Timeout`` or ``Target.FailedHealthChecks``). Checks run
every ``HealthCheckIntervalSeconds``, the first one an interval after registration. A target of
a target group no load balancer uses is ``unused`` (``Target.NotInUse``) and not checked until one
does. A deregistered target is ``draining`` (``Target.DeregistrationInProgress``) for the
group's ``deregistration_delay.timeout_seconds``, then gone (``unused``,
``Target.NotRegistered`` when asked for by id).

Whether a target passes its checks is decided when it is registered (`Target.failure`): the
simulator has no network, so a target answers unless a rule (``elb_unhealthy``) says otherwise.
Such a rule may start the failures later (`Target.failing_from`, a simulated time): until then
the target passes its checks like any other (``healthy`` after ``HealthyThresholdCount``); from
then on it fails them and turns ``unhealthy`` after ``UnhealthyThresholdCount`` intervals, as an
app that degrades after warm-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecsdeploy.sim._dynamics.world import World
from ecsdeploy.sim._elbv2.state import LoadBalancing, Target, TargetGroup

REGISTRATION_IN_PROGRESS = ("Elb.RegistrationInProgress", "Target registration is in progress")
INITIAL_HEALTH_CHECKING = ("Elb.InitialHealthChecking", "Initial health checks in progress")
NOT_IN_USE = (
    "Target.NotInUse",
    "Target group is not configured to receive traffic from the load balancer",
)
NOT_REGISTERED = ("Target.NotRegistered", "Target is not registered to the target group")
DEREGISTRATION_IN_PROGRESS = (
    "Target.DeregistrationInProgress",
    "Target deregistration is in progress",
)
FAILURE_REASONS = ("Target.ResponseCodeMismatch", "Target.Timeout", "Target.FailedHealthChecks")


def failure_description(reason: str, code: int) -> str:
    """TargetHealth.Description for an unhealthy target, in ELB's words."""
    if reason == "Target.ResponseCodeMismatch":
        return f"Health checks failed with these codes: [{code}]"
    if reason == "Target.Timeout":
        return "Request timed out"
    return "Health checks failed"


Listener = Callable[[Any, Target], None]


def register(
    world: World,
    balancing: LoadBalancing,
    group: TargetGroup,
    target_id: str,
    port: int,
    *,
    availability_zone: str | None = None,
    failure: str | None = None,
    failure_code: int = 500,
    failing_from: float | None = None,
    on_change: Listener | None = None,
) -> Target:
    """Register (id, port) with `group`; registering a registered target changes nothing,
    a draining one starts over. A `failure` fails the target's checks from `failing_from` (a
    simulated time; None: from the start)."""
    key = (target_id, port)
    target = group.targets.get(key)
    if target is not None and target.state != "draining":
        return target
    if target is None:
        target = group.targets[key] = Target(
            id=target_id,
            port=port,
            availability_zone=availability_zone,
            state="initial",
            reason=None,
            description=None,
        )
    target.failure = failure
    target.failure_code = failure_code
    target.failing_from = failing_from
    target.on_change = on_change
    _start(world, group, target, in_use=bool(balancing.load_balancers_of(group)))
    return target


def _start(world: World, group: TargetGroup, target: Target, *, in_use: bool) -> None:
    target.generation += 1
    if not in_use:
        _set(world, target, "unused", *NOT_IN_USE)
        return
    _set(world, target, "initial", *REGISTRATION_IN_PROGRESS)
    interval = float(group.health.interval)
    generation = target.generation
    world.schedule(interval, _checks_running, (group, target, generation))
    if _failing(world, target):
        _fail_after_threshold(world, group, target)
        return
    world.schedule(interval * group.health.healthy_threshold, _passed, (group, target, generation))
    if target.failure is not None and target.failing_from is not None:
        world.schedule(target.failing_from - world.now, _degraded, (group, target, generation))


def _failing(world: World, target: Target) -> bool:
    """Whether `target` fails its health checks now."""
    if target.failure is None:
        return False
    return target.failing_from is None or world.now >= target.failing_from


def _fail_after_threshold(world: World, group: TargetGroup, target: Target) -> None:
    interval = float(group.health.interval)
    world.schedule(
        interval * group.health.unhealthy_threshold,
        _failed,
        (group, target, target.generation),
    )


def refresh_use(world: World, balancing: LoadBalancing, group: TargetGroup) -> None:
    """Listeners changed: if a load balancer now forwards to `group`, its unused targets start
    being checked; if none does any more, its targets become unused."""
    in_use = bool(balancing.load_balancers_of(group))
    for target in group.targets.values():
        if in_use and target.state == "unused":
            _start(world, group, target, in_use=True)
        elif not in_use and target.state != "draining":
            _start(world, group, target, in_use=False)


def deregister(world: World, balancing: LoadBalancing, group: TargetGroup, target: Target) -> None:
    """Drain `target` for the group's deregistration delay, then forget it; a target of a
    group no load balancer uses goes at once."""
    if target.state == "draining":
        return
    target.generation += 1
    if not balancing.load_balancers_of(group) or target.state == "unused":
        group.targets.pop((target.id, target.port), None)
        return
    _set(world, target, "draining", *DEREGISTRATION_IN_PROGRESS)
    world.schedule(group.deregistration_delay, _drained, (group, target, target.generation))


def _checks_running(world: World, subject: tuple[TargetGroup, Target, int]) -> None:
    _, target, generation = subject
    if target.generation == generation and target.state == "initial":
        _set(world, target, "initial", *INITIAL_HEALTH_CHECKING)


def _passed(world: World, subject: tuple[TargetGroup, Target, int]) -> None:
    _, target, generation = subject
    # A target whose failures began before this streak ended never passed it.
    if (
        target.generation == generation
        and target.state == "initial"
        and not _failing(world, target)
    ):
        _set(world, target, "healthy", None, None)


def _degraded(world: World, subject: tuple[TargetGroup, Target, int]) -> None:
    group, target, generation = subject
    if target.generation == generation and target.state in ("initial", "healthy"):
        _fail_after_threshold(world, group, target)


def _failed(world: World, subject: tuple[TargetGroup, Target, int]) -> None:
    _, target, generation = subject
    if target.generation != generation or target.state not in ("initial", "healthy"):
        return
    assert target.failure is not None  # only scheduled for a failing target
    _set(
        world,
        target,
        "unhealthy",
        target.failure,
        failure_description(target.failure, target.failure_code),
    )


def _drained(world: World, subject: tuple[TargetGroup, Target, int]) -> None:
    group, target, generation = subject
    if target.generation == generation and target.state == "draining":
        group.targets.pop((target.id, target.port), None)
        target.state = "unused"


def _set(
    world: World, target: Target, state: str, reason: str | None, description: str | None
) -> None:
    changed = state != target.state
    target.state, target.reason, target.description = state, reason, description
    if changed and target.on_change is not None:
        target.on_change(world, target)
