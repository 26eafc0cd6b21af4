"""PREFLIGHT's decisions about a described service, as pure functions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecsdeploy._models import epoch

__all__ = [
    "PREFLIGHT_READ_INTERVAL",
    "RollbackTarget",
    "as_of",
    "in_progress",
    "primary_of",
    "roll_room_problem",
    "rollback_target",
]


#: Seconds between PREFLIGHT's agreeing reads at most: ECS's reads settle within about a second,
#: and a long poll interval (the Drone plugin's 10 s) must not delay every deployment by two.
PREFLIGHT_READ_INTERVAL = 1.0


def primary_of(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for deployment in service.get("deployments", []):
        if deployment.get("status") == "PRIMARY":
            return dict(deployment)
    return None


def as_of(service: Mapping[str, Any]) -> float:
    """When the state an answer shows was last changed: its deployments' newest `updatedAt`.

    Of two DescribeServices answers, the one with the later time is the fresher; a stale answer
    (ECS is eventually consistent) shows an older state. `createdAt` alone would not do: ECS's
    own rollback makes an older deployment PRIMARY again.
    """
    times = [
        epoch(d.get("updatedAt")) or epoch(d.get("createdAt")) or 0.0
        for d in service.get("deployments", [])
    ]
    return max(times, default=0.0)


def _live(service: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [d for d in service.get("deployments", []) if d.get("status") != "INACTIVE"]


def in_progress(service: Mapping[str, Any]) -> str | None:
    """The id of a deployment still rolling out, if any.

    A PRIMARY deployment whose rolloutState is FAILED is settled: ECS stopped launching its
    tasks and nothing will change until someone deploys (a failure left in place, fixed forward).
    """
    primary = primary_of(service)
    if primary is not None and primary.get("rolloutState") == "FAILED":
        return None
    deployments = _live(service)
    for deployment in deployments:
        if deployment.get("rolloutState") == "IN_PROGRESS":
            return str(deployment.get("id"))
    if len(deployments) > 1:
        # Older deployments are still draining even though the primary's rollout is done.
        return str((primary or {}).get("id", "?"))
    return None


@dataclass(frozen=True, slots=True)
class RollbackTarget:
    """What a failed deployment goes back to, and why that one."""

    task_definition: str
    #: The deployment running it (ECS's own rollback makes that one PRIMARY again).
    deployment_id: str | None
    #: Set when the target is not simply the current PRIMARY (a fix-forward).
    note: str = ""


def rollback_target(service: Mapping[str, Any]) -> RollbackTarget | None:
    """The newest revision that COMPLETED: what ECS's own circuit breaker goes back to.

    Normally the PRIMARY deployment. When the PRIMARY failed and was left in place, the newest
    COMPLETED deployment still listed beside it; failing that, the failed revision itself.
    """
    primary = primary_of(service)
    if primary is None:
        return None
    if primary.get("rolloutState") != "FAILED":
        return RollbackTarget(str(primary["taskDefinition"]), _id(primary))
    completed = sorted(
        (d for d in _live(service) if d.get("rolloutState") == "COMPLETED"),
        key=lambda d: epoch(d.get("createdAt")) or 0.0,
    )
    if completed:
        newest = completed[-1]
        return RollbackTarget(
            str(newest["taskDefinition"]),
            _id(newest),
            note=(
                f"the PRIMARY deployment {primary.get('id')} ({primary.get('taskDefinition')}) "
                f"FAILED and was left in place; rollback target is the newest COMPLETED revision "
                f"{newest['taskDefinition']}"
            ),
        )
    return RollbackTarget(
        str(primary["taskDefinition"]),
        _id(primary),
        note=(
            f"the PRIMARY deployment {primary.get('id')} FAILED and no COMPLETED deployment is "
            f"listed; a rollback would return to the failed revision {primary['taskDefinition']}"
        ),
    )


def _id(deployment: Mapping[str, Any]) -> str | None:
    value = deployment.get("id")
    return str(value) if value is not None else None


def roll_room_problem(service: Mapping[str, Any]) -> str | None:
    """Why ECS could not start a single new task in this service's rolling update, if so.

    ECS rounds minimumHealthyPercent up and maximumPercent down; a rolling update needs
    room for one task between them. DAEMON services and a desired count of 0 always roll.
    """
    if service.get("schedulingStrategy") == "DAEMON":
        return None
    strategy = (service.get("deploymentConfiguration") or {}).get("strategy")
    if strategy in ("BLUE_GREEN", "LINEAR", "CANARY"):
        return None  # green is launched at full size beside blue, whatever the percentages say
    desired = int(service.get("desiredCount", 0) or 0)
    if desired == 0:
        return None
    config = service.get("deploymentConfiguration") or {}
    minimum = int(config.get("minimumHealthyPercent", 100))
    maximum = int(config.get("maximumPercent", 200))
    must_keep = math.ceil(desired * minimum / 100)
    may_run = math.floor(desired * maximum / 100)
    if may_run - must_keep >= 1:
        return None
    return (
        f"the service cannot roll: with desiredCount {desired}, minimumHealthyPercent {minimum} "
        f"keeps {must_keep} tasks running and maximumPercent {maximum} allows {may_run}, so ECS "
        "can neither stop an old task nor start a new one; lower "
        "deploymentConfiguration.minimumHealthyPercent or raise "
        "deploymentConfiguration.maximumPercent (e.g. 200)"
    )
