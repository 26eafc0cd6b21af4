"""WATCH's decisions, as pure functions over the sequence of observations.

The machine feeds every observation through `assess` (is this read fresh, and does it end the
watch without asking the health checks?) and, when it is ours to judge, runs the checks and feeds
their verdict through `conclude`. Both return the next `WatchState` and, once the watch is over,
one `WatchEnd`. Nothing here does I/O, so every rule is tested over observation sequences.

ECS is eventually consistent: an answer can be stale or say MISSING for a moment. So:

- a stale answer (one older than an answer already seen, or one that predates our deployment
  and does not show it) is ignored;
- an ending that cannot be undone and is not our own completed deployment (superseded, gone,
  rolled back by ECS) is decided only after `CONFIRM_READS` fresh reads in a row agree on it,
  spanning at least `CONFIRM_POLLS` poll intervals.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ecsdeploy._models import Observation, Status, Verdict, epoch
from ecsdeploy._service_deployments import (
    ONGOING_STATUSES,
    ROLLBACK_STATUSES,
    ecs_rollback_reason,
    not_done,
    record_trigger,
)

__all__ = [
    "CONFIRM_POLLS",
    "CONFIRM_READS",
    "MISSING_POLLS",
    "EndKind",
    "Reading",
    "WatchContext",
    "WatchEnd",
    "WatchState",
    "assess",
    "conclude",
    "ecs_rollback_trigger",
    "is_stale",
    "newest_update",
    "reading_of",
    "suspected",
    "timed_out",
]

#: Fresh reads that must agree before an irreversible ending is decided.
CONFIRM_READS = 3
#: ... and the poll intervals they must span at least (so one cached answer cannot repeat).
CONFIRM_POLLS = 2.0
#: Poll intervals a service must stay MISSING before it counts as gone (a minute at the default
#: 5 s). A deleted service reads DRAINING/INACTIVE for a long while; MISSING right after our own
#: UpdateService is almost always ECS's eventual consistency, and calling it gone would leave
#: our revision running unwatched.
MISSING_POLLS = 12.0


class EndKind(enum.Enum):
    SUCCEEDED = "succeeded"
    #: A check failed, or ECS failed our deployment (then `ecs_rolling_back` says ECS goes back).
    FAILED = "failed"
    #: Someone else's deployment replaced ours: never roll back over it.
    SUPERSEDED = "superseded"
    #: The service was deleted (or stays MISSING): nothing to watch or roll back.
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class WatchEnd:
    """How WATCH ended: one value, whatever the route."""

    kind: EndKind
    reason: str
    #: ECS itself is rolling our deployment back (its circuit breaker or an alarm).
    ecs_rolling_back: bool = False
    #: What made ECS roll back: "circuit breaker" or "alarm NAME".
    trigger: str | None = None
    #: GONE only because DescribeServices did not find the service (not a status it reported).
    unanswered: bool = False

    @property
    def confirmed_by_reads(self) -> bool:
        """Irreversible endings that a stale or MISSING read could fake need agreeing reads."""
        return self.kind in (EndKind.SUPERSEDED, EndKind.GONE) or (
            self.kind is EndKind.FAILED and self.ecs_rolling_back
        )


@dataclass(frozen=True, slots=True)
class WatchContext:
    """What the watch knows from before it started."""

    deployment_id: str
    #: Our deployment's createdAt (epoch seconds), from UpdateService's answer.
    created_at: float | None
    #: The revisions going back counts as a rollback to: the rollback target, and the revision
    #: it copies when the service's own revision was deregistered (ECS goes back to that one).
    rollback_arns: frozenset[str]
    #: The deployment that was PRIMARY before ours (ECS's rollback makes it PRIMARY again).
    previous_deployment_id: str | None
    poll_interval: float
    bake: float = 0.0
    max_checks: int | None = None

    @property
    def confirm_span(self) -> float:
        return CONFIRM_POLLS * self.poll_interval


@dataclass(frozen=True, slots=True)
class _Pending:
    end: WatchEnd
    first_at: float
    reads: int


@dataclass(frozen=True, slots=True)
class WatchState:
    ticks: int = 0
    healthy_since: float | None = None
    #: The newest deployment updatedAt any answer showed: older answers are stale.
    newest: float = 0.0
    pending: _Pending | None = None
    #: Most tasks of our deployment ever seen running (0: no task ran the new revision).
    max_running: int = 0
    last_verdict: Verdict | None = None


class Reading(enum.Enum):
    FRESH = "fresh"
    STALE = "stale"


def newest_update(service: Mapping[str, Any]) -> float:
    """The newest updatedAt (or createdAt) among the service's deployments."""
    stamps = [
        epoch(d.get("updatedAt")) or epoch(d.get("createdAt")) or 0.0
        for d in service.get("deployments", [])
    ]
    return max(stamps, default=0.0)


