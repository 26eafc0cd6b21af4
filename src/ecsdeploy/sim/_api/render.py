"""State → response bodies shaped exactly like botocore's ECS output shapes.

Timestamps are float epoch seconds; members without a value are left out, as ECS does.
Members echoed from requests are deep copies, so a caller that edits a response cannot edit
the simulated state.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from ecsdeploy.sim._api.operation import tags_to
from ecsdeploy.sim._dynamics.deployment_alarms import record_alarms_view
from ecsdeploy.sim._dynamics.lifecycle import targets_healthy
from ecsdeploy.sim._dynamics.state import (
    Cluster,
    Container,
    Deployment,
    Service,
    ServiceDeploymentRecord,
    ServiceRevision,
    Task,
    TaskDefinition,
)

_PENDING_STATES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})

SERVICE_SPEC_KEYS = (
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "roleArn",
)
"""Service output members that echo what CreateService/UpdateService were given."""


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def taskdef_view(taskdef: TaskDefinition) -> dict[str, Any]:
    body = copy.deepcopy(taskdef.body)
    body["status"] = taskdef.status
    if taskdef.deregistered_at is not None:
        body["deregisteredAt"] = taskdef.deregistered_at
    return body


def image_digest(image: str) -> str:
    """A stable stand-in for the digest ECS resolves an image tag to."""
    return f"sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def container_view(task: Task, container: Container) -> dict[str, Any]:
    return _compact(
        {
            "containerArn": container.arn,
            "taskArn": task.arn,
            "name": container.name,
            "image": container.image,
            "imageDigest": image_digest(container.image) if task.started_at is not None else None,
            "lastStatus": container.last_status,
            "exitCode": container.exit_code,
            "reason": container.reason,
            "healthStatus": container.health_status,
            "networkBindings": _network_bindings(task, container),
            "networkInterfaces": (
                [
                    {
                        "attachmentId": task.eni.attachment_id,
                        "privateIpv4Address": task.eni.private_ip,
                    }
                ]
                if task.eni is not None
                else []
            ),
        }
    )


def _network_bindings(task: Task, container: Container) -> list[dict[str, Any]]:
    """The container's host ports on its instance, reported once it has started."""
    if task.started_at is None:
        return []
    return [
        {
            "bindIP": "0.0.0.0",
            "containerPort": binding.container_port,
            "hostPort": binding.host_port,
            "protocol": binding.protocol,
        }
        for binding in task.bindings
        if binding.container == container.name
    ]


def _platform(task: Task, key: str) -> str | None:
    """Fargate tasks report their deployment's resolved platform version and family."""
    if task.launch_type != "FARGATE":
        return None
    spec = task.deployment.spec if task.deployment is not None else task.run_spec or {}
    value = spec.get(key)
    return str(value) if value is not None else None


def task_view(task: Task, *, include_tags: bool = False) -> dict[str, Any]:
    body = task.taskdef.body
    view = _compact(
        {
            "taskArn": task.arn,
            "clusterArn": task.cluster.arn,
            "containerInstanceArn": task.instance.arn if task.instance is not None else None,
            "taskDefinitionArn": task.taskdef.arn,
            "containers": [container_view(task, c) for c in task.containers],
            "cpu": body.get("cpu"),
            "memory": body.get("memory"),
            "lastStatus": task.last_status,
            "desiredStatus": task.desired_status,
            "healthStatus": task.health_status,
            "launchType": task.launch_type,
            "platformVersion": _platform(task, "platformVersion"),
            "platformFamily": _platform(task, "platformFamily"),
            "availabilityZone": task.instance.availability_zone
            if task.instance is not None
            else f"{task.cluster.region}a",
            "group": task.group,
            "startedBy": task.started_by,
            "version": task.version,
            "createdAt": task.created_at,
            "pullStartedAt": task.pull_started_at,
            "pullStoppedAt": task.pull_stopped_at,
            "startedAt": task.started_at,
            "stoppingAt": task.stopping_at,
            "stoppedAt": task.stopped_at,
            "executionStoppedAt": task.execution_stopped_at,
            "stopCode": task.stop_code,
            "stoppedReason": task.stopped_reason,
            "connectivity": "CONNECTED" if task.started_at is not None else None,
            "connectivityAt": task.started_at,
            "attachments": _attachments(task),
            "overrides": task.overrides
            or {"containerOverrides": [{"name": c.name} for c in task.containers]},
        }
    )
    if include_tags:
        view["tags"] = tags_to(task.tags)
    return view


