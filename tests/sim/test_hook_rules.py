"""Hook rules: which lifecycle hooks of BLUE_GREEN / LINEAR / CANARY deployments fail."""

from __future__ import annotations

import pytest

from ecsdeploy.sim import Simulator

pytestmark = pytest.mark.anyio


async def test_hook_rules_are_validated(sim: Simulator) -> None:
    """A hook rule names a lifecycle hook stage; anything else is refused with the reason."""
    sim.add_rule({"hook_stage": "POST_SCALE_UP", "hook": "arn:aws:lambda:x", "count": 1})
    with pytest.raises(ValueError, match="hook_stage"):
        sim.add_rule({"hook_stage": "BAKE_TIME"})
    with pytest.raises(ValueError, match="unknown hook rule keys"):
        sim.add_rule({"hook_stage": "PRE_SCALE_UP", "status": "FAILED"})
