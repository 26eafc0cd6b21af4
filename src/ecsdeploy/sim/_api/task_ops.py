"""RunTask, ListTasks, DescribeTasks, StopTask.

RunTask starts standalone tasks ("RunTask", API reference): no service replaces them, and the
container rules decide how they end (an `exit` rule for a migration that finishes, `crash` for
one that fails), their containers' exit codes reported by DescribeTasks.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ecsdeploy.sim._api.errors import EcsApiError, client_error, invalid_parameter
from ecsdeploy.sim._api.network_checks import check_network_configuration, check_platform_version
from ecsdeploy.sim._api.operation import (
    Operation,
    Params,
    Response,
    cluster_param,
    max_results,
    tags_from,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._api.render import task_view
from ecsdeploy.sim._api.service_ops import lookup_service
from ecsdeploy.sim._api.taskdef_ops import lookup_taskdef
from ecsdeploy.sim._dynamics.deployments import FARGATE_PLATFORM_VERSION
from ecsdeploy.sim._dynamics.ids import name_of
from ecsdeploy.sim._dynamics.lifecycle import (
    EC2_NO_INSTANCE,
    STOPPED_BY_USER,
    begin_stop,
    new_task,
    placement_failure,
)
from ecsdeploy.sim._dynamics.placement import Unplaceable, find_placement, runs_on_instances
from ecsdeploy.sim._dynamics.state import Cluster, Region, RunTaskToken, Task
from ecsdeploy.sim._dynamics.world import World

MAX_DESCRIBE_TASKS = 100


def list_tasks(world: World, region: Region, params: Params) -> Response:
    """Tasks of a cluster, filtered as ECS filters them.

    `desiredStatus` defaults to RUNNING (tasks not yet asked to stop); STOPPED lists stopped
    and stopping tasks for as long as they are retained; PENDING matches nothing, as in ECS.
    ECS wants `startedBy` to be the only filter (cluster, desiredStatus and launchType aside).
    """
    cluster = cluster_param(region, params)
    started_by = params.get("startedBy")
    family = params.get("family")
    service_name = params.get("serviceName")
    if started_by is not None and (family or service_name or params.get("containerInstance")):
        raise invalid_parameter(
            "startedBy cannot be combined with family, serviceName or containerInstance."
        )
    service = lookup_service(cluster, service_name) if service_name else None
    desired = params.get("desiredStatus") or "RUNNING"
    launch_type = params.get("launchType")
    instance = params.get("containerInstance")
    instance_id = name_of(instance) if instance else None

    def wanted(task: Task) -> bool:
        return (
            task.desired_status == desired
            and (service is None or task.service is service)
            and (started_by is None or task.started_by == started_by)
            and (family is None or task.taskdef.family == family)
            and (launch_type is None or task.launch_type == launch_type)
            and (
                instance_id is None
                or (
                    task.instance is not None and task.instance.container_instance_id == instance_id
                )
            )
        )

    arns = [task.arn for task in cluster.tasks.values() if wanted(task)]
    size = max_results(params, limit=100, default=100)
    chunk, token = page(arns, next_token=params.get("nextToken"), size=size)
    return with_token({"taskArns": chunk}, token)


def describe_tasks(world: World, region: Region, params: Params) -> Response:
    references = params["tasks"]
    if not references:
        raise invalid_parameter("Tasks cannot be empty.")
    if len(references) > MAX_DESCRIBE_TASKS:
        raise invalid_parameter(f"tasks can have at most {MAX_DESCRIBE_TASKS} items.")
    cluster = cluster_param(region, params)
    include_tags = "TAGS" in (params.get("include") or ())
    tasks = []
    failures = []
    for reference in references:
        task = cluster.tasks.get(name_of(reference))
        if task is None:
            failures.append({"arn": reference, "reason": "MISSING"})
        else:
            tasks.append(task_view(task, include_tags=include_tags))
    return {"tasks": tasks, "failures": failures}


MAX_RUN_TASK_COUNT = 10


CLIENT_TOKEN_TTL = 24 * 3600.0
"""How long ECS remembers a RunTask client token ("Ensuring idempotency", API reference)."""


def run_task(world: World, region: Region, params: Params) -> Response:
    """RunTask, idempotent per client token and cluster ("Ensuring idempotency"): a retry with
    the same token and parameters answers with the original tasks and starts nothing; the same
    token with other parameters is a ConflictException."""
    cluster = cluster_param(region, params)
    token = params.get("clientToken")
    if not token:
        return _run_task(world, region, cluster, params)
    fingerprint = json.dumps(
        {k: v for k, v in params.items() if k != "clientToken"}, sort_keys=True, default=str
    )
    earlier = cluster.run_task_tokens.get(token)
    if earlier is not None and world.now - earlier.at < CLIENT_TOKEN_TTL:
        if earlier.fingerprint != fingerprint:
            raise EcsApiError(
                "ConflictException",
                "The specified client token has already been used in another request with "
                "different parameters.",
            )
        return {
            "tasks": [task_view(task) for task in earlier.tasks],
            "failures": copy.deepcopy(earlier.failures),
        }
    response, tasks = _run_task_and_keep(world, region, cluster, params)
    cluster.run_task_tokens[token] = RunTaskToken(
        fingerprint, world.now, tasks, copy.deepcopy(response["failures"])
    )
    return response


def _run_task(world: World, region: Region, cluster: Cluster, params: Params) -> Response:
    return _run_task_and_keep(world, region, cluster, params)[0]


def _run_task_and_keep(
    world: World, region: Region, cluster: Cluster, params: Params
) -> tuple[Response, list[Task]]:
    taskdef = lookup_taskdef(region, params["taskDefinition"])
    if taskdef is None:
        raise client_error("TaskDefinition not found.")
    if taskdef.status != "ACTIVE":
        raise client_error("TaskDefinition is inactive")
    count = 1 if params.get("count") is None else int(params["count"])
    if not 1 <= count <= MAX_RUN_TASK_COUNT:
        raise invalid_parameter("count must be between 1 and 10.")
    spec = {key: params[key] for key in _RUN_SPEC_KEYS if key in params}
    check_network_configuration(taskdef, params.get("networkConfiguration"), required=True)
    check_platform_version(spec)
    unplaceable = placement_failure(world, taskdef, spec)
    if unplaceable == EC2_NO_INSTANCE:
        raise invalid_parameter(EC2_NO_INSTANCE)
    if unplaceable is not None:
        # "API failure reasons": placement problems come back as failures, not errors.
        return {"tasks": [], "failures": [{"reason": unplaceable} for _ in range(count)]}, []
    tags = tags_from(params.get("tags"))
    if params.get("propagateTags") == "TASK_DEFINITION":
        tags = {**taskdef.tags, **tags}
    group = params.get("group") or f"family:{taskdef.family}"
    tasks = []
    failures: list[dict[str, Any]] = []
    for _ in range(count):
        placement = None
        if runs_on_instances(cluster, spec):
            found = find_placement(
                world,
                cluster,
                taskdef,
                group=group,
                strategy=params.get("placementStrategy") or (),
                constraints=params.get("placementConstraints") or (),
            )
            if isinstance(found, Unplaceable):
                # "API failure reasons": RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS…, with
                # the container instance that came closest.
                failures.append({"arn": found.closest.arn, "reason": found.reason})
                continue
            placement = found
        task = new_task(
            world,
            cluster,
            taskdef,
            spec=spec,
            started_by=params.get("startedBy"),
            group=group,
            overrides=params.get("overrides") or None,
            placement=placement,
        )
        task.tags = dict(tags)
        task.run_spec = _resolved(spec)
        tasks.append(task)
    return {"tasks": [task_view(task) for task in tasks], "failures": failures}, tasks


_RUN_SPEC_KEYS = (
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
)


def _resolved(spec: dict[str, Any]) -> dict[str, Any]:
    """RunTask's launch settings as DescribeTasks reports them: Fargate's LATEST resolved."""
    resolved = copy.deepcopy(spec)
    if resolved.get("launchType") == "FARGATE":
        if resolved.get("platformVersion", "LATEST") == "LATEST":
            resolved["platformVersion"] = FARGATE_PLATFORM_VERSION
        resolved.setdefault("platformFamily", "Linux")
    return resolved


def stop_task(world: World, region: Region, params: Params) -> Response:
    """Stop a task on the user's behalf; a service replaces it (not a deployment failure)."""
    cluster = cluster_param(region, params)
    task = cluster.tasks.get(name_of(params["task"]))
    if task is None:
        raise invalid_parameter("The referenced task was not found.")
    begin_stop(
        world,
        task,
        stop_code="UserInitiated",
        reason=params.get("reason") or STOPPED_BY_USER,
        failed=False,
    )
    return {"task": task_view(task)}


OPERATIONS: dict[str, Operation] = {
    "RunTask": run_task,
    "ListTasks": list_tasks,
    "DescribeTasks": describe_tasks,
    "StopTask": stop_task,
}
