"""The soak: many deployments in releases of mixed size on a simulator that injects faults.

Every deployment must end with the right outcome (a good image SUCCEEDED, a crashing one
ROLLED_BACK; in an atomic release with a crash, every service back on its previous revision),
every service must run the revision its outcome says, the revision of a rolled-back deployment
must be deregistered, and no secret value may reach a log line. An AWS failure that made a
deployment give up before it changed anything is a right outcome too (exit 1, nothing changed),
counted apart.

`nox -s soak` runs 200 deployments (`python -m tests.soak.engine --deployments 200`);
tests/soak/test_soak.py runs 20 inside `nox -s tests`.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog
from structlog.testing import capture_logs

from ecsdeploy import (
    Change,
    Deployer,
    DeploySettings,
    ImageChange,
    Outcome,
    Rate,
    Release,
    ReleaseResult,
    RetryPolicy,
    SetEnv,
    Stage,
    Target,
)
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import offline_session

REGION = "us-east-2"
CLUSTER = "soak"
CONTAINER = "app"
CRASH_RULE = {"image": "*:crash-*", "behavior": "crash", "exit_code": 1, "after": 5}

#: The faults of issue 13: seeded, on every operation unless named.
FAULTS: tuple[dict[str, Any], ...] = (
    {"operation": "*", "error": "ServerException", "probability": 0.10},
    {"operation": "*", "error": "ThrottlingException", "probability": 0.20},
    {"operation": "*", "error": "reset", "probability": 0.02},
    {"operation": "*", "error": "latency", "seconds": 2, "clock": "simulated", "probability": 0.05},
    {"operation": "DescribeServices", "error": "stale", "seconds": 30, "probability": 0.05},
    {"operation": "DescribeServices", "error": "missing", "probability": 0.03},
)

RELEASE_SIZES = (1, 1, 2, 3, 5, 8)

#: ECS's RegisterTaskDefinition quota (1/s after a burst of 20) would make the soak wait on
#: the wall clock; the faults here are the injected ones, so the Deployer's own pacing of
#: task-definition writes is lifted (its other buckets stay as on ECS).
_UNHURRIED = {"task_definition_write": Rate(burst=10_000, per_second=10_000)}


@dataclass
class SoakReport:
    deployments: int = 0
    releases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    gave_up_unchanged: int = 0
    wrong_outcomes: list[str] = field(default_factory=list)
    wrong_revisions: list[str] = field(default_factory=list)
    left_registered: list[str] = field(default_factory=list)
    secret_leaks: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    faults_answered: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        return [
            *self.wrong_outcomes,
            *self.wrong_revisions,
            *self.left_registered,
            *self.secret_leaks,
        ]

    def summary(self) -> str:
        return "\n".join(
            [
                f"deployments            {self.deployments} in {self.releases} releases",
                f"outcomes               {dict(sorted(self.outcomes.items()))}",
                f"gave up, unchanged     {self.gave_up_unchanged}",
                f"wrong outcomes         {len(self.wrong_outcomes)}",
                f"wrong revisions        {len(self.wrong_revisions)}",
                f"left registered        {len(self.left_registered)}",
                f"secret values in logs  {len(self.secret_leaks)}",
                f"ECS calls              {sum(self.calls.values())} {self.calls}",
                f"throttled answers      {self.faults_answered}",
                *[f"  PROBLEM: {problem}" for problem in self.problems],
            ]
        )


class _Account:
    """Reads the simulator's state straight from its backend: no faults, no HTTP."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.sim.backend.catch_up()
        return self.sim.backend.handle(REGION, operation, params)

    def task_definition(self, service: str) -> str:
        described = self.call("DescribeServices", cluster=CLUSTER, services=[service])
        return str(described["services"][0]["taskDefinition"])

    def status(self, arn: str) -> str:
        return str(
            self.call("DescribeTaskDefinition", taskDefinition=arn)["taskDefinition"]["status"]
        )


def _secret(rng: random.Random) -> str:
    return f"soak-secret-{rng.getrandbits(64):016x}"


