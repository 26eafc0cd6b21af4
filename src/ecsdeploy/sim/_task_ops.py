"""ListTasks, DescribeTasks, StopTask."""

from __future__ import annotations

from ecsdeploy.sim._errors import invalid_parameter
from ecsdeploy.sim._ids import name_of
from ecsdeploy.sim._lifecycle import STOPPED_BY_USER, begin_stop
from ecsdeploy.sim._operation import (
    Operation,
    Params,
    Response,
    cluster_param,
    max_results,
    with_token,
)
from ecsdeploy.sim._pagination import page
from ecsdeploy.sim._render import task_view
from ecsdeploy.sim._service_ops import lookup_service
from ecsdeploy.sim._state import Region, Task
from ecsdeploy.sim._world import World

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

    def wanted(task: Task) -> bool:
        return (
            task.desired_status == desired
            and (service is None or task.service is service)
            and (started_by is None or task.started_by == started_by)
            and (family is None or task.taskdef.family == family)
            and (launch_type is None or task.launch_type == launch_type)
        )

    if params.get("containerInstance"):
        arns: list[str] = []
    else:
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
    "ListTasks": list_tasks,
    "DescribeTasks": describe_tasks,
    "StopTask": stop_task,
}