def is_stale(
    service: Mapping[str, Any], *, newest_seen: float, created_at: float | None, ours: str
) -> bool:
    """An answer older than one already seen, or from before our deployment existed."""
    if not service.get("deployments"):
        return False  # MISSING or deleted: not stale, unknown (see `assess`)
    newest = newest_update(service)
    if newest and newest < newest_seen:
        return True
    shows_ours = any(d.get("id") == ours for d in service.get("deployments", []))
    return not shows_ours and created_at is not None and 0 < newest < created_at


def reading_of(state: WatchState, context: WatchContext, observation: Observation) -> Reading:
    stale = is_stale(
        observation.service,
        newest_seen=state.newest,
        created_at=context.created_at,
        ours=context.deployment_id,
    )
    return Reading.STALE if stale else Reading.FRESH


def ecs_rollback_trigger(observation: Observation) -> str:
    """What made ECS fail our deployment: its circuit breaker, a CloudWatch alarm (named), a
    lifecycle hook or a stop request. The service-deployment record says it best; without it,
    the rolloutStateReason and our deployment's service events."""
    record = observation.service_deployment
    from_record = record_trigger(record) if record is not None else None
    if from_record is not None and from_record != "alarm":
        return from_record
    texts = [str((observation.deployment or {}).get("rolloutStateReason") or "")]
    ours = f"(deployment {observation.deployment_id})"
    texts += [e.message for e in observation.events if ours in e.message]
    if any("lifecycle hook" in t.lower() for t in texts):
        return "lifecycle hook"
    alarmed = [t for t in texts if "alarm" in t.lower()]
    if not alarmed:
        return "circuit breaker"
    configured = (observation.service.get("deploymentConfiguration") or {}).get("alarms") or {}
    names = [str(n) for n in configured.get("alarmNames", [])]
    named = [n for n in names if any(n in t for t in alarmed)]
    if named:
        return "alarm " + ", ".join(named)
    if names:
        return "alarm " + ", ".join(names)
    return f"alarm ({alarmed[0]})"


def ecs_rolls_back(service: Mapping[str, Any]) -> bool:
    """The service lets ECS roll a failed deployment back (circuit breaker or alarms)."""
    config = service.get("deploymentConfiguration") or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    alarms = config.get("alarms") or {}
    return bool(breaker.get("enable") and breaker.get("rollback")) or bool(
        alarms.get("enable") and alarms.get("rollback")
    )


def ecs_will_roll_back(observation: Observation) -> bool:
    """ECS has failed our deployment and its configuration makes it roll back by itself."""
    config = observation.service.get("deploymentConfiguration") or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    alarms = config.get("alarms") or {}
    record = observation.service_deployment
    if record is not None and record.get("status") in ROLLBACK_STATUSES:
        return True
    if (observation.deployment or {}).get("rolloutState") != "FAILED":
        return False
    trigger = ecs_rollback_trigger(observation)
    if trigger == "lifecycle hook":
        # "Lifecycle hooks for Amazon ECS service deployments": a hook that fails rolls back.
        return True
    if trigger.startswith("alarm"):
        return bool(alarms.get("enable") and alarms.get("rollback"))
    return bool(breaker.get("enable") and breaker.get("rollback"))