async def run_soak(*, deployments: int, seed: int, speed: float = 1000.0) -> SoakReport:
    """`deployments` deployments in releases of mixed size under the seeded faults."""
    rng = random.Random(seed)
    report = SoakReport()
    secrets: dict[str, str] = {}
    services = [f"svc-{index:02d}" for index in range(max(RELEASE_SIZES))]
    async with Simulator(speed=speed, seed=seed) as sim:
        account = _Account(sim)
        account.call("CreateCluster", clusterName=CLUSTER)
        for name in services:
            secrets[name] = _secret(rng)
            registered = account.call(
                "RegisterTaskDefinition",
                family=name,
                containerDefinitions=[
                    {
                        "name": CONTAINER,
                        "image": "myorg/app:0",
                        "memory": 128,
                        "environment": [{"name": "DB_PASSWORD", "value": secrets[name]}],
                    }
                ],
            )
            account.call(
                "CreateService",
                cluster=CLUSTER,
                serviceName=name,
                taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
                desiredCount=2,
            )
        await sim.advance(600)
        sim.add_rule(CRASH_RULE)
        for fault in FAULTS:
            sim.add_rule(fault)
        settings = DeploySettings(timeout=60, poll_interval=0.05, rollback_timeout=60)
        retry = RetryPolicy(attempts=12, initial_wait=0.01, max_wait=0.1, max_elapsed=30.0)
        version = 0
        with capture_logs() as logs:
            async with Deployer(
                session=offline_session(),
                region=REGION,
                endpoint_url=sim.endpoint_url,
                settings=settings,
                retry=retry,
                rates=_UNHURRIED,
            ) as deployer:
                while report.deployments < deployments:
                    size = min(rng.choice(RELEASE_SIZES), deployments - report.deployments)
                    chosen = rng.sample(services, size)
                    version += 1
                    images = {
                        name: f"myorg/app:{'crash' if rng.random() < 0.25 else 'good'}-{version}"
                        for name in chosen
                    }
                    # Some releases also rotate the password in the plain environment: its
                    # value must show in no diff and no log line.
                    rotated = {name: _secret(rng) for name in chosen if rng.random() < 0.3}
                    secrets.update({f"{name}-{version}": value for name, value in rotated.items()})
                    atomic = rng.random() < 0.3
                    before = {name: account.task_definition(name) for name in chosen}
                    release = Release(
                        [
                            Stage(
                                "soak",
                                [_target(n, images[n], rotated.get(n)) for n in chosen],
                            )
                        ],
                        atomic=atomic,
                        max_concurrency=size,
                    )
                    result = await deployer.release(release)
                    report.releases += 1
                    report.deployments += size
                    _check_release(report, account, result, images, before, atomic=atomic)
        _check_logs(report, logs, secrets)
        stats = sim.stats()
        report.calls = stats["calls"]
        report.faults_answered = stats["throttled"]
    return report


def _target(service: str, image: str, password: str | None) -> Target:
    changes: list[Change] = [ImageChange(CONTAINER, image)]
    if password is not None:
        changes.append(SetEnv(CONTAINER, "DB_PASSWORD", password))
    return Target(CLUSTER, service, changes)


def _check_release(
    report: SoakReport,
    account: _Account,
    result: ReleaseResult,
    images: Mapping[str, str],
    before: Mapping[str, str],
    *,
    atomic: bool,
) -> None:
    crashed = any(":crash-" in image for image in images.values())
    for outcome in result.services:
        name = outcome.target.service
        deployed = outcome.result
        state = outcome.state.value
        report.outcomes[state] += 1
        now_on = account.task_definition(name)
        if deployed is not None and deployed.outcome is Outcome.FAILED and not deployed.changed:
            report.gave_up_unchanged += 1
            if now_on != before[name]:
                report.wrong_revisions.append(f"{name}: gave up unchanged yet runs {now_on}")
            registered = deployed.task_definition_arn
            if (
                registered
                and registered != before[name]
                and account.status(registered) != "INACTIVE"
            ):
                report.left_registered.append(
                    f"{name}: gave up unchanged yet its revision {registered} is still ACTIVE"
                )
            continue
        crash = ":crash-" in images[name]
        expected = "ROLLED_BACK" if crash or (atomic and crashed) else "SUCCEEDED"
        if state != expected:
            reason = outcome.reason
            report.wrong_outcomes.append(
                f"{name} {images[name]}: {state}, not {expected} ({reason})"
            )
            continue
        if expected == "SUCCEEDED":
            if deployed is None or now_on != deployed.task_definition_arn:
                report.wrong_revisions.append(f"{name}: SUCCEEDED but runs {now_on}")
            continue
        if now_on != before[name]:
            report.wrong_revisions.append(f"{name}: rolled back to {now_on}, not {before[name]}")
        new = deployed.task_definition_arn if deployed is not None else None
        if new and new != before[name] and account.status(new) != "INACTIVE":
            report.left_registered.append(f"{name}: rolled-back revision {new} is still ACTIVE")


def _check_logs(
    report: SoakReport, logs: Sequence[Mapping[str, Any]], secrets: Mapping[str, str]
) -> None:
    values = set(secrets.values())
    for entry in logs:
        text = repr(entry)
        for value in values:
            if value in text:
                report.secret_leaks.append(f"{entry.get('event')}: {text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--speed", type=float, default=1000.0)
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    report = anyio.run(
        lambda: run_soak(deployments=args.deployments, seed=args.seed, speed=args.speed)
    )
    print(report.summary())
    raise SystemExit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
