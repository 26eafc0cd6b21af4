"""The newest ECS model's circuit-breaker settings: `resetOnHealthyTask` and
`thresholdConfiguration`, as current SDKs send them."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from ecsdeploy.sim import Simulator
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._wire.protocol import CONTENT_TYPE, TARGET_PREFIX
from tests.sim.backend_fixtures import Sim


async def post(sim: Simulator, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
    """One ECS call as a current SDK puts it on the wire (no client-side model in the way)."""
    headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": CONTENT_TYPE}
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.endpoint_url + "/", data=json.dumps(body), headers=headers) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


def _service(sim: Sim, breaker: dict[str, Any], *, desired: int = 2, **extra: Any) -> str:
    """A healthy service on myorg/web:1 with `breaker`; returns its deployment id."""
    sim.create_service(
        sim.register("myorg/web:1"),
        desired=desired,
        deployment={"deploymentCircuitBreaker": {"enable": True, "rollback": False, **breaker}},
        **extra,
    )
    sim.advance(60)
    deployment_id: str = sim.service()["deployments"][0]["id"]
    return deployment_id


def _record_breaker(sim: Sim) -> dict[str, Any]:
    briefs = sim.call("ListServiceDeployments", cluster="prod", service="webapp")
    arn = briefs["serviceDeployments"][0]["serviceDeploymentArn"]
    record = sim.call("DescribeServiceDeployments", serviceDeploymentArns=[arn])
    breaker: dict[str, Any] = record["serviceDeployments"][0]["deploymentCircuitBreaker"]
    return breaker


@pytest.mark.anyio
async def test_current_sdk_circuit_breaker_members_are_accepted(sim: Simulator) -> None:
    """ "DeploymentCircuitBreaker" (API reference): resetOnHealthyTask and
    thresholdConfiguration are accepted, stored and described."""
    await post(sim, "CreateCluster", {"clusterName": "prod"})
    container = {"name": "app", "image": "nginx:1.27", "memory": 64}
    await post(
        sim, "RegisterTaskDefinition", {"family": "web", "containerDefinitions": [container]}
    )
    breaker = {
        "enable": True,
        "rollback": True,
        "resetOnHealthyTask": False,
        "thresholdConfiguration": {"type": "COUNT", "value": 7},
    }
    status, answer = await post(
        sim,
        "CreateService",
        {
            "cluster": "prod",
            "serviceName": "web",
            "taskDefinition": "web",
            "desiredCount": 1,
            "deploymentConfiguration": {"deploymentCircuitBreaker": breaker},
        },
    )
    assert status == 200, answer
    assert answer["service"]["deploymentConfiguration"]["deploymentCircuitBreaker"] == breaker


@pytest.mark.anyio
async def test_unknown_breaker_members_are_still_refused(sim: Simulator) -> None:
    """The newest model is still a contract: a member it lacks is a SerializationException."""
    await post(sim, "CreateCluster", {"clusterName": "prod"})
    status, answer = await post(
        sim,
        "UpdateService",
        {
            "cluster": "prod",
            "service": "web",
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True, "nope": 1}
            },
        },
    )
    assert status == 400
    assert answer["__type"].endswith("SerializationException")


@pytest.mark.parametrize(
    ("threshold", "desired", "expected"),
    [
        ({}, 10, 5),
        ({}, 1, 3),
        ({"type": "BOUNDED_PERCENT", "value": 50}, 1000, 200),
        ({"type": "UNBOUNDED_PERCENT", "value": 50}, 1000, 500),
        ({"type": "UNBOUNDED_PERCENT", "value": 50}, 1, 1),
        ({"type": "COUNT", "value": 1}, 10, 1),
        ({"type": "COUNT", "value": 250}, 10, 250),
    ],
)
def test_threshold_configuration_sets_the_failure_threshold(
    threshold: dict[str, Any], desired: int, expected: int
) -> None:
    """ "ThresholdConfiguration" (API reference): COUNT is value itself; the percentage types
    multiply value by the desired count, BOUNDED_PERCENT (the default, 50) clamped to 3..200."""
    sim = Sim()
    breaker = {"thresholdConfiguration": threshold} if threshold else {}
    sim.call("CreateCluster", clusterName="prod")
    sim.call(
        "CreateService",
        cluster="prod",
        serviceName="webapp",
        taskDefinition=sim.register("myorg/web:1"),
        desiredCount=desired,
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": False, **breaker}
        },
    )
    assert _record_breaker(sim)["threshold"] == expected


def test_count_threshold_of_one_fails_on_the_first_failed_task() -> None:
    """ "ThresholdConfiguration": with COUNT 1 the first failed task fails the deployment."""
    sim = Sim()
    _service(sim, {"thresholdConfiguration": {"type": "COUNT", "value": 1}}, desired=4)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "pull_error"})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad"))
    deployment = sim.run_until_settled(bad_id)
    assert (deployment["rolloutState"], deployment["failedTasks"]) == ("FAILED", 1)


# Slow stops keep the old tasks around after the new ones turned healthy, so a crash soon
# after HEALTHY happens while the deployment is still IN_PROGRESS.
SLOW_STOP = Timings(stopping=30.0)


def _crash_after_healthy(sim: Sim, *, reset: bool | None) -> dict[str, Any]:
    breaker = {} if reset is None else {"resetOnHealthyTask": reset}
    _service(sim, breaker, desired=4)
    sim.backend.add_container_rule({"image": "myorg/web:2", "behavior": "crash", "after": 35})
    new = sim.register("myorg/web:2", health_check=True)
    return sim.run_until_settled(sim.update(taskDefinition=new))


def test_failed_tasks_stop_being_evaluated_once_a_task_runs() -> None:
    """ "Deployment" (API reference, failedTasks): once the deployment has a successfully
    running task the count resets to zero and stops being evaluated (resetOnHealthyTask's
    default)."""
    deployment = _crash_after_healthy(Sim(timings=SLOW_STOP), reset=None)
    assert (deployment["rolloutState"], deployment["failedTasks"]) == ("COMPLETED", 0)


def test_without_reset_on_healthy_task_failures_add_up() -> None:
    """ "DeploymentCircuitBreaker" (API reference): with resetOnHealthyTask false ECS does not
    reset the failure count, so failures after healthy tasks still trip the breaker."""
    deployment = _crash_after_healthy(Sim(timings=SLOW_STOP), reset=False)
    assert deployment["rolloutState"] == "FAILED"
    assert deployment["failedTasks"] >= 3
