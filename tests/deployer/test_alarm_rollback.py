"""ECS's alarm-based rollback (`deploymentConfiguration.alarms`) is reported as ECS's, with the
alarm's name; without it ecsdeploy rolls back and says which alarm failed the deployment
(issue 9, item 11)."""

from __future__ import annotations

import pytest

from ecsdeploy import Deployer, Outcome, Phase
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import EcsServices
from tests._fixtures.scenario import once_in, to

pytestmark = pytest.mark.anyio

ALARM = "webapp-5xx"
OTHER = "webapp-latency"


def alarms(*, rollback: bool, names: tuple[str, ...] = (ALARM,)) -> dict[str, object]:
    return {"alarmNames": list(names), "enable": True, "rollback": rollback}


async def test_ecs_alarm_rollback_is_reported_as_ecs_with_the_alarm(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """An alarm in ALARM during WATCH with alarms' rollback on: ROLLED_BACK by ECS, "alarm NAME",
    the service back on its previous revision."""
    old = await ecs_services.create(alarms=alarms(rollback=True))
    ecs_deployer.subscribe(once_in(Phase.WATCH, lambda: ecs_simulator.set_alarm(ALARM, "ALARM")))
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecs"
    assert result.rollback_trigger == f"alarm {ALARM}"
    assert ALARM in result.reason
    assert await ecs_services.task_definition() == old


async def test_ecs_alarm_rollback_is_not_credited_to_the_circuit_breaker(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """With ECS's circuit breaker on as well, the alarm that fired is named, not the breaker; of
    two alarms only the one in ALARM."""
    old = await ecs_services.create(
        breaker=True, breaker_rollback=True, alarms=alarms(rollback=True, names=(ALARM, OTHER))
    )
    ecs_deployer.subscribe(once_in(Phase.WATCH, lambda: ecs_simulator.set_alarm(OTHER, "ALARM")))
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert (result.rolled_back_by, result.rollback_trigger) == ("ecs", f"alarm {OTHER}")
    assert "circuit breaker" not in result.reason
    assert await ecs_services.task_definition() == old


async def test_without_alarm_rollback_ecsdeploy_rolls_back_naming_the_alarm(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Alarms' rollback off: ECS only fails the deployment, ecsdeploy rolls back, and the reason
    names the alarm; ECS rolled nothing back, so no trigger is credited to it."""
    old = await ecs_services.create(
        breaker=True, breaker_rollback=True, alarms=alarms(rollback=False)
    )
    ecs_deployer.subscribe(once_in(Phase.WATCH, lambda: ecs_simulator.set_alarm(ALARM, "ALARM")))
    # The metric recovers once the bad revision stops serving; an alarm left in ALARM would
    # fail our rollback deployment too, as ECS watches every deployment of the service.
    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.set_alarm(ALARM, "OK")))
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert result.rollback_trigger is None
    assert ALARM in result.reason
    assert await ecs_services.task_definition() == old
    service = await ecs_services.describe()
    assert service["deployments"][0]["taskDefinition"] == old
