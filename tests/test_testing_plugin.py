"""`pytest -p ecsdeploy.testing` gives a user's own test suite a simulator, services and a
Deployer, and builders for testing a HealthCheck without a server. Each test runs pytest in a
subprocess on a test file a user could have written."""

from __future__ import annotations

import pytest

USER_DEPLOY_TEST = """
import pytest

from ecsdeploy import Deployer, ImageChange, Outcome, Target
from ecsdeploy.testing import CLUSTER, EcsServices


@pytest.mark.anyio
async def test_my_release(ecs_deployer: Deployer, ecs_services: EcsServices) -> None:
    old = await ecs_services.create("web")
    ecs_services.sim.add_rule({"image": "org/web:bad", "behavior": "crash", "exit_code": 1})
    target = Target(CLUSTER, "web", [ImageChange("nginx", "org/web:bad")])
    result = await ecs_deployer.deploy(target)
    assert result.outcome is Outcome.ROLLED_BACK
    assert await ecs_services.task_definition("web") == old
"""

USER_CHECK_TEST = """
import pytest

from ecsdeploy import Status, Verdict
from ecsdeploy.testing import deployment, observation


class EnoughRunning:
    async def evaluate(self, observation):
        ours = observation.deployment or {}
        if ours.get("runningCount", 0) * 2 < ours.get("desiredCount", 0):
            return Verdict.failed("fewer than half running")
        return Verdict.healthy()


@pytest.mark.anyio
async def test_my_check() -> None:
    few = await EnoughRunning().evaluate(observation(deployment(running=1, desired=4)))
    most = await EnoughRunning().evaluate(observation(deployment(running=3, desired=4)))
    assert (few.status, most.status) == (Status.FAILED, Status.HEALTHY)
"""


def test_the_plugin_runs_a_users_deployment_test(pytester: pytest.Pytester) -> None:
    """A user's test deploys a crashing image to a simulated service and sees it rolled back."""
    pytester.makepyfile(test_release=USER_DEPLOY_TEST)
    outcome = pytester.runpytest_subprocess("-p", "ecsdeploy.testing", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)


def test_the_builders_unit_test_a_users_health_check(pytester: pytest.Pytester) -> None:
    """Observation builders feed a custom HealthCheck the shapes ECS sends."""
    pytester.makepyfile(test_check=USER_CHECK_TEST)
    outcome = pytester.runpytest_subprocess("-p", "ecsdeploy.testing", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)
