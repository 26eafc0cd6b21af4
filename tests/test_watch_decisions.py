"""WATCH's pure decisions, table-driven over sequences of observations (no server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from ecsdeploy import ContainerExit, Observation, ServiceEvent, StoppedTask, Target, Verdict
from ecsdeploy._models import classify_stop
from ecsdeploy._preflight import in_progress, roll_room_problem, rollback_target
from ecsdeploy._watch import (
    EndKind,
    WatchContext,
    WatchEnd,
    WatchState,
    assess,
    conclude,
    success_reason,
    suspected,
)

OURS = "ecs-svc/ours"
PREV = "ecs-svc/previous"
OTHER = "ecs-svc/someone"
OLD_ARN = "arn:aws:ecs:us-east-2:123456789012:task-definition/web:1"
NEW_ARN = "arn:aws:ecs:us-east-2:123456789012:task-definition/web:2"
HOTFIX_ARN = "arn:aws:ecs:us-east-2:123456789012:task-definition/web:3"
CREATED = 1000.0
POLL = 5.0
CONTEXT = WatchContext(
    deployment_id=OURS,
    created_at=CREATED,
    rollback_arns=frozenset({OLD_ARN}),
    previous_deployment_id=PREV,
    poll_interval=POLL,
)


def dep(
    id: str,
    status: str,
    rollout: str,
    *,
    arn: str | None = None,
    updated: float = CREATED,
    running: int = 2,
    desired: int = 2,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "id": id,
        "status": status,
        "rolloutState": rollout,
        "rolloutStateReason": reason,
        "taskDefinition": arn or (NEW_ARN if id == OURS else OLD_ARN),
        "createdAt": CREATED - 500 if id == PREV else CREATED,
        "updatedAt": updated,
        "runningCount": running,
        "desiredCount": desired,
        "pendingCount": 0,
    }


def read(
    *deployments: dict[str, Any],
    at: float,
    events: Sequence[str] = (),
    failure: str | None = None,
    config: dict[str, Any] | None = None,
    stopped: Sequence[StoppedTask] = (),
) -> Observation:
    service: dict[str, Any] = (
        {}
        if failure
        else {
            "serviceName": "web",
            "status": "ACTIVE",
            "deployments": list(deployments),
            "deploymentConfiguration": config or {},
        }
    )
    ours = next((d for d in deployments if d["id"] == OURS), None)
    return Observation(
        target=Target("prod", "web"),
        deployment_id=OURS,
        service=service,
        deployment=ours,
        other_deployments=tuple(d for d in deployments if d["id"] != OURS),
        events=tuple(ServiceEvent(str(i), at, m) for i, m in enumerate(events)),
        stopped_tasks=tuple(stopped),
        observed_at=at,
        watch_started_at=CREATED,
        failure=failure,
    )


ROLLING = Verdict.progressing("rolling")


def run(
    observations: Sequence[Observation], verdict: Verdict = ROLLING
) -> tuple[WatchEnd | None, int]:
    """Feed observations through assess/conclude: the end, and the index of its read."""
    state = WatchState()
    for index, observation in enumerate(observations):
        state, end, judge = assess(state, CONTEXT, observation)
        if end is None and judge:
            state, end = conclude(state, CONTEXT, observation, verdict)
        if end is not None:
            return end, index
    return None, len(observations)


def rolling(at: float) -> Observation:
    return read(
        dep(OURS, "PRIMARY", "IN_PROGRESS", updated=at - 1),
        dep(PREV, "ACTIVE", "COMPLETED", updated=at - 1),
        at=at,
    )


def superseded(at: float) -> Observation:
    return read(
        dep(OTHER, "PRIMARY", "IN_PROGRESS", arn=HOTFIX_ARN, updated=at),
        dep(OURS, "ACTIVE", "IN_PROGRESS", updated=at),
        at=at,
    )


def ecs_real_shape(at: float, *, reason: str = "circuit breaker: rolling back") -> Observation:
    """Real ECS: the previous deployment is PRIMARY again (same id); ours ACTIVE/FAILED."""
    return read(
        dep(PREV, "PRIMARY", "IN_PROGRESS", updated=at),
        dep(OURS, "ACTIVE", "FAILED", updated=at, reason=reason),
        at=at,
        config={"alarms": {"alarmNames": ["cpu-high"], "enable": True, "rollback": True}},
    )


def ecs_new_id_shape(at: float, *, ecs_rolls_back: bool = True) -> Observation:
    """The older simulator: a new deployment of the rollback target; ours ACTIVE/FAILED."""
    return read(
        dep("ecs-svc/rollback", "PRIMARY", "IN_PROGRESS", updated=at),
        dep(OURS, "ACTIVE", "FAILED", updated=at),
        at=at,
        config={"deploymentCircuitBreaker": {"enable": True, "rollback": ecs_rolls_back}},
    )


def human_rollback(at: float) -> Observation:
    """Someone deployed the previous revision by hand: a new id, ours not FAILED."""
    return read(
        dep("ecs-svc/human", "PRIMARY", "IN_PROGRESS", updated=at),
        dep(OURS, "ACTIVE", "IN_PROGRESS", updated=at),
        at=at,
    )


def missing(at: float) -> Observation:
    return read(at=at, failure="MISSING")


def inactive(at: float) -> Observation:
    """The service was deleted: DescribeServices reports it INACTIVE."""
    observation = rolling(at)
    return replace(observation, service={**observation.service, "status": "INACTIVE"})


def stale(at: float) -> Observation:
    """An answer from before our deployment: the previous one alone, PRIMARY and COMPLETED."""
    return read(dep(PREV, "PRIMARY", "COMPLETED", updated=CREATED - 100), at=at)


T = [CREATED + POLL * i for i in range(1, 12)]


@pytest.mark.parametrize(
    ("observations", "kind", "by_ecs", "decided_at"),
    [
        # One MISSING read between normal ones decides nothing.
        ([rolling(T[0]), missing(T[1]), rolling(T[2])], None, False, None),
        # A stale answer that predates our deployment is ignored, never "superseded".
        ([rolling(T[0]), stale(T[1]), stale(T[2]), stale(T[3]), rolling(T[4])], None, False, None),
        # MISSING over three reads and two polls is still eventual consistency, not gone ...
        ([missing(T[0]), missing(T[1]), missing(T[2])], None, False, None),
        # ... it is gone once it stayed MISSING for MISSING_POLLS poll intervals (12 polls of 5 s).
        ([missing(CREATED + 4 * POLL * i) for i in range(1, 6)], EndKind.GONE, False, 3),
        # A service DescribeServices reports INACTIVE is gone after the usual confirmation.
        ([inactive(T[0]), inactive(T[1]), inactive(T[2])], EndKind.GONE, False, 2),
        # Someone else's deployment: confirmed on the third agreeing read.
        ([superseded(T[0]), superseded(T[1]), superseded(T[2])], EndKind.SUPERSEDED, False, 2),
        # A fresh read of ours PRIMARY in between restarts the count.
        (
            [superseded(T[0]), superseded(T[1]), rolling(T[2]), superseded(T[3]), superseded(T[4])],
            None,
            False,
            None,
        ),
        # Real ECS rollback: the previous deployment PRIMARY again with its own id.
        ([ecs_real_shape(t) for t in T[:3]], EndKind.FAILED, True, 2),
        # A new deployment of the rollback target after ECS failed ours is not ECS's rollback
        # (ECS reuses the previous deployment's id): a human's, someone else's.
        ([ecs_new_id_shape(t) for t in T[:3]], EndKind.SUPERSEDED, False, 2),
        # A human's rollback to the previous revision is someone else's deployment.
        ([human_rollback(t) for t in T[:3]], EndKind.SUPERSEDED, False, 2),
        # ... even after ECS failed ours, when ECS is not configured to roll back.
        (
            [ecs_new_id_shape(t, ecs_rolls_back=False) for t in T[:3]],
            EndKind.SUPERSEDED,
            False,
            2,
        ),
    ],
    ids=[
        "one-missing",
        "stale-predates-ours",
        "missing-briefly",
        "missing-confirmed",
        "inactive-confirmed",
        "superseded-confirmed",
        "interrupted-confirmation",
        "ecs-real-shape",
        "ecs-new-id-shape",
        "human-rollback",
        "human-rollback-after-ecs-failed-ours",
    ],
)
def test_irreversible_endings_need_agreeing_fresh_reads(
    observations: list[Observation], kind: EndKind | None, by_ecs: bool, decided_at: int | None
) -> None:
    """Stale and MISSING reads decide nothing; endings are confirmed by agreeing reads."""
    end, index = run(observations)
    if kind is None:
        assert end is None
        return
    assert end is not None
    assert (end.kind, end.ecs_rolling_back, index) == (kind, by_ecs, decided_at)


def test_agreeing_reads_must_span_two_poll_intervals() -> None:
    """Three reads within one poll interval (a cached answer repeated) are not enough."""
    end, _ = run([superseded(CREATED + 10 + i * 0.1) for i in range(5)])
    assert end is None


def test_an_older_answer_than_one_seen_is_ignored() -> None:
    """An answer whose deployments are older than ones already seen changes nothing."""
    newer = read(dep(OURS, "PRIMARY", "IN_PROGRESS", updated=T[2]), at=T[2])
    older = read(dep(OTHER, "PRIMARY", "IN_PROGRESS", arn=HOTFIX_ARN, updated=T[0]), at=T[3])
    state, _, _ = assess(WatchState(), CONTEXT, newer)
    state, end, judge = assess(state, CONTEXT, older)
    assert (end, judge, state.pending) == (None, False, None)


def test_primary_failed_before_ecs_rolls_back_is_ecs_rolling_back() -> None:
    """Our deployment briefly PRIMARY/FAILED with the breaker's rollback on: ECS's rollback."""
    config = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    reads = [
        read(
            dep(OURS, "PRIMARY", "FAILED", updated=t, reason="tasks failed to start"),
            dep(PREV, "ACTIVE", "COMPLETED", updated=t),
            at=t,
            config=config,
        )
        for t in T[:3]
    ]
    end, index = run(reads)
    assert end is not None
    assert (end.kind, end.ecs_rolling_back, end.trigger, index) == (
        EndKind.FAILED,
        True,
        "circuit breaker",
        2,
    )


@pytest.mark.parametrize(
    ("reason", "trigger"),
    [
        ("ECS deployment circuit breaker: rolling back", "circuit breaker"),
        ("Rolling back because alarm cpu-high is in ALARM state", "alarm cpu-high"),
    ],
)
def test_ecs_rollback_names_its_trigger(reason: str, trigger: str) -> None:
    """ECS's alarm rollback is ECS's, with the alarm; the breaker's is the breaker's."""
    end, _ = run([ecs_real_shape(t, reason=reason) for t in T[:3]])
    assert end is not None
    assert end.trigger == trigger
    assert trigger in end.reason


def test_bake_holds_success_until_it_has_passed() -> None:
    """HEALTHY reads succeed only after staying healthy for the bake time."""
    context = WatchContext(OURS, CREATED, frozenset({OLD_ARN}), PREV, POLL, bake=12.0)
    healthy = Verdict.healthy("2/2 running")
    state = WatchState()
    ends = []
    for t in T[:5]:
        observation = read(dep(OURS, "PRIMARY", "COMPLETED", updated=CREATED), at=t)
        state, _, _ = assess(state, context, observation)
        state, end = conclude(state, context, observation, healthy)
        ends.append(end.kind if end else None)
    assert ends == [None, None, None, EndKind.SUCCEEDED, EndKind.SUCCEEDED]


def crashed(n: int) -> StoppedTask:
    return StoppedTask(
        f"arn:aws:ecs:us-east-2:1:task/prod/{n:032x}",
        "Essential container in task exited",
        "EssentialContainerExited",
        float(n),
        (ContainerExit("web", 1, None),),
    )


@pytest.mark.parametrize(
    ("max_running", "desired", "stopped", "says"),
    [
        (2, 2, [], "web:2: 2/2 tasks running"),
        (0, 0, [], "desired count is 0, no task ran the new revision"),
        (0, 0, [crashed(1), crashed(2)], "2 task(s) that started failed"),
        (2, 0, [crashed(1)], "desired count is 0, no task runs it now; 1 task(s)"),
    ],
)
def test_success_reason_says_when_no_task_ran(
    max_running: int, desired: int, stopped: list[StoppedTask], says: str
) -> None:
    """Zero desired tasks: the reason says no task ran the new revision, and what crashed."""
    observation = read(
        dep(OURS, "PRIMARY", "COMPLETED", running=desired, desired=desired),
        at=T[0],
        stopped=stopped,
    )
    reason = success_reason(WatchState(max_running=max_running), CONTEXT, observation)
    assert says in reason


def stop(code: str | None, reason: str, exit_code: int | None = None) -> StoppedTask:
    return StoppedTask("arn:t/1", reason, code, 1.0, (ContainerExit("web", exit_code, None),))


@pytest.mark.parametrize(
    ("task", "kind"),
    [
        (stop("EssentialContainerExited", "Essential container in task exited", 1), "failure"),
        (stop("TaskFailedToStart", "CannotPullContainerError: not found"), "failure"),
        (stop("SpotInterruption", "Your Spot Task was interrupted."), "interruption"),
        (stop("TerminationNotice", "ECS is performing maintenance"), "interruption"),
        (
            stop("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment x)"),
            "stopped",
        ),
        (stop("ServiceSchedulerInitiated", "Task failed container health checks"), "failure"),
        (stop("UserInitiated", "Task stopped by user"), "stopped"),
        (stop(None, "Task failed ELB health checks in (target-group x)"), "failure"),
        (stop(None, "", 137), "failure"),
    ],
)
def test_only_the_deployments_own_failures_count(task: StoppedTask, kind: str) -> None:
    """Stop codes and reasons classify a stopped task: failure, interruption or stopped."""
    assert classify_stop(task) == kind


def svc(*deployments: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"deployments": list(deployments), **fields}


def test_a_failed_primary_left_in_place_is_settled_and_not_the_rollback_target() -> None:
    """PRIMARY/FAILED next to the old ACTIVE one: nothing in progress; go back to COMPLETED."""
    service = svc(
        dep(OURS, "PRIMARY", "FAILED"),
        dep(PREV, "ACTIVE", "COMPLETED"),
    )
    assert in_progress(service) is None
    target = rollback_target(service)
    assert target is not None
    assert (target.task_definition, target.deployment_id) == (OLD_ARN, PREV)
    assert "newest COMPLETED" in target.note


def test_a_rollout_in_progress_is_waited_for() -> None:
    """An IN_PROGRESS PRIMARY is busy."""
    assert in_progress(svc(dep(OURS, "PRIMARY", "IN_PROGRESS"))) == OURS


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        (
            {
                "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 100},
            },
            True,
        ),
        (
            {
                "desiredCount": 1,
                "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 100},
            },
            True,
        ),
        (
            {
                "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 100},
            },
            False,
        ),
        (
            {
                "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 150},
            },
            False,
        ),
        (
            {
                "desiredCount": 0,
                "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 100},
            },
            False,
        ),
        (
            {
                "desiredCount": 3,
                "schedulingStrategy": "DAEMON",
                "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 100},
            },
            False,
        ),
    ],
    ids=["100-100", "rounding-leaves-no-room", "50-100", "100-150", "zero-desired", "daemon"],
)
def test_services_that_cannot_roll(fields: dict[str, Any], refused: bool) -> None:
    """No room between minimumHealthyPercent (rounded up) and maximumPercent (rounded down)."""
    problem = roll_room_problem(svc(**fields))
    assert (problem is not None) == refused
    if problem:
        assert "maximumPercent" in problem


def test_ecs_failing_ours_then_rolling_back_is_one_confirmed_ending() -> None:
    """PRIMARY/FAILED reads followed by ECS's rollback agree: ECS rolls back, confirmed."""
    config = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    failing = read(
        dep(OURS, "PRIMARY", "FAILED", updated=T[0]),
        dep(PREV, "ACTIVE", "COMPLETED", updated=T[0]),
        at=T[0],
        config=config,
    )
    end, index = run([failing, ecs_real_shape(T[1]), ecs_real_shape(T[2])])
    assert end is not None
    assert (end.kind, end.ecs_rolling_back, index) == (EndKind.FAILED, True, 2)


