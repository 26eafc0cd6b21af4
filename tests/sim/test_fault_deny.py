"""The `deny` fault rule: IAM's AccessDeniedException for one named operation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from ecsdeploy.sim import Simulator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


async def test_deny_answers_access_denied_for_that_operation_only(
    sim: Simulator, ecs: ECSClient
) -> None:
    """deny: AccessDeniedException naming the ecs: action; other operations are served."""
    sim.add_rule({"operation": "ListClusters", "error": "deny"})
    with pytest.raises(ClientError) as raised:
        await ecs.list_clusters()
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "ecs:ListClusters" in error["Message"]
    assert (await ecs.describe_clusters(clusters=["nope"]))["clusters"] == []


async def test_hook_rules_are_validated(sim: Simulator) -> None:
    """A hook rule names a lifecycle hook stage; anything else is refused with the reason."""
    sim.add_rule({"hook_stage": "POST_SCALE_UP", "hook": "arn:aws:lambda:x", "count": 1})
    with pytest.raises(ValueError, match="hook_stage"):
        sim.add_rule({"hook_stage": "BAKE_TIME"})
    with pytest.raises(ValueError, match="unknown hook rule keys"):
        sim.add_rule({"hook_stage": "PRE_SCALE_UP", "status": "FAILED"})
