"""Running every check on an observation and combining their verdicts."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from ecsdeploy._models import Observation, Status, Verdict
from ecsdeploy.checks._healthcheck import HealthCheck, check_name


async def evaluate_checks(checks: Sequence[HealthCheck], observation: Observation) -> list[Verdict]:
    """Every check's verdict, concurrently; a check that raises is that check's FAILED verdict."""
    verdicts: list[Verdict | None] = [None] * len(checks)

    async def run(index: int, check: HealthCheck) -> None:
        name = check_name(check)
        try:
            verdict = await check.evaluate(observation)
        except Exception as exc:  # a user's check must not crash the deployer
            verdict = Verdict.failed(f"check raised {type(exc).__name__}: {exc}")
        verdicts[index] = Verdict(verdict.status, verdict.reason, verdict.check or name)

    async with anyio.create_task_group() as group:
        for index, check in enumerate(checks):
            group.start_soon(run, index, check)
    return [v for v in verdicts if v is not None]


def combine(verdicts: Sequence[Verdict]) -> Verdict:
    """Any FAILED fails; all opinions HEALTHY (and at least one) is healthy; else progressing."""
    for verdict in verdicts:
        if verdict.status is Status.FAILED:
            return verdict
    opinions = [v for v in verdicts if v.status is not Status.UNKNOWN]
    if opinions and all(v.status is Status.HEALTHY for v in opinions):
        return Verdict(Status.HEALTHY, "; ".join(f"{v.check}: {v.reason}" for v in opinions))
    waiting = [v for v in opinions if v.status is Status.PROGRESSING]
    reason = "; ".join(f"{v.check}: {v.reason}" for v in waiting) or "waiting for ECS"
    return Verdict(Status.PROGRESSING, reason)
