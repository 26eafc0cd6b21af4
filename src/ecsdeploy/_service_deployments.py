"""Our deployment's service-deployment record, where ECS's service-deployment API answers.

"View service history using Amazon ECS service deployments": every UpdateService that starts a
deployment is one service deployment, with a status (PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED,
ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED …), the circuit
breaker's failure count and threshold, the deployment alarms' status, the rollback (reason,
revision) and, for BLUE_GREEN / LINEAR / CANARY, its `lifecycleStage`. ListServiceDeployments
finds ours (the record created when our UpdateService was, `MATCH_WINDOW`); the cluster's
observer then describes the records of its watched deployments in one DescribeServiceDeployments
call per 20, on a loop beside its DescribeServices ticks: every poll for BLUE_GREEN / LINEAR /
CANARY, and for a rolling deployment only when DescribeServices shows something the record
explains (`record_wanted`).

Where the API is missing (an older region or endpoint) or not allowed (AccessDenied), the watch
goes on with DescribeServices alone: that is not a deployment failure.

The decisions over a record are pure functions; `refresh_records` is the only I/O, through the
gateway it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import structlog

from ecsdeploy._models import Observation, epoch
from ecsdeploy.exceptions import AccessDeniedError, AwsError, EcsDeployError

if TYPE_CHECKING:
    from ecsdeploy._gateway import EcsGateway

__all__ = [
    "MATCH_WINDOW",
    "MAX_LOOKUPS",
    "NATIVE_STRATEGIES",
    "ONGOING_STATUSES",
    "ROLLBACK_STATUSES",
    "RecordTracker",
    "ecs_rollback_reason",
    "is_native",
    "lifecycle_stage",
    "not_done",
    "pick_record",
    "record_trigger",
    "record_wanted",
    "refresh_records",
    "unavailable",
]

logger = structlog.get_logger("ecsdeploy")

#: Strategies whose deployments go through lifecycle stages and end with a bake time.
NATIVE_STRATEGIES = frozenset({"BLUE_GREEN", "LINEAR", "CANARY"})
#: The service deployment neither finished nor was stopped or rolled back.
ONGOING_STATUSES = frozenset({"PENDING", "IN_PROGRESS"})
#: ECS (its circuit breaker, an alarm, a lifecycle hook, a stop request) rolls the deployment back.
ROLLBACK_STATUSES = frozenset({"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"})
#: Seconds between our deployment's createdAt and its record's createdAt at most.
MATCH_WINDOW = 60.0
#: ListServiceDeployments calls that may come back without our record (or fail) before it is
#: given up (a minute at the default 5 s poll): ECS lists a new record within seconds.
MAX_LOOKUPS = 12
#: Error codes meaning "this endpoint has no such operation".
_NO_SUCH_OPERATION = frozenset(
    {"InvalidAction", "UnknownOperationException", "UnknownOperation", "UnsupportedOperation"}
)


def strategy_of(service: Mapping[str, Any]) -> str:
    config = service.get("deploymentConfiguration") or {}
    return str(config.get("strategy") or "ROLLING")


def is_native(service: Mapping[str, Any]) -> bool:
    """The service deploys with ECS's BLUE_GREEN, LINEAR or CANARY strategy."""
    return strategy_of(service) in NATIVE_STRATEGIES


def unavailable(exc: EcsDeployError) -> str | None:
    """Why a service-deployment call cannot be used at all (permission or operation missing),
    or None for an error worth trying again."""
    if isinstance(exc, AccessDeniedError):
        return f"access denied ({exc.operation})"
    if isinstance(exc, AwsError) and (exc.code in _NO_SUCH_OPERATION):
        return f"{exc.operation} is not available ({exc.code})"
    return None


