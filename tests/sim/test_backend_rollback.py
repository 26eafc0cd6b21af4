"""The circuit breaker's rollback as ECS performs it: the last COMPLETED deployment, same id,
becomes PRIMARY again; the failed deployment drains to nothing."""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim


def _deploy_crashing(sim: Sim, *, desired: int = 4) -> tuple[str, str, str, set[str]]:
    """A healthy service with rollback on, then a crashing revision; stops when it FAILED.

    Returns (good taskdef, good deployment id, bad deployment id, the good tasks' ARNs)."""
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=desired, circuit_breaker=True, rollback=True)
    sim.advance(60)
    good_id: str = sim.service()["deployments"][0]["id"]
    good_tasks = {t["taskArn"] for t in sim.tasks()}
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "crash", "after": 1})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad"))
    for _ in sim.steps(600):
        bad = sim.deployment(bad_id)
        assert bad is not None
        if bad["rolloutState"] == "FAILED":
            break
    return good, good_id, bad_id, good_tasks


def _ids_and_states(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(d["id"], d["status"], d["rolloutState"]) for d in service["deployments"]]


def test_failed_deployment_is_seen_failed_before_the_rollback_starts() -> None:
    """A failed deployment with rollback on is briefly visible as PRIMARY and FAILED."""
    sim = Sim()
    _, good_id, bad_id, _ = _deploy_crashing(sim)
    assert _ids_and_states(sim.service())[0] == (bad_id, "PRIMARY", "FAILED")
    sim.advance(Timings().rollback_delay)
    assert _ids_and_states(sim.service())[0] == (good_id, "PRIMARY", "IN_PROGRESS")


def test_rollback_makes_the_completed_deployment_primary_again() -> None:
    """ "How the Amazon ECS deployment circuit breaker detects failures": when the rollback
    starts, the deployment changes from a COMPLETED to IN_PROGRESS (same deployment id)."""
    sim = Sim()
    good, good_id, _, _ = _deploy_crashing(sim)
    sim.advance(Timings().rollback_delay)
    service = sim.service()
    primary = service["deployments"][0]
    assert (primary["id"], primary["taskDefinition"]) == (good_id, good)
    assert primary["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {good_id}."
    )
    assert service["taskDefinition"] == good
    assert f"(service webapp) rolling back to deployment {good_id}." in sim.messages()


def test_failed_deployment_becomes_active_with_desired_count_zero_and_disappears() -> None:
    """The failed deployment turns ACTIVE, rolloutState FAILED, desiredCount 0, drains, goes."""
    sim = Sim()
    _, good_id, bad_id, _ = _deploy_crashing(sim)
    sim.advance(Timings().rollback_delay)
    failed = sim.deployment(bad_id)
    assert failed is not None
    assert (failed["status"], failed["rolloutState"], failed["desiredCount"]) == (
        "ACTIVE",
        "FAILED",
        0,
    )
    assert sim.run_until_settled(good_id)["rolloutState"] == "COMPLETED"
    sim.advance(60)
    assert [d["id"] for d in sim.service()["deployments"]] == [good_id]


def test_healthy_old_tasks_keep_running_through_the_rollback() -> None:
    """No fresh tasks of the old revision: the tasks that served before the deploy still do."""
    sim = Sim()
    good, good_id, _, good_tasks = _deploy_crashing(sim)
    sim.advance(Timings().rollback_delay)
    sim.run_until_settled(good_id)
    running = sim.tasks()
    assert {t["taskArn"] for t in running} == good_tasks
    assert {t["taskDefinitionArn"] for t in running} == {good}


def test_service_deployment_record_follows_the_rollback() -> None:
    """ "View service history using Amazon ECS service deployments": ROLLBACK_IN_PROGRESS,
    then ROLLBACK_SUCCESSFUL with the rollback's revision."""
    sim = Sim()
    _, good_id, _, _ = _deploy_crashing(sim)
    sim.advance(Timings().rollback_delay)
    service_arn = sim.service()["serviceArn"]
    newest = sim.call("ListServiceDeployments", cluster="prod", service=service_arn)
    record_arn = newest["serviceDeployments"][0]["serviceDeploymentArn"]

    def record() -> dict[str, Any]:
        described = sim.call("DescribeServiceDeployments", serviceDeploymentArns=[record_arn])
        found: dict[str, Any] = described["serviceDeployments"][0]
        return found

    assert record()["status"] == "ROLLBACK_IN_PROGRESS"
    sim.run_until_settled(good_id)
    assert record()["status"] == "ROLLBACK_SUCCESSFUL"


def test_a_service_deleted_before_its_rollback_starts_rolls_nothing_back() -> None:
    """DeleteService while the failed deployment waits for its rollback: no rollback starts on
    the deleted service and its service deployment does not stay ROLLBACK_IN_PROGRESS."""
    sim = Sim()
    _, _, bad_id, _ = _deploy_crashing(sim)
    sim.call("DeleteService", cluster="prod", service="webapp", force=True)
    sim.advance(3600)
    [service] = sim.call("DescribeServices", cluster="prod", services=["webapp"])["services"]
    assert service["status"] == "INACTIVE"
    assert service["deployments"][0]["id"] == bad_id
    assert not any("rolling back" in event["message"] for event in service["events"])
    records = sim.call("ListServiceDeployments", cluster="prod", service=service["serviceArn"])
    assert records["serviceDeployments"][0]["status"] == "STOPPED"
