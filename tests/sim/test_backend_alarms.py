"""Deployment failure detection by CloudWatch alarms: the alarm state is set by hand, ECS fails
the deployment it watches and, with `rollback`, rolls back as the circuit breaker does."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim

ALARM = "webapp-5xx"
BAKE = Timings().alarm_bake_time
ROLLBACK_DELAY = Timings().rollback_delay


def _alarmed_service(
    sim: Sim, *, rollback: bool = True, enable: bool = True, names: list[str] | None = None
) -> tuple[str, str]:
    """A steady service whose deployments are watched by ALARM; returns (taskdef, deployment)."""
    good = sim.register("myorg/web:1")
    sim.create_service(good, desired=2)
    sim.update(
        deploymentConfiguration={
            "alarms": {
                "alarmNames": names if names is not None else [ALARM],
                "enable": enable,
                "rollback": rollback,
            }
        }
    )
    sim.advance(60 + BAKE + 60)
    primary = sim.service()["deployments"][0]
    assert primary["rolloutState"] == "COMPLETED"
    return good, str(primary["id"])


def _records(sim: Sim) -> list[dict[str, Any]]:
    arns = sim.call("ListServiceDeployments", cluster="prod", service="webapp")[
        "serviceDeployments"
    ]
    described = sim.call(
        "DescribeServiceDeployments",
        serviceDeploymentArns=[a["serviceDeploymentArn"] for a in arns],
    )
    records: list[dict[str, Any]] = described["serviceDeployments"]
    return records


def _newest_record(sim: Sim) -> dict[str, Any]:
    """The service-deployment record of the latest UpdateService."""
    return max(_records(sim), key=lambda record: float(record["createdAt"]))


def _until_scaled(sim: Sim, deployment_id: str) -> None:
    """Advance until the deployment runs all its tasks and no older task runs (the old tasks
    are still stopping, seconds before the service is steady and the bake time starts)."""
    for _ in sim.steps(600):
        service = sim.service()
        running = {d["id"]: d["runningCount"] for d in service["deployments"]}
        if running.pop(deployment_id, 0) == service["desiredCount"] and not any(running.values()):
            return
    raise AssertionError(f"{deployment_id} never scaled out")


def test_an_alarm_in_alarm_fails_the_deployment_it_watches() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": ECS sets the deployment
    to failed when a named alarm goes into the ALARM state; the reason names the alarm."""
    sim = Sim()
    _alarmed_service(sim, rollback=False)
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM", "Threshold Crossed")
    bad = sim.deployment(bad_id)
    assert bad is not None
    assert (bad["status"], bad["rolloutState"]) == ("PRIMARY", "FAILED")
    assert ALARM in bad["rolloutStateReason"]
    assert (
        f"(service webapp) (deployment {bad_id}) deployment failed: alarm(s) detected: {ALARM}."
        in sim.messages()
    )


def test_a_deployment_failed_by_an_alarm_launches_no_new_tasks() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": a deployment in the
    FAILED state doesn't launch any new tasks."""
    sim = Sim()
    _alarmed_service(sim, rollback=False)
    sim.backend.set_alarm(ALARM, "ALARM")
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(300)
    bad = sim.deployment(bad_id)
    assert bad is not None
    assert (bad["rolloutState"], bad["runningCount"], bad["pendingCount"]) == ("FAILED", 0, 0)


def test_alarm_rollback_makes_the_completed_deployment_primary_again() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": with rollback, the
    failed deployment is rolled back to the last completed deployment (same id, PRIMARY)."""
    sim = Sim()
    good, good_id = _alarmed_service(sim)
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM")
    sim.advance(ROLLBACK_DELAY)
    service = sim.service()
    primary = service["deployments"][0]
    assert (primary["id"], primary["taskDefinition"]) == (good_id, good)
    assert primary["rolloutStateReason"] == (
        f"ECS deployment alarms: rolling back to deploymentId {good_id}."
    )
    assert f"(service webapp) rolling back to deployment {good_id}." in sim.messages()
    failed = sim.deployment(bad_id)
    assert failed is not None
    assert (failed["status"], failed["rolloutState"]) == ("ACTIVE", "FAILED")
    assert sim.run_until_settled(good_id)["rolloutState"] == "COMPLETED"
    assert sim.service()["taskDefinition"] == good


def test_alarm_rollback_is_recorded_with_the_triggered_alarm() -> None:
    """ "ServiceDeploymentAlarms" (API reference): status TRIGGERED with triggeredAlarmNames;
    the record rolls back (ROLLBACK_SUCCESSFUL, `rollback.reason` names the alarm)."""
    sim = Sim()
    _, good_id = _alarmed_service(sim)
    sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM")
    sim.advance(ROLLBACK_DELAY)
    sim.run_until_settled(good_id)
    record = _newest_record(sim)
    assert record["status"] == "ROLLBACK_SUCCESSFUL"
    assert record["alarms"] == {
        "status": "TRIGGERED",
        "alarmNames": [ALARM],
        "triggeredAlarmNames": [ALARM],
    }
    assert ALARM in record["rollback"]["reason"]
    assert record["rollback"]["serviceRevisionArn"].startswith("arn:aws:ecs:")
    assert record["deploymentCircuitBreaker"]["status"] != "TRIGGERED"


def test_without_alarm_rollback_the_failed_deployment_stays_primary() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": rollback is optional;
    without it the FAILED deployment stays PRIMARY and its record ends STOPPED."""
    sim = Sim()
    _alarmed_service(sim, rollback=False)
    bad = sim.register("myorg/web:2")
    bad_id = sim.update(taskDefinition=bad)
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM")
    sim.advance(120)
    assert sim.service()["deployments"][0]["id"] == bad_id
    assert sim.service()["taskDefinition"] == bad
    record = _newest_record(sim)
    assert record["status"] == "STOPPED"
    assert record["alarms"]["status"] == "TRIGGERED"


