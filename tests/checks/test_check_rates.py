"""The Deployer's `rates=` paces the health checks' ELBv2 and CloudWatch reads too, in the same
(account, region) limiter as its ECS calls: the simulator's call counts show the rate."""

from __future__ import annotations

import time

import pytest

from ecsdeploy import Deployer, DeploySettings, Outcome, Rate
from ecsdeploy._deployer import pacing_of
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.checks import Alarms, HealthCheck, TargetHealth
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import POLL_INTERVAL, REGION, offline_session
from tests._fixtures.scenario import to
from tests.checks.balanced import Balanced

pytestmark = pytest.mark.anyio

ALARM = "webapp-5xx"
#: Calls per second the test allows the paced operation (one at once, no burst).
PER_SECOND = 4.0
#: Wall seconds the deployment bakes: many polls (every POLL_INTERVAL), few paced calls.
BAKE = 1.0


@pytest.mark.parametrize(
    ("group", "operation", "check"),
    [
        ("elbv2", "elbv2:DescribeTargetHealth", TargetHealth()),
        ("cloudwatch", "cloudwatch:DescribeAlarms", Alarms(ALARM)),
    ],
)
async def test_rates_pace_the_checks_reads(
    ecs_simulator: Simulator,
    lb: Balanced,
    group: str,
    operation: str,
    check: HealthCheck,
) -> None:
    """`rates={group: Rate(1, 4/s)}`: the check's calls stay within 1 + 4/s of the deployment's
    wall time though ECS is polled every 5 ms, and every one went through the (account,
    region)'s limiter."""
    await lb.create()
    await lb.alarm(ALARM)
    settings = DeploySettings(
        timeout=30, poll_interval=POLL_INTERVAL, extra_checks=(check,), bake=BAKE
    )
    before = ecs_simulator.stats()["calls"]
    async with Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=ecs_simulator.endpoint_url,
        settings=settings,
        retry=RetryPolicy.fast(),
        rates={group: Rate(burst=1, per_second=PER_SECOND)},
    ) as deployer:
        started = time.monotonic()
        result = await deployer.deploy(to("myorg/nginx:2"))
        elapsed = time.monotonic() - started
        (limiter,) = pacing_of(deployer).limiters.values()
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    paced = ecs_simulator.stats()["calls"][operation] - before.get(operation, 0)
    # The default bucket (20 at once, then 5/s) would have let a call through on every poll
    # until its burst was spent: only the configured one keeps within this.
    assert 2 <= paced <= 1 + PER_SECOND * elapsed, (paced, elapsed)
    assert limiter.taken(operation) == paced


@pytest.mark.parametrize(
    ("rates", "error", "problem"),
    [
        ({"cloudwach": Rate(burst=5, per_second=1)}, ValueError, "unknown rate groups"),
        ({"cloudwatch": 5}, TypeError, r"rates\['cloudwatch'\] must be a Rate"),
    ],
)
def test_bad_rates_are_refused_when_the_deployer_is_made(
    rates: dict[str, object], error: type[Exception], problem: str
) -> None:
    """A misspelt group or a value that is not a Rate is an error from Deployer(...), not from
    the first call of the first deployment (or a poll loop crashing on every tick after the
    service changed, for a bucket only WATCH uses)."""
    with pytest.raises(error, match=problem):
        Deployer(session=offline_session(), region=REGION, rates=rates)  # type: ignore[arg-type]
