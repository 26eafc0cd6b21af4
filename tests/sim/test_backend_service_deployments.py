"""Service-deployment records (ListServiceDeployments, DescribeServiceDeployments) and
StopServiceDeployment with ROLLBACK."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim


def _records(sim: Sim) -> list[dict[str, Any]]:
    briefs = sim.call("ListServiceDeployments", cluster="prod", service="webapp")[
        "serviceDeployments"
    ]
    arns = [b["serviceDeploymentArn"] for b in briefs]
    described = sim.call("DescribeServiceDeployments", serviceDeploymentArns=arns)
    assert described["failures"] == []
    records: list[dict[str, Any]] = described["serviceDeployments"]
    return records


def test_each_deployment_has_a_record_newest_first() -> None:
    """Each deployment has a record, newest first: PENDING → IN_PROGRESS → SUCCESSFUL."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2, circuit_breaker=True)
    sim.advance(60)
    new_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    assert [r["status"] for r in _records(sim)] == ["PENDING", "SUCCESSFUL"]
    sim.advance(Timings().deployment_pending)
    in_progress = _records(sim)
    assert [r["status"] for r in in_progress] == ["IN_PROGRESS", "SUCCESSFUL"]
    newest, first = in_progress
    assert newest["serviceDeploymentArn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/webapp/"
    )
    assert newest["sourceServiceRevisions"][0]["arn"] == first["targetServiceRevision"]["arn"]
    assert newest["sourceServiceRevisions"][0]["runningTaskCount"] == 2
    assert newest["deploymentCircuitBreaker"] == {
        "status": "MONITORING",
        "failureCount": 0,
        "threshold": 3,
    }
    assert first["sourceServiceRevisions"] == []
    sim.run_until_settled(new_id)
    newest = _records(sim)[0]
    assert newest["status"] == "SUCCESSFUL"
    assert newest["finishedAt"] >= newest["startedAt"]
    assert newest["targetServiceRevision"]["runningTaskCount"] == 2
    assert newest["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"


def test_circuit_breaker_rollback_is_recorded() -> None:
    """A circuit-breaker rollback shows in the failed deployment's record."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=2, circuit_breaker=True, rollback=True)
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "crash"})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad"))
    sim.run_until_settled(bad_id)
    sim.advance(Timings().rollback_delay)
    record = _records(sim)[0]
    assert record["status"] == "ROLLBACK_IN_PROGRESS"
    assert record["deploymentCircuitBreaker"] == {
        "status": "TRIGGERED",
        "failureCount": 3,
        "threshold": 3,
    }
    previous = _records(sim)[1]
    assert record["rollback"]["serviceRevisionArn"] == previous["targetServiceRevision"]["arn"]
    assert record["rollback"]["reason"] == (
        "Service deployment rolled back because the circuit breaker threshold was exceeded."
    )
    sim.run_until_settled(sim.service()["deployments"][0]["id"])
    assert _records(sim)[0]["status"] == "ROLLBACK_SUCCESSFUL"


def _slow_deployment(sim: Sim) -> tuple[str, str, str]:
    """A steady service on myorg/web:1, then an update that takes ten minutes to start.
    Returns (good taskdef, good deployment id, the slow deployment's record ARN)."""
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=2)
    sim.advance(60)
    good_id: str = sim.service()["deployments"][0]["id"]
    sim.backend.add_container_rule(
        {"image": "myorg/web:slow", "behavior": "slow_start", "seconds": 600}
    )
    sim.update(taskDefinition=sim.register("myorg/web:slow"))
    sim.advance(30)
    record_arn: str = _records(sim)[0]["serviceDeploymentArn"]
    return good, good_id, record_arn


def _stop(sim: Sim, record_arn: str, stop_type: str = "ROLLBACK") -> None:
    answer = sim.call("StopServiceDeployment", serviceDeploymentArn=record_arn, stopType=stop_type)
    assert answer == {"serviceDeploymentArn": record_arn}


def test_stop_service_deployment_requests_then_runs_the_rollback() -> None:
    """ "Stopping Amazon ECS service deployments": IN_PROGRESS moves to ROLLBACK_REQUESTED, and
    then the rollback operation starts (ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL)."""
    sim = Sim()
    good, good_id, record_arn = _slow_deployment(sim)
    _stop(sim, record_arn)
    assert _records(sim)[0]["status"] == "ROLLBACK_REQUESTED"
    sim.advance(Timings().rollback_delay)
    assert _records(sim)[0]["status"] == "ROLLBACK_IN_PROGRESS"
    rollback = sim.service()["deployments"][0]
    assert (rollback["id"], rollback["taskDefinition"]) == (good_id, good)
    assert sim.run_until_settled(good_id)["rolloutState"] == "COMPLETED"
    assert _records(sim)[0]["status"] == "ROLLBACK_SUCCESSFUL"
    with pytest.raises(EcsApiError) as caught:
        sim.call("StopServiceDeployment", serviceDeploymentArn=record_arn)
    assert caught.value.code == "ConflictException"


def test_stopping_a_pending_deployment_rolls_it_back() -> None:
    """ "Stopping Amazon ECS service deployments": a PENDING deployment moves to
    ROLLBACK_REQUESTED too."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.advance(60)
    sim.update(taskDefinition=sim.register("myorg/web:2"))
    record = _records(sim)[0]
    assert record["status"] == "PENDING"
    _stop(sim, record["serviceDeploymentArn"])
    assert _records(sim)[0]["status"] == "ROLLBACK_REQUESTED"


def test_a_stop_during_the_rollback_continues_it() -> None:
    """ "Stopping Amazon ECS service deployments": stopping a deployment in ROLLBACK_REQUESTED
    or ROLLBACK_IN_PROGRESS continues the rollback."""
    sim = Sim()
    _, good_id, record_arn = _slow_deployment(sim)
    _stop(sim, record_arn)
    _stop(sim, record_arn)
    assert _records(sim)[0]["status"] == "ROLLBACK_REQUESTED"
    sim.advance(Timings().rollback_delay)
    _stop(sim, record_arn)
    assert _records(sim)[0]["status"] == "ROLLBACK_IN_PROGRESS"
    assert sim.run_until_settled(good_id)["rolloutState"] == "COMPLETED"
    assert _records(sim)[0]["status"] == "ROLLBACK_SUCCESSFUL"


def test_abort_stops_where_it_stands() -> None:
    """ABORT (the simulator's choice; AWS leaves it undocumented): STOP_REQUESTED, then STOPPED;
    a later ROLLBACK stop continues to stop."""
    sim = Sim()
    _, _, record_arn = _slow_deployment(sim)
    _stop(sim, record_arn, "ABORT")
    assert _records(sim)[0]["status"] == "STOP_REQUESTED"
    _stop(sim, record_arn)
    assert _records(sim)[0]["status"] == "STOP_REQUESTED"
    sim.advance(Timings().rollback_delay)
    assert _records(sim)[0]["status"] == "STOPPED"
    assert sim.service()["deployments"][0]["rolloutState"] == "FAILED"


def test_superseded_deployment_record_is_stopped() -> None:
    """A deployment replaced before it finished has a STOPPED record."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.update(taskDefinition=sim.register("myorg/web:3"))
    assert [r["status"] for r in _records(sim)] == ["PENDING", "STOPPED", "STOPPED"]


def test_unknown_service_deployment() -> None:
    """An unknown service-deployment ARN is a MISSING failure, and stopping it is an error."""
    sim = Sim()
    missing = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/webapp/nope"
    described = sim.call("DescribeServiceDeployments", serviceDeploymentArns=[missing])
    assert described == {
        "serviceDeployments": [],
        "failures": [{"arn": missing, "reason": "MISSING"}],
    }
    with pytest.raises(EcsApiError) as caught:
        sim.call("StopServiceDeployment", serviceDeploymentArn=missing)
    assert caught.value.code == "ServiceDeploymentNotFoundException"


def test_list_service_deployments_filters_by_status_and_pages() -> None:
    """ListServiceDeployments filters by status and pages with nextToken."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    for revision in range(2, 6):
        sim.advance(60)
        sim.update(taskDefinition=sim.register(f"myorg/web:{revision}"))
    successful = sim.call(
        "ListServiceDeployments", cluster="prod", service="webapp", status=["SUCCESSFUL"]
    )["serviceDeployments"]
    assert len(successful) == 4
    first = sim.call("ListServiceDeployments", cluster="prod", service="webapp", maxResults=3)
    rest = sim.call(
        "ListServiceDeployments", cluster="prod", service="webapp", nextToken=first["nextToken"]
    )
    assert len(first["serviceDeployments"]) + len(rest["serviceDeployments"]) == 5
    assert "nextToken" not in rest


def test_service_revisions_describe_what_each_deployment_ran() -> None:
    """DescribeServiceRevisions: the task definition, images and settings of a revision; a
    circuit-breaker rollback points at the revision it returned to."""
    sim = Sim()
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=1, circuit_breaker=True, rollback=True, launchType="FARGATE")
    sim.advance(60)
    sim.backend.add_container_rule({"image": "myorg/web:bad", "behavior": "crash"})
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:bad"))
    sim.run_until_settled(bad_id)
    sim.advance(Timings().rollback_delay)
    record = _records(sim)[0]
    target = record["targetServiceRevision"]["arn"]
    back_to = record["rollback"]["serviceRevisionArn"]
    missing = back_to[:-1] + ("0" if back_to[-1] != "0" else "1")
    described = sim.call("DescribeServiceRevisions", serviceRevisionArns=[back_to, target, missing])
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]
    previous, failed = described["serviceRevisions"]
    assert previous["taskDefinition"] == good
    assert previous["launchType"] == "FARGATE"
    assert previous["containerImages"][0]["image"] == "myorg/web:1"
    assert previous["containerImages"][0]["imageDigest"].startswith("sha256:")
    assert failed["taskDefinition"].endswith("web:2")
