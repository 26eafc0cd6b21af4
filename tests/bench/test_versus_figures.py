"""The benchmark's figures (bench/versus/figures.py) from a real simulator timeline."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from ecsdeploy import Deployer, Outcome
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import EcsServices
from tests._fixtures.scenario import CRASH, in_lockstep, to

pytestmark = pytest.mark.anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
figures: Any = importlib.import_module("versus.figures")
measure: Any = importlib.import_module("versus.measure")
scenarios: Any = importlib.import_module("versus.scenarios")


async def test_a_stop_service_deployment_rollback_is_the_tools_reaction(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A tool that rolls back with StopServiceDeployment (no new deployment record) is measured
    to that rollback, not to its exit after the whole rollback."""
    await ecs_services.create(breaker=False)
    ecs_simulator.add_rule(CRASH)
    started_at = ecs_simulator.clock.now()
    result = await in_lockstep(ecs_simulator, lambda: ecs_deployer.deploy(to("myorg/nginx:crash")))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rollback_method == "stop-service-deployment"
    await ecs_simulator.advance(600)
    exited_at = ecs_simulator.clock.now()
    # As bench_versus.py gives them: the service's deployments since the tool started.
    records = [
        r
        for r in ecs_simulator.timeline()["deployments"]
        if r["service"] == "webapp" and r["createdAt"] >= started_at
    ]
    failing = records[-1]
    run = measure.ProcessRun(["ecsdeploy"], 1, 0.0, 0.0, 0.0, exited_at, False, "")
    detection, note = figures._detection(
        scenarios.SCENARIOS["b"], ["webapp"], {"webapp": records}, [run]
    )
    assert note == "rollback call"
    assert failing["rollbackRequested"]
    assert 0 <= failing["thresholdReachedAt"] <= failing["rollbackStartedAt"]
    assert detection == round(failing["rollbackStartedAt"] - failing["thresholdReachedAt"], 1)
    assert detection < 600