_ENI_STATUS = {
    "PROVISIONING": "PRECREATED",
    "PENDING": "ATTACHED",
    "ACTIVATING": "ATTACHED",
    "RUNNING": "ATTACHED",
    "DEACTIVATING": "ATTACHED",
    "STOPPING": "DETACHING",
    "STOPPED": "DETACHED",
}


def _attachments(task: Task) -> list[dict[str, Any]]:
    """ "Task" (API reference, attachments): the Elastic Network Adapter of an awsvpc task."""
    eni = task.eni
    if eni is None:
        return []
    details = {
        "subnetId": eni.subnet_id,
        "networkInterfaceId": eni.eni_id,
        "macAddress": eni.mac,
        "privateDnsName": eni.dns_name,
        "privateIPv4Address": eni.private_ip,
    }
    return [
        {
            "id": eni.attachment_id,
            "type": "ElasticNetworkInterface",
            "status": _ENI_STATUS.get(task.last_status, "ATTACHED"),
            "details": [{"name": name, "value": value} for name, value in details.items()],
        }
    ]


def deployment_counts(deployment: Deployment) -> tuple[int, int]:
    """(running, pending) tasks of a deployment."""
    running = pending = 0
    for task in deployment.tasks.values():
        if task.last_status == "RUNNING":
            running += 1
        elif task.last_status in _PENDING_STATES:
            pending += 1
    return running, pending


def deployment_view(deployment: Deployment) -> dict[str, Any]:
    running, pending = deployment_counts(deployment)
    view: dict[str, Any] = {
        "id": deployment.id,
        "status": deployment.status,
        "taskDefinition": deployment.taskdef.arn,
        "desiredCount": deployment.desired_count,
        "pendingCount": pending,
        "runningCount": running,
        "failedTasks": deployment.failed_tasks,
        "createdAt": deployment.created_at,
        "updatedAt": deployment.updated_at,
    }
    if deployment.service.controller == "ECS":
        view["rolloutState"] = deployment.rollout_state
        view["rolloutStateReason"] = deployment.rollout_state_reason
    view.update(copy.deepcopy(deployment.spec))
    return view


def service_view(service: Service, *, include_tags: bool = False) -> dict[str, Any]:
    running = pending = 0
    deployments = []
    for deployment in service.deployments:
        view = deployment_view(deployment)
        running += view["runningCount"]
        pending += view["pendingCount"]
        deployments.append(view)
    body: dict[str, Any] = {
        "serviceArn": service.arn,
        "serviceName": service.name,
        "clusterArn": service.cluster.arn,
        "status": service.status,
        "desiredCount": service.desired_count,
        "runningCount": running,
        "pendingCount": pending,
        "taskDefinition": service.taskdef_arn,
        "deployments": deployments,
        "events": [
            {"id": event_id, "createdAt": created_at, "message": message}
            for event_id, created_at, message in service.events
        ],
        "createdAt": service.created_at,
        "createdBy": f"arn:aws:iam::{service.arn.split(':')[4]}:root",
        "taskSets": [],
    }
    body.update(
        {key: copy.deepcopy(service.spec[key]) for key in SERVICE_SPEC_KEYS if key in service.spec}
    )
    if include_tags:
        body["tags"] = tags_to(service.tags)
    return body


def cluster_view(cluster: Cluster, *, include: frozenset[str] = frozenset()) -> dict[str, Any]:
    running = pending = 0
    for task in cluster.tasks.values():
        if task.last_status == "RUNNING":
            running += 1
        elif task.last_status in _PENDING_STATES:
            pending += 1
    view: dict[str, Any] = {
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": cluster.status,
        "registeredContainerInstancesCount": sum(
            1 for i in cluster.instances.values() if i.status != "INACTIVE"
        ),
        "runningTasksCount": running,
        "pendingTasksCount": pending,
        "activeServicesCount": sum(1 for s in cluster.services.values() if s.status == "ACTIVE"),
        "statistics": [],
        "tags": tags_to(cluster.tags) if "TAGS" in include else [],
        "settings": copy.deepcopy(cluster.spec.get("settings"))
        or [{"name": "containerInsights", "value": "disabled"}],
        "capacityProviders": list(cluster.spec.get("capacityProviders", [])),
        "defaultCapacityProviderStrategy": copy.deepcopy(
            cluster.spec.get("defaultCapacityProviderStrategy", [])
        ),
    }
    for key in ("configuration", "serviceConnectDefaults"):
        if key in cluster.spec:
            view[key] = copy.deepcopy(cluster.spec[key])
    return view