def test_an_unconfirmed_supersession_is_suspected_until_ours_is_seen_again() -> None:
    """Reads showing someone else's deployment leave it suspected (the rollback must not go
    out blind over it) until a fresh read shows ours PRIMARY again."""
    state = WatchState()
    suspicions = []
    for observation in [superseded(T[0]), superseded(T[1]), rolling(T[2]), missing(T[3])]:
        state, end, _ = assess(state, CONTEXT, observation)
        assert end is None
        suspicions.append(suspected(state))
    assert suspicions == [EndKind.SUPERSEDED, EndKind.SUPERSEDED, None, EndKind.GONE]


def test_ecs_rollback_is_attributed_by_agreeing_reads_of_the_record() -> None:
    """Reads from before the record caught up say "circuit breaker"; once it says a stop request
    did it, the ending waits for three reads that agree on that, and reports it."""
    stopped = {
        "status": "ROLLBACK_IN_PROGRESS",
        "rollback": {"reason": "Service deployment rolled back because of a stop request."},
    }
    before_record = [ecs_real_shape(t) for t in T[:2]]
    with_record = [replace(ecs_real_shape(t), service_deployment=stopped) for t in T[2:5]]
    end, index = run([*before_record, *with_record])
    assert end is not None
    assert (end.kind, end.ecs_rolling_back, end.trigger, index) == (
        EndKind.FAILED,
        True,
        "stop request",
        4,
    )