def _primary(deployments: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for deployment in deployments:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return None


def _lost(context: WatchContext, observation: Observation) -> WatchEnd | None:
    """The irreversible ending this read suggests, if our deployment is not PRIMARY in it."""
    service = observation.service
    if observation.failure is not None or not service:
        record = observation.service_deployment
        if record is not None and record.get("status") in ONGOING_STATUSES:
            # Our service deployment still goes on: DescribeServices' MISSING is ECS's eventual
            # consistency, not a deleted service (whose deployment would have stopped).
            return None
        why = observation.failure or "MISSING"
        return WatchEnd(
            EndKind.GONE, f"DescribeServices reports the service {why}", unanswered=True
        )
    status = service.get("status")
    if status is not None and status != "ACTIVE":
        return WatchEnd(EndKind.GONE, f"the service became {status} during WATCH")
    if observation.is_ours_primary:
        return None
    primary = observation.primary
    if primary is None:
        return None  # no PRIMARY at all: an answer caught mid-change, nothing to decide on
    same_deployment_again = (
        primary.get("id") is not None and primary.get("id") == context.previous_deployment_id
    )
    # ECS rolls back by making the previous COMPLETED deployment PRIMARY again, same id ("When
    # the rollback starts, the deployment changes from a COMPLETED to IN_PROGRESS", ECS developer
    # guide); nobody else can reuse that id. A *new* deployment of the rollback revision is a
    # human's (or another tool's) rollback, even right after ECS failed ours: someone else's.
    if same_deployment_again:
        trigger = ecs_rollback_trigger(observation)
        record = observation.service_deployment
        why = (
            f": {ecs_rollback_reason(record)}"
            if record is not None and record.get("status") in ROLLBACK_STATUSES
            else ""
        )
        return WatchEnd(
            EndKind.FAILED,
            f"ECS rolled the deployment back ({trigger}){why}",
            ecs_rolling_back=True,
            trigger=trigger,
        )
    return WatchEnd(
        EndKind.SUPERSEDED,
        f"superseded by deployment {primary.get('id', '?')} ({primary.get('taskDefinition', '?')})",
    )


def _agree(a: WatchEnd, b: WatchEnd) -> bool:
    """Two reads suggest the same ending: ECS failing ours and then ECS rolling back agree
    when they agree on what triggered it (so the trigger reported is one that agreeing reads
    gave, not one read's before the service-deployment record caught up); two supersessions
    agree only on the same deployment."""
    same = (
        a.kind is b.kind
        and a.ecs_rolling_back == b.ecs_rolling_back
        and a.unanswered == b.unanswered
        and a.trigger == b.trigger
    )
    return same and (a.kind is not EndKind.SUPERSEDED or a.reason == b.reason)


def _agreeing(pending: _Pending | None, candidate: WatchEnd, at: float) -> _Pending:
    if pending is not None and _agree(pending.end, candidate):
        return replace(pending, reads=pending.reads + 1)
    return _Pending(candidate, at, 1)


def _confirmed(pending: _Pending, context: WatchContext, at: float) -> bool:
    span = context.confirm_span
    if pending.end.unanswered:
        span = max(span, MISSING_POLLS * context.poll_interval)
    return pending.reads >= CONFIRM_READS and at - pending.first_at >= span


def assess(
    state: WatchState, context: WatchContext, observation: Observation
) -> tuple[WatchState, WatchEnd | None, bool]:
    """First look at a tick: (next state, the end if any, whether the checks should judge it).

    Stale reads change nothing. A read suggesting an irreversible ending counts towards its
    confirmation and is not judged by the checks (they would fail "not PRIMARY" from one read).
    """
    state = replace(state, ticks=state.ticks + 1)
    if reading_of(state, context, observation) is Reading.STALE:
        return state, None, False
    state = replace(state, newest=max(state.newest, newest_update(observation.service)))
    running = int((observation.deployment or {}).get("runningCount", 0) or 0)
    state = replace(state, max_running=max(state.max_running, running))
    candidate = _lost(context, observation)
    if candidate is None and observation.is_ours_primary and ecs_will_roll_back(observation):
        trigger = ecs_rollback_trigger(observation)
        reason = str((observation.deployment or {}).get("rolloutStateReason") or "rollout failed")
        record = observation.service_deployment
        if record is not None and record.get("status") in ROLLBACK_STATUSES:
            reason = ecs_rollback_reason(record)
        candidate = WatchEnd(
            EndKind.FAILED,
            f"ECS failed the deployment ({trigger}): {reason}",
            ecs_rolling_back=True,
            trigger=trigger,
        )
    if candidate is None:
        if not observation.is_ours_primary:
            return state, None, False  # no PRIMARY at all: caught mid-change, decides nothing
        return replace(state, pending=None), None, True
    pending = _agreeing(state.pending, candidate, observation.observed_at)
    state = replace(state, pending=pending, healthy_since=None)
    if _confirmed(pending, context, observation.observed_at):
        return state, candidate, False
    return state, None, False


def conclude(
    state: WatchState, context: WatchContext, observation: Observation, verdict: Verdict
) -> tuple[WatchState, WatchEnd | None]:
    """Second look, with the checks' combined verdict on a fresh read of our PRIMARY deployment."""
    waiting = not_done(observation) if verdict.status is Status.HEALTHY else None
    if waiting is not None:
        # Blue/green, linear, canary: over only once ECS's own bake time and clean-up are.
        verdict = Verdict(Status.PROGRESSING, waiting, check="service-deployment")
    state = replace(state, last_verdict=verdict)
    if verdict.status is Status.FAILED:
        return state, WatchEnd(EndKind.FAILED, verdict.reason)
    if verdict.status is Status.HEALTHY:
        since = state.healthy_since if state.healthy_since is not None else observation.observed_at
        state = replace(state, healthy_since=since)
        if observation.observed_at - since >= context.bake:
            return state, WatchEnd(EndKind.SUCCEEDED, success_reason(state, context, observation))
    else:
        state = replace(state, healthy_since=None)
    if context.max_checks is not None and state.ticks >= context.max_checks:
        return state, WatchEnd(
            EndKind.FAILED, f"not healthy after {state.ticks} checks: {verdict.reason}"
        )
    return state, None


def suspected(state: WatchState) -> EndKind | None:
    """The ending the latest fresh reads suggest but have not confirmed yet, if any."""
    return state.pending.end.kind if state.pending is not None else None


def out_of_checks(state: WatchState, context: WatchContext) -> WatchEnd | None:
    """`max_checks` looks were spent on reads the checks could not judge."""
    if context.max_checks is not None and state.ticks >= context.max_checks:
        return WatchEnd(EndKind.FAILED, f"not healthy after {state.ticks} checks: {_last(state)}")
    return None


def timed_out(state: WatchState, timeout: float) -> WatchEnd:
    return WatchEnd(EndKind.FAILED, f"timed out after {timeout:g}s: {_last(state)}")


def _last(state: WatchState) -> str:
    if state.pending is not None:
        return f"unconfirmed: {state.pending.end.reason}"
    return state.last_verdict.reason if state.last_verdict else "no observation arrived"


def success_reason(state: WatchState, context: WatchContext, observation: Observation) -> str:
    deployment = observation.deployment or {}
    revision = str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1]
    desired = int(deployment.get("desiredCount", 0) or 0)
    if desired == 0:
        failed = observation.failed_stopped_tasks
        crashed = (
            f"; {len(failed)} task(s) that started failed, last: {failed[-1].describe()}"
            if failed
            else ""
        )
        ever = "no task ran the new revision" if state.max_running == 0 else "no task runs it now"
        return f"{revision}: desired count is 0, {ever}{crashed}"
    baked = f", healthy for {context.bake:g}s" if context.bake else ""
    running = deployment.get("runningCount", "?")
    return f"{revision}: {running}/{desired} tasks running{baked}"
