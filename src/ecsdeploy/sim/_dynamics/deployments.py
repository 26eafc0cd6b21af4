"""Starting deployments and keeping their service-deployment records.

"Deploy Amazon ECS services by replacing tasks"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html): a new
task definition or forceNewDeployment makes a new PRIMARY deployment; the previous ones become
ACTIVE and are drained. Each such change is also one service deployment
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html) with a
target service revision and the revisions it replaces.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from ecsdeploy.sim._dynamics.ids import arn
from ecsdeploy.sim._dynamics.launch_throttle import reset as reset_launch_throttle
from ecsdeploy.sim._dynamics.state import (
    Deployment,
    Service,
    ServiceDeploymentRecord,
    ServiceRevision,
    TaskDefinition,
)
from ecsdeploy.sim._dynamics.world import World

DEPLOYMENT_SPEC_KEYS = (
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "networkConfiguration",
)
"""Service members a deployment records as they were when it started."""

ONGOING_RECORD_STATUSES = frozenset({"PENDING", "IN_PROGRESS"})
"""A user's service deployment that neither stopping nor rolling back has touched yet."""
FINISHED_RECORD_STATUSES = frozenset(
    {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
)


def circuit_breaker(service: Service) -> tuple[bool, bool]:
    """(enable, rollback) of the service's deployment circuit breaker."""
    config: dict[str, Any] = (
        service.spec["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
    )
    return bool(config.get("enable", False)), bool(config.get("rollback", False))


def reset_on_healthy_task(service: Service) -> bool:
    """`deploymentCircuitBreaker.resetOnHealthyTask`; ECS's default is true."""
    config: dict[str, Any] = (
        service.spec["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
    )
    value = config.get("resetOnHealthyTask")
    return True if value is None else bool(value)


def failure_threshold(service: Service) -> int:
    """Failed tasks that trip the circuit breaker, per `thresholdConfiguration`.

    "ThresholdConfiguration" (API reference): COUNT uses `value` directly; BOUNDED_PERCENT
    (the default, value 50) is value% of the latest desired count clamped to 3..200
    ("How the Amazon ECS deployment circuit breaker detects failures"); UNBOUNDED_PERCENT is
    value% without the clamp. AWS is silent on a result of 0; the simulator uses 1.
    """
    config: dict[str, Any] = (
        service.spec["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
    )
    threshold = config.get("thresholdConfiguration") or {}
    kind = threshold.get("type", "BOUNDED_PERCENT")
    value = int(threshold.get("value", 50))
    if kind == "COUNT":
        return max(1, value)
    percent = math.ceil(value * service.desired_count / 100)
    if kind == "UNBOUNDED_PERCENT":
        return max(1, percent)
    return min(200, max(3, percent))


REVISION_SPEC_KEYS = (
    "capacityProviderStrategy",
    "launchType",
    "platformVersion",
    "platformFamily",
    "loadBalancers",
    "serviceRegistries",
    "networkConfiguration",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
)
"""Service members a service revision records next to the task definition."""


def new_revision(world: World, service: Service, taskdef: TaskDefinition) -> str:
    """Record the service's current configuration with `taskdef` as a new revision."""
    revision_arn = arn(
        service.cluster.region,
        f"service-revision/{service.cluster.name}/{service.name}/{world.ids.revision_id()}",
        service.cluster.account,
    )
    service.revisions[revision_arn] = ServiceRevision(
        arn=revision_arn,
        taskdef=taskdef,
        created_at=world.now,
        spec={
            key: copy.deepcopy(service.spec[key])
            for key in REVISION_SPEC_KEYS
            if key in service.spec
        },
    )
    return revision_arn


def start_deployment(
    world: World,
    service: Service,
    taskdef: TaskDefinition,
    *,
    record: ServiceDeploymentRecord | None = None,
    revision_arn: str | None = None,
    reason: str | None = None,
    is_rollback: bool = False,
) -> Deployment:
    """Make a new PRIMARY deployment of `taskdef`; earlier deployments become ACTIVE (draining).

    Without `record` this is a user's deployment and gets a new service-deployment record;
    a rollback passes the record of the deployment it rolls back.
    """
    now = world.now
    revision_arn = revision_arn or new_revision(world, service, taskdef)
    if record is None:
        record = _new_record(world, service, revision_arn)
    for previous in service.deployments:
        if previous.status == "PRIMARY":
            previous.status = "ACTIVE"
            previous.updated_at = now
    deployment_id = world.ids.deployment_id()
    deployment = Deployment(
        id=deployment_id,
        service=service,
        taskdef=taskdef,
        revision_arn=revision_arn,
        created_at=now,
        updated_at=now,
        desired_count=service.desired_count,
        record=record,
        rollout_state_reason=reason or f"ECS deployment {deployment_id} in progress.",
        circuit_breaker_threshold=failure_threshold(service),
        is_rollback=is_rollback,
        spec=_deployment_spec(service),
    )
    service.deployments.insert(0, deployment)
    if service.taskdef_arn != taskdef.arn:
        reset_launch_throttle(service)
    service.taskdef_arn = taskdef.arn
    service.steady = False
    world.touch(service)
    return deployment


FARGATE_PLATFORM_VERSION = "1.4.0"
"""What Fargate's LATEST platform version resolves to for Linux tasks."""


def _deployment_spec(service: Service) -> dict[str, Any]:
    """The service's launch settings, with Fargate's LATEST resolved as ECS reports it."""
    spec = {
        key: copy.deepcopy(service.spec[key]) for key in DEPLOYMENT_SPEC_KEYS if key in service.spec
    }
    if spec.get("launchType") == "FARGATE":
        if spec.get("platformVersion", "LATEST") == "LATEST":
            spec["platformVersion"] = FARGATE_PLATFORM_VERSION
        spec.setdefault("platformFamily", "Linux")
    return spec


def _new_record(
    world: World, service: Service, target_revision_arn: str
) -> ServiceDeploymentRecord:
    now = world.now
    for older in service.records:
        if older.status not in FINISHED_RECORD_STATUSES:
            older.status = "STOPPED"
            older.status_reason = "Service deployment stopped because a newer deployment started."
            older.stopped_at = older.finished_at = older.updated_at = now
            if older.circuit_breaker_status == "MONITORING":
                older.circuit_breaker_status = "MONITORING_COMPLETE"
    enable, _ = circuit_breaker(service)
    record = ServiceDeploymentRecord(
        arn=arn(
            service.cluster.region,
            f"service-deployment/{service.cluster.name}/{service.name}/"
            f"{world.ids.service_deployment_id()}",
            service.cluster.account,
        ),
        service=service,
        created_at=now,
        started_at=now,
        updated_at=now,
        target_revision_arn=target_revision_arn,
        source_revision_arns=[
            d.revision_arn for d in service.deployments if d.status in ("PRIMARY", "ACTIVE")
        ],
        deployment_configuration=dict(service.spec["deploymentConfiguration"]),
        circuit_breaker_status="MONITORING" if enable else "DISABLED",
        threshold=failure_threshold(service),
    )
    service.records.append(record)
    world.schedule(world.timings.deployment_pending, _record_in_progress, record)
    return record


def _record_in_progress(world: World, record: ServiceDeploymentRecord) -> None:
    """ "View service history using Amazon ECS service deployments": PENDING, then
    IN_PROGRESS once ECS works on it."""
    if record.status == "PENDING":
        record.status = "IN_PROGRESS"
        record.updated_at = world.now
