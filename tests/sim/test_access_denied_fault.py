"""The AccessDenied fault rule: a call the caller's policy does not allow, naming the action."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from ecsdeploy.sim import Simulator
from ecsdeploy.testing import REGION, offline_session

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


async def test_an_ecs_call_is_denied_with_ecs_code_and_action(
    sim: Simulator, ecs: ECSClient
) -> None:
    """ECS answers AccessDeniedException naming ecs:<Operation>; other calls pass."""
    sim.add_rule({"operation": "ListClusters", "error": "AccessDenied"})
    with pytest.raises(ClientError) as raised:
        await ecs.list_clusters()
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "not authorized to perform: ecs:ListClusters" in error["Message"]
    await ecs.describe_clusters()


async def test_a_query_call_is_denied_with_the_query_code_and_iam_prefix(sim: Simulator) -> None:
    """ELBv2 answers AccessDenied naming elasticloadbalancing:<Operation>."""
    sim.add_rule({"operation": "elbv2:DescribeTargetGroups", "error": "AccessDenied"})
    async with offline_session().client(
        "elbv2", endpoint_url=sim.endpoint_url, region_name=REGION
    ) as elbv2:
        with pytest.raises(ClientError) as raised:
            await elbv2.describe_target_groups()
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert "elasticloadbalancing:DescribeTargetGroups" in error["Message"]
