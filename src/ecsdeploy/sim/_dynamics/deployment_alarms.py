"""Deployment failure detection by CloudWatch alarms (`deploymentConfiguration.alarms`).

"How CloudWatch alarms detect Amazon ECS deployment failures"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html):
ECS sets the deployment to failed when one of the alarms named in `alarmNames` (with
`enable`) goes into the ALARM state, and with `rollback` rolls the failed deployment back to
the last completed deployment. A deployment starts IN_PROGRESS; once the service is steady,
ECS keeps watching the alarms for a bake time ("a period of time after a new service version
has scaled out and the old service version has scaled in, during which Amazon ECS continues to
monitor the alarm"), and only then the deployment becomes COMPLETED. ECS computes the bake time
from the alarms' configuration; the simulator uses `Timings.alarm_bake_time`. A FAILED
deployment launches no new tasks. "Amazon ECS deployment failure detection": with the circuit
breaker on as well, either can fail the deployment.

The rollback is the circuit breaker's (`sim._dynamics.circuit_breaker.roll_back`): the last
COMPLETED deployment, same id, PRIMARY again. A deployment that is itself a rollback is not
failed by alarms (an alarm still in ALARM would otherwise fail every way back).

The service-deployment record reports the alarms as `ServiceDeploymentAlarms` (API reference):
`status` DISABLED, MONITORING, TRIGGERED or MONITORING_COMPLETE, `alarmNames` and
`triggeredAlarmNames`.

AWS documents the event and the state, not the exact wording of `rolloutStateReason` or of the
service event; the simulator words them like the circuit breaker's and names the alarms.
"""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.alarms import AlarmStore
from ecsdeploy.sim._dynamics.circuit_breaker import roll_back
from ecsdeploy.sim._dynamics.deployments import ONGOING_RECORD_STATUSES
from ecsdeploy.sim._dynamics.state import Deployment, Service, ServiceDeploymentRecord
from ecsdeploy.sim._dynamics.world import World


def deployment_alarms(config: dict[str, Any] | None) -> tuple[bool, bool, list[str]]:
    """(enable, rollback, alarmNames) of a `deploymentConfiguration`."""
    alarms = (config or {}).get("alarms") or {}
    names = [str(name) for name in alarms.get("alarmNames") or ()]
    return bool(alarms.get("enable", False)), bool(alarms.get("rollback", False)), names


def watches_alarms(deployment: Deployment) -> bool:
    """ECS watches alarms for this deployment: enabled, named, and not a rollback."""
    enable, _, names = deployment_alarms(deployment.service.spec.get("deploymentConfiguration"))
    return enable and bool(names) and not deployment.is_rollback


def names_alarm(service: Service, name: str) -> bool:
    """The service's deployments are watched by the alarm `name`."""
    enable, _, names = deployment_alarms(service.spec.get("deploymentConfiguration"))
    return enable and name in names


def failed_reason(names: list[str]) -> str:
    return f"ECS deployment alarms: alarm(s) in ALARM state: {', '.join(names)}."


def rollback_reason(names: list[str]) -> str:
    return (
        "Service deployment rolled back because the CloudWatch alarm(s) "
        f"{', '.join(names)} went into the ALARM state."
    )


def check(world: World, service: Service, alarms: AlarmStore) -> None:
    """Fail the PRIMARY deployment if an alarm it is watched by is in ALARM (IN_PROGRESS,
    bake time included)."""
    primary = service.primary
    if (
        service.status != "ACTIVE"
        or service.controller != "ECS"
        or primary is None
        or primary.rollout_state != "IN_PROGRESS"
        or not watches_alarms(primary)
    ):
        return
    _, _, names = deployment_alarms(service.spec.get("deploymentConfiguration"))
    triggered = alarms.in_alarm(names)
    if triggered:
        _fail(world, primary, triggered)


def bake_done(world: World, deployment: Deployment) -> bool:
    """Whether a steady deployment watched by alarms has baked; starts the bake the first time."""
    if not watches_alarms(deployment):
        return True
    if deployment.bake_ends_at is None:
        deployment.bake_ends_at = world.now + world.timings.alarm_bake_time
        world.schedule(world.timings.alarm_bake_time, _reevaluate, deployment)
    return world.now >= deployment.bake_ends_at


def record_alarms_view(record: ServiceDeploymentRecord) -> dict[str, Any]:
    """`ServiceDeploymentAlarms` of a service-deployment record."""
    enable, _, names = deployment_alarms(record.deployment_configuration)
    if record.triggered_alarm_names:
        status = "TRIGGERED"
    elif not enable or not names:
        status = "DISABLED"
    elif record.status in ONGOING_RECORD_STATUSES:
        status = "MONITORING"
    else:
        status = "MONITORING_COMPLETE"
    view: dict[str, Any] = {"status": status, "alarmNames": names}
    if record.triggered_alarm_names:
        view["triggeredAlarmNames"] = list(record.triggered_alarm_names)
    return view


def _fail(world: World, deployment: Deployment, triggered: list[str]) -> None:
    service = deployment.service
    record = deployment.record
    now = world.now
    deployment.rollout_state = "FAILED"
    deployment.rollout_state_reason = failed_reason(triggered)
    deployment.updated_at = now
    record.triggered_alarm_names = list(triggered)
    record.updated_at = now
    _events.add_event(
        world,
        service,
        f"(service {service.name}) (deployment {deployment.id}) deployment failed: "
        f"alarm(s) detected: {', '.join(triggered)}.",
    )
    _, rollback, _ = deployment_alarms(service.spec.get("deploymentConfiguration"))
    if rollback and service.last_completed is not None:
        world.schedule(world.timings.rollback_delay, _start_alarm_rollback, deployment)
    else:
        record.status = "STOPPED"
        record.status_reason = failed_reason(triggered)
        record.stopped_at = record.finished_at = now
    world.touch(service)


def _start_alarm_rollback(world: World, deployment: Deployment) -> None:
    service = deployment.service
    if service.primary is not deployment or service.last_completed is None:
        # Someone deployed over the failed deployment in the meantime: nothing to roll back.
        return
    triggered = deployment.record.triggered_alarm_names
    roll_back(
        world,
        deployment,
        reason=rollback_reason(triggered),
        rollout_reason=(
            f"ECS deployment alarms: rolling back to deploymentId {service.last_completed.id}."
        ),
    )


def _reevaluate(world: World, deployment: Deployment) -> None:
    world.touch(deployment.service)