def _revision_summary(
    service: Service, revision_arn: str, *, weights: tuple[float, float] | None = None
) -> dict[str, Any]:
    requested = running = pending = 0
    for deployment in service.deployments:
        if deployment.revision_arn == revision_arn:
            _, p = deployment_counts(deployment)
            requested += deployment.desired_count
            # A service deployment waits for load balancer health: a RUNNING task whose
            # targets are not healthy yet is not counted running.
            running += sum(
                1
                for task in deployment.tasks.values()
                if task.last_status == "RUNNING" and targets_healthy(task)
            )
            pending += p
    summary: dict[str, Any] = {
        "arn": revision_arn,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": pending,
    }
    if weights is not None:
        summary["requestedProductionTrafficWeight"] = weights[0]
        summary["requestedTestTrafficWeight"] = weights[1]
    return summary


def record_brief(record: ServiceDeploymentRecord) -> dict[str, Any]:
    return _compact(
        {
            "serviceDeploymentArn": record.arn,
            "serviceArn": record.service.arn,
            "clusterArn": record.service.cluster.arn,
            "startedAt": record.started_at,
            "createdAt": record.created_at,
            "finishedAt": record.finished_at,
            "targetServiceRevisionArn": record.target_revision_arn,
            "status": record.status,
            "statusReason": record.status_reason,
        }
    )


def record_view(record: ServiceDeploymentRecord) -> dict[str, Any]:
    service = record.service
    view = _compact(
        {
            "serviceDeploymentArn": record.arn,
            "serviceArn": service.arn,
            "clusterArn": service.cluster.arn,
            "createdAt": record.created_at,
            "startedAt": record.started_at,
            "finishedAt": record.finished_at,
            "stoppedAt": record.stopped_at,
            "updatedAt": record.updated_at,
            "sourceServiceRevisions": [
                _revision_summary(service, arn, weights=_weights(record, green=False))
                for arn in record.source_revision_arns
            ],
            "targetServiceRevision": _revision_summary(
                service, record.target_revision_arn, weights=_weights(record, green=True)
            ),
            "status": record.status,
            "statusReason": record.status_reason,
            "lifecycleStage": record.shift.stage if record.shift is not None else None,
            "deploymentConfiguration": copy.deepcopy(record.deployment_configuration),
            "deploymentCircuitBreaker": {
                "status": record.circuit_breaker_status,
                "failureCount": record.failure_count,
                "threshold": record.threshold,
            },
            "alarms": record_alarms_view(record),
        }
    )
    if record.rollback_started_at is not None:
        view["rollback"] = _compact(
            {
                "reason": record.rollback_reason,
                "startedAt": record.rollback_started_at,
                "serviceRevisionArn": record.rollback_revision_arn,
            }
        )
    return view


def _weights(record: ServiceDeploymentRecord, *, green: bool) -> tuple[float, float] | None:
    """(production, test) traffic weights of the target (green) or a source (blue) revision
    of a BLUE_GREEN / LINEAR / CANARY deployment; None for a rolling one."""
    shift = record.shift
    if shift is None:
        return None
    if green:
        return shift.production_weight, shift.test_weight
    return 100.0 - shift.production_weight, 100.0 - shift.test_weight


def revision_view(service: Service, revision: ServiceRevision) -> dict[str, Any]:
    view: dict[str, Any] = {
        "serviceRevisionArn": revision.arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster.arn,
        "taskDefinition": revision.taskdef.arn,
        "containerImages": [
            {
                "containerName": str(c.get("name", "")),
                "image": str(c.get("image", "")),
                "imageDigest": image_digest(str(c.get("image", ""))),
            }
            for c in revision.taskdef.containers
        ],
        "guardDutyEnabled": False,
        "createdAt": revision.created_at,
    }
    view.update(copy.deepcopy(revision.spec))
    return view
