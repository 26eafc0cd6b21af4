"""From one tool's run to its figures: calls, detection latency, end-to-exit, correctness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from versus.measure import ProcessRun
from versus.scenarios import Scenario

#: ECS's documented defaults (Request throttling for the Amazon ECS API): burst, refill/s.
UPDATE_SERVICE_QUOTA = (50, 5.0)
REGISTER_TASK_DEFINITION_QUOTA = (20, 1.0)


@dataclass
class Figures:
    scenario: str
    tool: str
    label: str
    claimed: str
    truth: str
    correct: bool
    crashed_left_on_previous: bool | None
    detection_s: float | None
    detection_note: str
    end_to_exit_s: float | None
    calls: dict[str, int]
    throttled: dict[str, int]
    describe_list_calls: int
    extra_describe_list_per_service: float
    peak_rss_mb: float
    rss_sum_mb: float
    cpu_s: float
    wall_s: float
    processes: int
    floor_wall_s: float | None = None
    speed: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def compute(
    scenario: Scenario,
    tool: str,
    label: str,
    *,
    services: Sequence[str],
    initial: Mapping[str, str],
    final: Mapping[str, str],
    timeline: Sequence[Mapping[str, Any]],
    started_at: float,
    runs: Sequence[ProcessRun],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    wall_s: float,
) -> Figures:
    calls = _delta(before["calls"], after["calls"])
    throttled = _delta(before["throttled"], after["throttled"])
    ours = [r for r in timeline if r["createdAt"] >= started_at and r["service"] in initial]
    by_service: dict[str, list[Mapping[str, Any]]] = {}
    for record in ours:
        by_service.setdefault(record["service"], []).append(record)

    def succeeded(service: str) -> bool:
        records = by_service.get(service, [])
        return (
            final.get(service) != initial[service]
            and bool(records)
            and records[-1]["status"] == "SUCCESSFUL"
            and records[-1]["taskDefinition"] == final.get(service)
        )

    truth_ok = all(succeeded(s) for s in services)
    killed = any(r.killed for r in runs)
    claimed_ok = not killed and all(r.exit_code == 0 for r in runs)
    claimed = (
        "no answer (stopped by the bench)" if killed else "success" if claimed_ok else "failure"
    )
    crashing = [services[i] for i in sorted(scenario.crashing)]
    left = all(final.get(s) == initial[s] for s in crashing) if crashing else None

    detection, note = _detection(scenario, services, by_service, runs)
    finished = [r["finishedAt"] for r in ours]
    end_to_exit = None
    if ours and all(f is not None for f in finished) and not killed:
        end_to_exit = max(r.exited_at for r in runs) - max(f for f in finished if f is not None)
    describe_list = sum(n for op, n in calls.items() if op.startswith(("Describe", "List")))
    families_changed = len({initial[s].rsplit(":", 1)[0] for s in services})
    extra = (
        calls.get("ListTasks", 0)
        + calls.get("DescribeTasks", 0)
        + max(0, calls.get("DescribeTaskDefinition", 0) - families_changed)
    ) / max(1, len(services))
    return Figures(
        scenario=scenario.key,
        tool=tool,
        label=label,
        claimed=claimed,
        truth="success" if truth_ok else "failure",
        correct=not killed and claimed_ok == truth_ok,
        crashed_left_on_previous=left,
        detection_s=detection,
        detection_note=note,
        end_to_exit_s=end_to_exit,
        calls=calls,
        throttled=throttled,
        describe_list_calls=describe_list,
        extra_describe_list_per_service=round(extra, 3),
        peak_rss_mb=round(max((r.peak_rss_mb for r in runs), default=0.0), 1),
        rss_sum_mb=round(sum(r.peak_rss_mb for r in runs), 1),
        cpu_s=round(sum(r.cpu_seconds for r in runs), 2),
        wall_s=round(wall_s, 2),
        processes=len(runs),
        floor_wall_s=_floor(scenario, ours, families_changed) if scenario.throttle else None,
        speed=scenario.speed,
    )


def _detection(
    scenario: Scenario,
    services: Sequence[str],
    by_service: Mapping[str, Sequence[Mapping[str, Any]]],
    runs: Sequence[ProcessRun],
) -> tuple[float | None, str]:
    """Simulated seconds from the failure becoming visible in ECS (the threshold-th failed task,
    or ECS's own rollback) to the tool's rollback (a new deployment by UpdateService, or
    StopServiceDeployment, which rolls the same deployment back), else to its exit."""
    latencies: list[float] = []
    notes: list[str] = []
    for index in sorted(scenario.crashing):
        service = services[index]
        records = list(by_service.get(service, []))
        failed = next((r for r in records if r["thresholdReachedAt"] or _ecs_rollback_at(r)), None)
        exit_at = (runs[index] if len(runs) == len(services) else runs[-1]).exited_at
        reaction = _rollback_asked_at(records)
        visible = (
            None if failed is None else failed["thresholdReachedAt"] or _ecs_rollback_at(failed)
        )
        if visible is None or (reaction is not None and reaction < visible):
            notes.append(
                "acted before the threshold-th failed task"
                if reaction is not None or exit_at < float("inf")
                else "never visible"
            )
            continue
        if reaction is None:
            reaction = exit_at
            notes.append("exit (no rollback call)")
        else:
            notes.append("rollback call")
        latencies.append(reaction - visible)
    if not latencies:
        return None, "; ".join(sorted(set(notes)))
    return round(max(latencies), 1), "; ".join(sorted(set(notes)))


def _ecs_rollback_at(record: Mapping[str, Any]) -> float | None:
    """When ECS rolled the deployment back on its own (breaker, alarms), if it did."""
    if record.get("rollbackRequested"):
        return None
    started: float | None = record["rollbackStartedAt"]
    return started


def _rollback_asked_at(records: Sequence[Mapping[str, Any]]) -> float | None:
    """When the tool first asked for a rollback: a deployment after its own, or its own
    deployment stopped with ROLLBACK."""
    asked = [r["createdAt"] for r in records[1:]]
    asked += [r["rollbackStartedAt"] for r in records if r.get("rollbackRequested")]
    return min(asked, default=None)


def _floor(scenario: Scenario, records: Sequence[Mapping[str, Any]], families: int) -> float:
    """Wall seconds no client can beat: the UpdateService and RegisterTaskDefinition quotas'
    pace for this many calls, plus one service's rollout (the median, in wall seconds)."""
    burst, rate = UPDATE_SERVICE_QUOTA
    updates = max(0.0, (scenario.services - burst) / rate)
    burst, rate = REGISTER_TASK_DEFINITION_QUOTA
    registrations = max(0.0, (families - burst) / rate)
    rollouts = sorted(
        r["finishedAt"] - r["createdAt"] for r in records if r["finishedAt"] is not None
    )
    rollout = rollouts[len(rollouts) // 2] / scenario.speed if rollouts else 0.0
    return round(max(updates, registrations) + rollout, 2)


def _delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {op: n - before.get(op, 0) for op, n in sorted(after.items()) if n - before.get(op, 0)}
