"""examples/release.toml, read by `load_release` and run by `Deployer.release` on the simulator
with the demo's services: stages in order, and an atomic rollback when a service fails."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ecsdeploy import Deployer, Outcome, Phase, Release, ReleaseResult, load_release
from ecsdeploy.cli._demo_scenario import CLUSTER, CRASH_RULE, SERVICES, create_services
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import POLL_INTERVAL, REGION, EcsServices

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "release.toml"


def example_release(**environ: str) -> Release:
    """The example file for the simulator's region, polling on the simulator's fast clock."""
    return load_release(
        EXAMPLE,
        environ={"AWS_REGION": REGION, **environ},
        overrides={"poll_interval": POLL_INTERVAL, "timeout": 30},
    )


async def demo_services(ecs_client: ECSClient, ecs_simulator: Simulator) -> dict[str, str]:
    """The demo's ecs_services, steady on their old images; their task definition ARNs by name."""
    await create_services(ecs_client)
    await ecs_simulator.advance(600)
    response = await ecs_client.describe_services(
        cluster=CLUSTER, services=[s.name for s in SERVICES]
    )
    return {s["serviceName"]: s["taskDefinition"] for s in response["services"]}


async def container(ecs_client: ECSClient, service: str) -> dict[str, Any]:
    """The one container of the task definition `service` runs now."""
    described = await ecs_client.describe_services(cluster=CLUSTER, services=[service])
    arn = described["services"][0]["taskDefinition"]
    task_definition = await ecs_client.describe_task_definition(taskDefinition=arn)
    return dict(task_definition["taskDefinition"]["containerDefinitions"][0])


def finished_at(result: ReleaseResult, service: str, phase: Phase) -> float:
    outcome = result.by_service()[f"{REGION}/{CLUSTER}/{service}"]
    assert outcome.result is not None
    return next(t.at for t in outcome.result.history if t.phase is phase)


async def test_example_release_deploys_both_stages_in_order(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Every service ends on the file's image and env; stage 2 starts after stage 1 succeeded."""
    before = await demo_services(ecs_services.ecs, ecs_simulator)

    result = await ecs_deployer.release(example_release(VERSION="1.4"))

    assert result.outcome is Outcome.SUCCEEDED, [s.reason for s in result.services]
    assert result.exit_code == 0
    assert result.release.name == "demo-1.4"
    assert {str(s.target): s.stage for s in result.services} == {
        f"{REGION}/{CLUSTER}/api": "backend",
        f"{REGION}/{CLUSTER}/worker": "backend",
        f"{REGION}/{CLUSTER}/web": "frontend",
        f"{REGION}/{CLUSTER}/payments": "frontend",
    }
    for name in before:
        running = await container(ecs_services.ecs, name)
        assert running["image"] == f"demo/{name}:1.4"
    api_env = {
        e["name"]: e["value"] for e in (await container(ecs_services.ecs, "api"))["environment"]
    }
    assert api_env == {"RELEASE": "1.4", "FEATURE_X": "on"}
    backend_done = max(finished_at(result, s, Phase.SUCCEEDED) for s in ("api", "worker"))
    frontend_started = min(finished_at(result, s, Phase.PREFLIGHT) for s in ("web", "payments"))
    assert frontend_started >= backend_done


async def test_example_release_rolls_back_everything_when_payments_crashes(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The file's release is atomic: payments failing in stage 2 rolls back stage 1 too."""
    before = await demo_services(ecs_services.ecs, ecs_simulator)
    ecs_simulator.add_rule(CRASH_RULE)

    result = await ecs_deployer.release(example_release(PAYMENTS_VERSION="2.0"))

    assert result.outcome is Outcome.ROLLED_BACK
    assert result.exit_code == 1
    assert {s.target.service: s.state for s in result.services} == dict.fromkeys(
        before, "ROLLED_BACK"
    )
    payments = result.by_service()[f"{REGION}/{CLUSTER}/payments"].result
    assert payments is not None
    assert payments.rolled_back_by == "ecsdeploy"
    assert "(payments: exit 1)" in payments.reason
    after = await ecs_services.ecs.describe_services(cluster=CLUSTER, services=list(before))
    assert {s["serviceName"]: s["taskDefinition"] for s in after["services"]} == before
