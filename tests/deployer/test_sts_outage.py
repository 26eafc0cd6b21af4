"""STS failing when a role's credentials must be refreshed in the middle of a deployment, end to
end on the simulator: the watch and the rollback wait the outage out like any other, never
ending on a false "failed"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from ecsdeploy import Deployer, ImageChange, Outcome, Phase, Target
from ecsdeploy.checks import Alarms, default_checks
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, SPEED
from tests._fixtures.scenario import CRASH, once_in
from tests.deployer.accounts import ROLE_A, create_service, deployer_to, image_in, service_in

pytestmark = pytest.mark.anyio

#: AssumeRole calls STS fails once the outage begins: five rounds of RetryPolicy.fast()'s eight.
OUTAGE = 40


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=SPEED, seed=17) as simulator:
        yield simulator


@pytest.fixture
async def deployer(sim: Simulator) -> AsyncIterator[Deployer]:
    async with deployer_to(sim.endpoint_url) as opened:
        yield opened


def sts_fails_from(phase: Phase, sim: Simulator) -> object:
    """A listener: from the deployment's `phase` on, STS fails the next OUTAGE AssumeRoles."""
    return once_in(
        phase,
        lambda: sim.add_rule(
            {"operation": "sts:AssumeRole", "error": "ServerException", "count": OUTAGE}
        ),
    )


def web_to(image: str) -> Target:
    return Target(CLUSTER, "web", [ImageChange("nginx", image)], role_arn=ROLE_A)


async def test_a_watch_waits_out_sts_failing_the_refresh_of_its_expired_credentials(
    sim: Simulator, deployer: Deployer
) -> None:
    """Sessions last 900 simulated s, the bake 2000; STS fails from WATCH on: reads with the
    expired credentials (the alarm check's CloudWatch reads too) fail as an outage, the watch
    waits, and once STS answers again the deployment succeeds."""
    await create_service(sim, ROLE_A, REGION)
    sim.set_alarm("web-5xx", "OK")
    sim.set_session_lifetime(900)
    deployer.subscribe(sts_fails_from(Phase.WATCH, sim))  # type: ignore[arg-type]

    with capture_logs() as logs:
        result = await deployer.deploy(
            web_to("myorg/nginx:2.0"),
            checks=[*default_checks(), Alarms("web-5xx")],
            bake=2000 / SPEED,
        )

    assert result.outcome is Outcome.SUCCEEDED, result.reason
    failed = [e for e in logs if e["event"] == "ecsdeploy.credentials.refresh_failed"]
    assert failed
    assert not any(e["kept_valid_credentials"] for e in failed)
    assert sim.stats()["calls"]["sts:AssumeRole"] >= 1 + OUTAGE + 1
    assert await image_in(sim, ROLE_A, REGION) == "myorg/nginx:2.0"


async def test_a_rollback_keeps_at_it_while_sts_fails_the_refresh_of_its_credentials(
    sim: Simulator, deployer: Deployer
) -> None:
    """Sessions of 10 simulated s expire all through a failing deployment; STS fails from
    ROLLBACK on: the rollback keeps trying and the service is back on its old revision."""
    await create_service(sim, ROLE_A, REGION)
    sim.add_rule(CRASH)
    sim.set_session_lifetime(10)
    deployer.subscribe(sts_fails_from(Phase.ROLLBACK, sim))  # type: ignore[arg-type]

    with capture_logs() as logs:
        result = await deployer.deploy(web_to("myorg/nginx:crash"))

    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert "ecsdeploy.credentials.refresh_failed" in [e["event"] for e in logs]
    assert sim.stats()["calls"]["sts:AssumeRole"] > OUTAGE
    service = await service_in(sim, ROLE_A, REGION)
    assert service["taskDefinition"].endswith(":task-definition/web:1")
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