def test_the_alarm_is_watched_during_the_bake_time() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": once steady, ECS keeps
    watching the alarm for the bake time; the deployment stays IN_PROGRESS until it ends."""
    sim = Sim()
    _alarmed_service(sim)
    bad_id = sim.update(taskDefinition=sim.register("myorg/web:2"))
    _until_scaled(sim, bad_id)
    sim.advance(BAKE - 15)
    assert sim.deployment(bad_id)["rolloutState"] == "IN_PROGRESS"  # type: ignore[index]
    sim.backend.set_alarm(ALARM, "ALARM")
    failed = sim.deployment(bad_id)
    assert failed is not None
    assert failed["rolloutState"] == "FAILED"


def test_a_deployment_completes_after_the_bake_time_with_the_alarm_ok() -> None:
    """ "How CloudWatch alarms detect Amazon ECS deployment failures": when the bake time ends
    without an alarm, the deployment becomes COMPLETED and the record MONITORING_COMPLETE."""
    sim = Sim()
    _alarmed_service(sim)
    sim.backend.set_alarm(ALARM, "OK")
    new = sim.register("myorg/web:2")
    new_id = sim.update(taskDefinition=new)
    _until_scaled(sim, new_id)
    assert sim.deployment(new_id)["rolloutState"] == "IN_PROGRESS"  # type: ignore[index]
    sim.advance(BAKE + 15)
    assert sim.deployment(new_id)["rolloutState"] == "COMPLETED"  # type: ignore[index]
    record = _newest_record(sim)
    assert (record["status"], record["alarms"]["status"]) == ("SUCCESSFUL", "MONITORING_COMPLETE")
    sim.backend.set_alarm(ALARM, "ALARM")
    assert sim.deployment(new_id)["rolloutState"] == "COMPLETED"  # type: ignore[index]


@pytest.mark.parametrize(
    ("enable", "names"),
    [(False, [ALARM]), (True, ["some-other-alarm"])],
    ids=["alarms-disabled", "alarm-not-named"],
)
def test_an_alarm_the_deployment_does_not_watch_changes_nothing(
    enable: bool, names: list[str]
) -> None:
    """ "DeploymentAlarms" (API reference): only the named alarms, and only with `enable`,
    decide the deployment; the record says DISABLED without `enable`."""
    sim = Sim()
    _alarmed_service(sim, enable=enable, names=names)
    new = sim.register("myorg/web:2")
    new_id = sim.update(taskDefinition=new)
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM")
    assert sim.run_until_settled(new_id)["rolloutState"] == "COMPLETED"
    assert _newest_record(sim)["alarms"]["status"] == (
        "MONITORING_COMPLETE" if enable else "DISABLED"
    )


def test_the_rollback_is_not_failed_by_the_alarm_still_in_alarm() -> None:
    """ "Amazon ECS deployment failure detection": the rollback goes to the last known good
    state; an alarm that stays in ALARM does not fail the way back."""
    sim = Sim()
    good, good_id = _alarmed_service(sim)
    sim.update(taskDefinition=sim.register("myorg/web:2"))
    sim.advance(15)
    sim.backend.set_alarm(ALARM, "ALARM")
    sim.advance(ROLLBACK_DELAY)
    assert sim.run_until_settled(good_id)["rolloutState"] == "COMPLETED"
    assert sim.service()["taskDefinition"] == good


def test_alarm_rule_through_the_control_rules() -> None:
    """A control-API rule ``{"alarm", "state", "reason"}`` sets the alarm; a bad one is refused."""
    sim = Sim()
    sim.backend.add_alarm_rule({"alarm": ALARM, "state": "ALARM", "reason": "5xx"})
    alarm = sim.backend.alarms.get(ALARM)
    assert (alarm.state, alarm.reason) == ("ALARM", "5xx")
    with pytest.raises(ValueError, match="'state' must be one of"):
        sim.backend.add_alarm_rule({"alarm": ALARM, "state": "RED"})
    with pytest.raises(ValueError, match="unknown key"):
        sim.backend.add_alarm_rule({"alarm": ALARM, "state": "OK", "metric": "x"})
    sim.backend.clear_alarms()
    assert sim.backend.alarms.get(ALARM).state == "INSUFFICIENT_DATA"