def pick_record(briefs: Sequence[Mapping[str, Any]], created_at: float | None) -> str | None:
    """The ARN of the record created when our deployment was (the nearest within
    `MATCH_WINDOW`), or None if none is listed yet."""
    if created_at is None:
        return None
    best: tuple[float, str] | None = None
    for brief in briefs:
        created = epoch(brief.get("createdAt"))
        arn = brief.get("serviceDeploymentArn")
        if created is None or not arn:
            continue
        distance = abs(created - created_at)
        if distance <= MATCH_WINDOW and (best is None or distance < best[0]):
            best = (distance, str(arn))
    return best[1] if best is not None else None


def lifecycle_stage(record: Mapping[str, Any] | None) -> str | None:
    return str(record["lifecycleStage"]) if record and record.get("lifecycleStage") else None


def record_trigger(record: Mapping[str, Any]) -> str | None:
    """What made ECS fail or roll back the deployment, by the record: "alarm NAME", "circuit
    breaker", "lifecycle hook" or "stop request"; None when it does not say."""
    triggered = (record.get("alarms") or {}).get("triggeredAlarmNames") or []
    if triggered:
        return "alarm " + ", ".join(str(name) for name in triggered)
    if (record.get("deploymentCircuitBreaker") or {}).get("status") == "TRIGGERED":
        return "circuit breaker"
    text = " ".join(
        str(value or "")
        for value in ((record.get("rollback") or {}).get("reason"), record.get("statusReason"))
    ).lower()
    if "lifecycle hook" in text:
        return "lifecycle hook"
    if "alarm" in text:
        return "alarm"
    if "circuit breaker" in text:
        return "circuit breaker"
    if "stop request" in text:
        return "stop request"
    if record.get("status") == "ROLLBACK_REQUESTED":
        # "Stopping Amazon ECS service deployments": a stop with ROLLBACK moves a PENDING or
        # IN_PROGRESS deployment to ROLLBACK_REQUESTED; ECS's breaker and alarms say their own.
        return "stop request"
    return None


def ecs_rollback_reason(record: Mapping[str, Any]) -> str:
    return str(
        (record.get("rollback") or {}).get("reason")
        or record.get("statusReason")
        or record.get("status")
    )


def record_wanted(service: Mapping[str, Any], ours: Mapping[str, Any] | None) -> bool:
    """Whether the record is worth a read this round: always for BLUE_GREEN / LINEAR / CANARY
    (their stages); for a rolling deployment only when DescribeServices shows something the
    record explains (ours FAILED, not PRIMARY or not listed, the service not answered), which
    keeps a healthy rollout's calls to DescribeServices' own."""
    if not service or is_native(service):
        return True
    return ours is None or ours.get("status") != "PRIMARY" or ours.get("rolloutState") == "FAILED"


def not_done(observation: Observation) -> str | None:
    """Why a BLUE_GREEN / LINEAR / CANARY deployment is not over although the checks find it
    healthy: only a SUCCESSFUL record (after the bake time and CLEAN_UP) ends it; without the
    record, a COMPLETED rolloutState. None for a rolling deployment, or one that is over."""
    if not is_native(observation.service):
        return None
    record = observation.service_deployment
    if record is not None:
        if record.get("status") == "SUCCESSFUL":
            return None
        stage = lifecycle_stage(record) or "-"
        return f"service deployment {record.get('status')}, lifecycle stage {stage}"
    state = (observation.deployment or {}).get("rolloutState")
    if state == "COMPLETED":
        return None
    return f"rollout {state or 'state unknown'}"


@dataclass(eq=False)
class RecordTracker:
    """One watched deployment's record: found once, then described every tick."""

    #: Our deployment's createdAt (from UpdateService's answer), to find its record by.
    created_at: float | None
    arn: str | None = None
    #: The latest DescribeServiceDeployments answer for it.
    record: Mapping[str, Any] | None = None
    #: Why the API cannot be used (permission or operation missing): DescribeServices only.
    unavailable: str | None = None
    #: ListServiceDeployments calls that did not list our record (or failed).
    lookups: int = 0
    #: The latest DescribeServices answer makes the record worth reading (`record_wanted`).
    wanted: bool = False
    #: Set when the ListServiceDeployments in flight (the tick's or the records loop's) ends:
    #: a concurrent reader waits for it rather than asking (and counting a miss) again.
    looked_up: anyio.Event | None = None

    @property
    def usable(self) -> bool:
        return self.unavailable is None

    def give_up(self, why: str) -> None:
        if self.unavailable is None:
            self.unavailable = why
            # A record that can no longer be read must not go on speaking for the deployment
            # (an IN_PROGRESS one would keep a finished BLUE_GREEN watch waiting for ever).
            self.record = None
            logger.info("ecsdeploy.service_deployments.unavailable", reason=why)


