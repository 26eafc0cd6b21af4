"""ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment,
DescribeServiceRevisions.

"View service history using Amazon ECS service deployments"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html) and
"StopServiceDeployment" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html)
and "Stopping Amazon ECS service deployments"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html):
a ROLLBACK stop of a PENDING or IN_PROGRESS deployment moves it to ROLLBACK_REQUESTED, then the
rollback starts (ROLLBACK_IN_PROGRESS, `Timings.rollback_delay` later) and returns the service
to the last deployment that completed, as the circuit breaker's rollback does. A stop of a
deployment already ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS continues the rollback, and one
already STOP_REQUESTED continues to stop; any other state is a ConflictException.

ABORT is in the newest model but undocumented; the simulator's choice: STOP_REQUESTED, then
STOPPED, the deployment FAILED where it stands (no more launches, no rollback), as the circuit
breaker without rollback leaves it.
"""

from __future__ import annotations

from ecsdeploy.sim._api.errors import EcsApiError, invalid_parameter
from ecsdeploy.sim._api.operation import (
    Operation,
    Params,
    Response,
    cluster_param,
    max_results,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._api.render import record_brief, record_view, revision_view
from ecsdeploy.sim._api.service_ops import lookup_service
from ecsdeploy.sim._dynamics.circuit_breaker import roll_back
from ecsdeploy.sim._dynamics.deployments import ONGOING_RECORD_STATUSES
from ecsdeploy.sim._dynamics.state import Deployment, Region, Service, ServiceDeploymentRecord
from ecsdeploy.sim._dynamics.world import World

MAX_DESCRIBE_SERVICE_DEPLOYMENTS = 20
MAX_DESCRIBE_SERVICE_REVISIONS = 20
STOP_REQUESTED_REASON = "Service deployment rolled back because of a stop request."


def _service_of(region: Region, resource_arn: str, marker: str) -> Service | None:
    """The service named in `…:<kind>/<cluster>/<service>/<id>` (deployments, revisions)."""
    _, _, resource = resource_arn.partition(marker)
    parts = resource.split("/")
    if len(parts) != 3:
        return None
    cluster = region.clusters.get(parts[0])
    return cluster.services.get(parts[1]) if cluster is not None else None


def _find_record(region: Region, record_arn: str) -> ServiceDeploymentRecord | None:
    service = _service_of(region, record_arn, ":service-deployment/")
    if service is None:
        return None
    return next((r for r in service.records if r.arn == record_arn), None)


def list_service_deployments(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    service = lookup_service(cluster, params["service"])
    statuses = set(params.get("status") or ())
    window = params.get("createdAt") or {}
    after = window.get("after")
    before = window.get("before")
    records = [
        record
        for record in reversed(service.records)
        if (not statuses or record.status in statuses)
        and (after is None or record.created_at >= float(after))
        and (before is None or record.created_at <= float(before))
    ]
    size = max_results(params, limit=100, default=20)
    chunk, token = page(records, next_token=params.get("nextToken"), size=size)
    return with_token({"serviceDeployments": [record_brief(r) for r in chunk]}, token)


def describe_service_deployments(world: World, region: Region, params: Params) -> Response:
    arns = params["serviceDeploymentArns"]
    if len(arns) > MAX_DESCRIBE_SERVICE_DEPLOYMENTS:
        raise invalid_parameter(
            f"serviceDeploymentArns can have at most {MAX_DESCRIBE_SERVICE_DEPLOYMENTS} items."
        )
    found = []
    failures = []
    for record_arn in arns:
        record = _find_record(region, record_arn)
        if record is None:
            failures.append({"arn": record_arn, "reason": "MISSING"})
        else:
            found.append(record_view(record))
    return {"serviceDeployments": found, "failures": failures}


def stop_service_deployment(world: World, region: Region, params: Params) -> Response:
    record_arn = params["serviceDeploymentArn"]
    record = _find_record(region, record_arn)
    if record is None:
        raise EcsApiError(
            "ServiceDeploymentNotFoundException", "The service deployment does not exist."
        )
    stop_type = params.get("stopType") or "ROLLBACK"
    if record.status in _CONTINUING:
        return {"serviceDeploymentArn": record_arn}
    service = record.service
    primary = service.primary
    if (
        record.status not in ONGOING_RECORD_STATUSES
        or primary is None
        or primary.record is not record
    ):
        raise EcsApiError(
            "ConflictException", f"The service deployment is {record.status}, not IN_PROGRESS."
        )
    if stop_type == "ROLLBACK" and service.last_completed is None:
        raise EcsApiError(
            "ConflictException", "There is no completed service revision to roll back to."
        )
    record.status = "ROLLBACK_REQUESTED" if stop_type == "ROLLBACK" else "STOP_REQUESTED"
    record.updated_at = world.now
    if record.circuit_breaker_status == "MONITORING":
        record.circuit_breaker_status = "MONITORING_COMPLETE"
    primary.rollout_state = "FAILED"
    primary.rollout_state_reason = f"ECS deployment {primary.id} stopped: {_REQUESTED[stop_type]}."
    primary.updated_at = world.now
    world.touch(service)
    world.schedule(world.timings.rollback_delay, _carry_out_stop, primary)
    return {"serviceDeploymentArn": record_arn}


_CONTINUING = frozenset({"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"})
_REQUESTED = {"ROLLBACK": "rollback requested", "ABORT": "stop requested"}


def _carry_out_stop(world: World, deployment: Deployment) -> None:
    record = deployment.record
    service = deployment.service
    if record.status == "STOP_REQUESTED":
        record.status = "STOPPED"
        record.status_reason = "Service deployment stopped because of a stop request."
        record.stopped_at = record.finished_at = record.updated_at = world.now
        return
    if record.status != "ROLLBACK_REQUESTED" or service.last_completed is None:
        return
    roll_back(
        world,
        deployment,
        reason=STOP_REQUESTED_REASON,
        rollout_reason=f"ECS deployment rolling back to deploymentId {service.last_completed.id}.",
    )


def describe_service_revisions(world: World, region: Region, params: Params) -> Response:
    arns = params["serviceRevisionArns"]
    if len(arns) > MAX_DESCRIBE_SERVICE_REVISIONS:
        raise invalid_parameter(
            f"serviceRevisionArns can have at most {MAX_DESCRIBE_SERVICE_REVISIONS} items."
        )
    found = []
    failures = []
    for revision_arn in arns:
        service = _service_of(region, revision_arn, ":service-revision/")
        revision = service.revisions.get(revision_arn) if service is not None else None
        if service is None or revision is None:
            failures.append({"arn": revision_arn, "reason": "MISSING"})
        else:
            found.append(revision_view(service, revision))
    return {"serviceRevisions": found, "failures": failures}


OPERATIONS: dict[str, Operation] = {
    "DescribeServiceRevisions": describe_service_revisions,
    "ListServiceDeployments": list_service_deployments,
    "DescribeServiceDeployments": describe_service_deployments,
    "StopServiceDeployment": stop_service_deployment,
}
