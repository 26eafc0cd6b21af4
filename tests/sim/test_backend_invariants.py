"""Whatever users do to a service, its reported state stays consistent and it recovers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsdeploy.sim._api.errors import EcsApiError
from tests.sim.backend_fixtures import Sim

IMAGES = ["myorg/web:ok", "myorg/web:crash", "myorg/web:pull", "myorg/web:sick", "myorg/web:slow"]
RULES: list[dict[str, Any]] = [
    {"image": "myorg/web:crash", "behavior": "crash", "exit_code": 2, "after": 3},
    {"image": "myorg/web:pull", "behavior": "pull_error"},
    {"image": "myorg/web:sick", "behavior": "unhealthy"},
    {"image": "myorg/web:slow", "behavior": "slow_start", "seconds": 45},
]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(0, 120)),
        st.tuples(st.just("update"), st.sampled_from(IMAGES)),
        st.tuples(st.just("force"), st.just(0)),
        st.tuples(st.just("scale"), st.integers(0, 12)),
        st.tuples(st.just("stop"), st.integers(0, 20)),
        st.tuples(st.just("config"), st.sampled_from([(0, 100), (50, 100), (50, 200), (100, 150)])),
        st.tuples(st.just("rollback"), st.just(0)),
    ),
    max_size=25,
)


def _stop_with_rollback(sim: Sim) -> None:
    """StopServiceDeployment ROLLBACK on the ongoing (PENDING or IN_PROGRESS) deployment, if
    there is one: "Stopping Amazon ECS service deployments" moves it to ROLLBACK_REQUESTED; ECS
    refuses with ConflictException when no deployment ever completed."""
    records = sim.call("ListServiceDeployments", cluster="prod", service="webapp")[
        "serviceDeployments"
    ]
    ongoing = [
        r["serviceDeploymentArn"] for r in records if r["status"] in ("PENDING", "IN_PROGRESS")
    ]
    if not ongoing:
        return
    completed = any(r["status"] in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL") for r in records)
    if completed:
        sim.call("StopServiceDeployment", serviceDeploymentArn=ongoing[0])
        [stopped] = sim.call("DescribeServiceDeployments", serviceDeploymentArns=ongoing[:1])[
            "serviceDeployments"
        ]
        assert stopped["status"] == "ROLLBACK_REQUESTED"
        assert sim.service()["deployments"][0]["rolloutState"] == "FAILED"
    else:
        with pytest.raises(EcsApiError) as caught:
            sim.call("StopServiceDeployment", serviceDeploymentArn=ongoing[0])
        assert caught.value.code == "ConflictException"


def _check(sim: Sim) -> None:
    service = sim.service()
    deployments = service["deployments"]
    assert [d["status"] for d in deployments].count("PRIMARY") == 1
    assert deployments[0]["status"] == "PRIMARY"
    assert len({d["id"] for d in deployments}) == len(deployments)
    assert service["runningCount"] == sum(d["runningCount"] for d in deployments)
    assert service["pendingCount"] == sum(d["pendingCount"] for d in deployments)
    assert deployments[0]["desiredCount"] == service["desiredCount"]
    assert len(service["events"]) <= 100
    ids = {d["id"] for d in deployments}
    for task in sim.tasks():
        assert task["startedBy"] in ids
        assert task["lastStatus"] in {"PROVISIONING", "PENDING", "RUNNING"}
    for task in sim.tasks(desired="STOPPED"):
        assert task["stopCode"]
        assert task["stoppedReason"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    desired=st.integers(0, 8),
    breaker=st.booleans(),
    rollback=st.booleans(),
    script=steps,
)
def test_any_sequence_of_user_actions_keeps_the_service_consistent_and_recoverable(
    desired: int, breaker: bool, rollback: bool, script: list[tuple[str, Any]]
) -> None:
    """Any sequence of user actions keeps the service consistent, and a good deploy recovers it."""
    sim = Sim()
    for rule in RULES:
        sim.backend.add_container_rule(rule)
    taskdefs = {image: sim.register(image) for image in IMAGES}
    sim.create_service(
        taskdefs["myorg/web:ok"], desired=desired, circuit_breaker=breaker, rollback=rollback
    )
    for action, value in script:
        if action == "advance":
            sim.advance(value)
        elif action == "update":
            sim.update(taskDefinition=taskdefs[value])
        elif action == "force":
            sim.update(forceNewDeployment=True)
        elif action == "scale":
            sim.update(desiredCount=value)
        elif action == "stop":
            tasks = sim.tasks()
            if tasks:
                sim.call("StopTask", cluster="prod", task=tasks[value % len(tasks)]["taskArn"])
        elif action == "config":
            minimum, maximum = value
            sim.update(
                deploymentConfiguration={
                    "minimumHealthyPercent": minimum,
                    "maximumPercent": maximum,
                }
            )
        else:
            _stop_with_rollback(sim)
        _check(sim)

    # A good revision with room to deploy always completes.
    sim.update(
        taskDefinition=sim.register("myorg/web:final"),
        desiredCount=3,
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
    )
    final = sim.service()["deployments"][0]["id"]
    assert sim.run_until_settled(final)["rolloutState"] == "COMPLETED"
    sim.advance(60)
    _check(sim)
    service = sim.service()
    assert [d["id"] for d in service["deployments"]] == [final]
    assert service["runningCount"] == 3