async def refresh_records(
    gateway: EcsGateway,
    cluster: str,
    trackers: Mapping[RecordTracker, str],
    *,
    find_all: bool = False,
) -> None:
    """Find the records of `wanted` trackers that have none yet (ListServiceDeployments of
    their service; of every tracker with `find_all`, as a rollback needs it), then describe
    every known record that is `wanted` in one batch. Errors are logged and the old answers
    kept; a missing permission or operation retires the tracker for good.

    A healthy rolling deployment is never `wanted`, so it costs no call here at all."""
    usable = {tracker: service for tracker, service in trackers.items() if tracker.usable}
    async with anyio.create_task_group() as group:
        for tracker, service in usable.items():
            wanted = tracker.wanted or find_all
            if wanted and tracker.arn is None and tracker.created_at is not None:
                if tracker.looked_up is not None:
                    group.start_soon(tracker.looked_up.wait)
                else:
                    # Claimed before any await: the other reader sees this lookup in flight.
                    tracker.looked_up = anyio.Event()
                    group.start_soon(_look_up_once, gateway, cluster, tracker, service)
    known = {
        tracker.arn: tracker for tracker in usable if tracker.arn is not None and tracker.wanted
    }
    if not known:
        return
    try:
        found, _ = await gateway.describe_service_deployments(list(known))
    except EcsDeployError as exc:
        for tracker in known.values():
            _failed(tracker, exc, cluster)
        return
    for record in found:
        owner = known.get(str(record.get("serviceDeploymentArn")))
        if owner is not None and not _older(record, owner.record):
            owner.record = record


def _older(record: Mapping[str, Any], than: Mapping[str, Any] | None) -> bool:
    """A stale answer (ECS is eventually consistent): updated before the one already seen."""
    if than is None:
        return False
    seen = epoch(than.get("updatedAt")) or 0.0
    return (epoch(record.get("updatedAt")) or seen) < seen


async def _look_up_once(
    gateway: EcsGateway, cluster: str, tracker: RecordTracker, service: str
) -> None:
    done = tracker.looked_up
    try:
        await _look_up(gateway, cluster, tracker, service)
    finally:
        tracker.looked_up = None
        if done is not None:
            done.set()


async def _look_up(gateway: EcsGateway, cluster: str, tracker: RecordTracker, service: str) -> None:
    assert tracker.created_at is not None
    try:
        briefs = await gateway.list_service_deployments(
            cluster, service, created_after=tracker.created_at - MATCH_WINDOW
        )
    except EcsDeployError as exc:
        _failed(tracker, exc, cluster)
        # An endpoint that keeps failing the call (a 5xx for an operation it lacks, say) is
        # given up like one that never lists our record, not asked again every poll for ever.
        _missed(tracker, f"ListServiceDeployments failed {tracker.lookups + 1} times ({exc})")
        return
    tracker.arn = pick_record(briefs, tracker.created_at)
    if tracker.arn is None:
        _missed(tracker, f"no service deployment listed after {tracker.lookups + 1} lookups")


def _missed(tracker: RecordTracker, why: str) -> None:
    tracker.lookups += 1
    if tracker.lookups >= MAX_LOOKUPS:
        tracker.give_up(why)


def _failed(tracker: RecordTracker, exc: EcsDeployError, cluster: str) -> None:
    why = unavailable(exc)
    if why is not None:
        tracker.give_up(why)
    else:
        logger.warning("ecsdeploy.service_deployments.read_failed", cluster=cluster, error=str(exc))
