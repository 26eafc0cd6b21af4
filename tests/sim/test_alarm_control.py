"""CloudWatch alarm states through the control API (POST /_sim/rules) and `Simulator.set_alarm`."""

from __future__ import annotations

import pytest

from ecsdeploy.sim import Simulator
from tests.sim.control_api import call

pytestmark = pytest.mark.anyio


async def test_alarm_rule_posted_to_the_control_api_sets_the_alarm(sim: Simulator) -> None:
    """POST /_sim/rules with ``alarm`` sets its state and reason in the simulator's store."""
    status, _ = await call(
        sim, "POST", "/_sim/rules", {"alarm": "web-5xx", "state": "ALARM", "reason": "5xx > 1%"}
    )
    assert status == 201
    alarm = sim.backend.alarms.get("web-5xx")
    assert (alarm.state, alarm.reason) == ("ALARM", "5xx > 1%")


async def test_set_alarm_and_clearing_the_rules(sim: Simulator) -> None:
    """`Simulator.set_alarm` sets a state; DELETE /_sim/rules sends every alarm back to
    INSUFFICIENT_DATA."""
    sim.set_alarm("web-5xx", "OK")
    assert sim.backend.alarms.get("web-5xx").state == "OK"
    sim.set_alarm("web-5xx", "ALARM")
    assert (await call(sim, "DELETE", "/_sim/rules"))[0] == 200
    assert sim.backend.alarms.get("web-5xx").state == "INSUFFICIENT_DATA"


async def test_bad_alarm_rule_is_400_naming_the_problem(sim: Simulator) -> None:
    """An alarm rule with an unknown state is refused with a message that says why."""
    status, body = await call(sim, "POST", "/_sim/rules", {"alarm": "web-5xx", "state": "RED"})
    assert status == 400
    assert "'state' must be one of" in str(body)
    with pytest.raises(ValueError, match="needs 'alarm'"):
        sim.set_alarm("", "ALARM")
