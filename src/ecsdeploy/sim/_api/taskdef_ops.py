"""RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition,
ListTaskDefinitions, ListTaskDefinitionFamilies.

Registration keeps every member it was given and adds what ECS adds (arn, revision, status,
compatibilities, requiresAttributes, the container defaults DescribeTaskDefinition shows), so a
describe → register round trip can be checked for losslessness exactly as against ECS.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ecsdeploy.sim._api.errors import client_error, invalid_parameter
from ecsdeploy.sim._api.operation import (
    Operation,
    Params,
    Response,
    max_results,
    tags_from,
    tags_to,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._api.render import taskdef_view
from ecsdeploy.sim._dynamics.ids import arn, name_of
from ecsdeploy.sim._dynamics.state import Region, TaskDefinition
from ecsdeploy.sim._dynamics.world import World

_FAMILY = re.compile(r"[A-Za-z0-9_-]{1,255}")
_CONTAINER_DEFAULTS: dict[str, Any] = {
    "cpu": 0,
    "portMappings": [],
    "essential": True,
    "environment": [],
    "mountPoints": [],
    "volumesFrom": [],
}
"""Members ECS fills into every container definition it returns."""
_TASK_DEFAULTS: dict[str, Any] = {"volumes": [], "placementConstraints": []}

TASKDEF_NOT_FOUND = "Unable to describe task definition."


def lookup_taskdef(region: Region, reference: str) -> TaskDefinition | None:
    """Resolve `family`, `family:revision` or an ARN as ECS does (bare family: latest ACTIVE)."""
    family, _, revision = name_of(reference).partition(":")
    revisions = region.families.get(family)
    if not revisions:
        return None
    if revision:
        if not revision.isdigit() or not 1 <= int(revision) <= len(revisions):
            return None
        return revisions[int(revision) - 1]
    for taskdef in reversed(revisions):
        if taskdef.status == "ACTIVE":
            return taskdef
    return None


def register_task_definition(world: World, region: Region, params: Params) -> Response:
    family = params["family"]
    if not _FAMILY.fullmatch(family):
        raise client_error(
            "Family must be 1-255 characters: letters, numbers, hyphens and underscores."
        )
    containers = params.get("containerDefinitions") or []
    if not containers:
        raise client_error("Container list cannot be empty.")
    for container in containers:
        if not container.get("name"):
            raise client_error("Container.name should not be null or empty.")
        if not container.get("image"):
            raise client_error("Container.image should not be null or empty.")
    requires = params.get("requiresCompatibilities") or []
    if "FARGATE" in requires:
        if params.get("networkMode") != "awsvpc":
            raise client_error("Fargate only supports network mode \u2018awsvpc\u2019.")
        if not params.get("cpu"):
            raise client_error("Fargate requires that 'cpu' be defined at the task level.")
        if not params.get("memory"):
            raise client_error("Fargate requires that 'memory' be defined at the task level.")
    tags = tags_from(params.get("tags"))
    with_defaults = [
        _with_defaults(container, network_mode=params.get("networkMode"))
        for container in containers
    ]
    revisions = region.families.setdefault(family, [])
    revision = len(revisions) + 1
    taskdef_arn = arn(region.name, f"task-definition/{family}:{revision}", region.account)
    body: dict[str, Any] = {
        key: copy.deepcopy(value) for key, value in params.items() if key != "tags"
    }
    body["containerDefinitions"] = with_defaults
    for key, default in _TASK_DEFAULTS.items():
        body.setdefault(key, copy.deepcopy(default))
    body.update(
        {
            "taskDefinitionArn": taskdef_arn,
            "family": family,
            "revision": revision,
            "requiresAttributes": _required_attributes(body),
            "compatibilities": _compatibilities(body),
            "registeredAt": world.now,
            "registeredBy": f"arn:aws:iam::{region.account}:root",
        }
    )
    taskdef = TaskDefinition(
        arn=taskdef_arn,
        family=family,
        revision=revision,
        body=body,
        tags=tags,
    )
    revisions.append(taskdef)
    response: Response = {"taskDefinition": taskdef_view(taskdef)}
    if taskdef.tags:
        response["tags"] = tags_to(taskdef.tags)
    return response


def _with_defaults(container: dict[str, Any], *, network_mode: str | None) -> dict[str, Any]:
    result = copy.deepcopy(container)
    for key, default in _CONTAINER_DEFAULTS.items():
        result.setdefault(key, copy.deepcopy(default))
    for mapping in result["portMappings"]:
        mapping.setdefault("protocol", "tcp")
        if network_mode in _OWN_PORT_MODES and "containerPort" in mapping:
            # The task's containers listen on the network they are given, so the host port
            # is the container port; ECS fills it in and refuses any other.
            mapping.setdefault("hostPort", mapping["containerPort"])
            if mapping["hostPort"] != mapping["containerPort"]:
                raise client_error(
                    f"When networkMode={network_mode}, the host ports and container ports in "
                    "port mappings must match."
                )
    return result


_OWN_PORT_MODES = frozenset({"awsvpc", "host"})


def _required_attributes(body: dict[str, Any]) -> list[dict[str, str]]:
    names = ["com.amazonaws.ecs.capability.docker-remote-api.1.18"]
    containers = body["containerDefinitions"]
    if body.get("networkMode") == "awsvpc":
        names += ["ecs.capability.task-eni", "com.amazonaws.ecs.capability.docker-remote-api.1.29"]
    if body.get("executionRoleArn"):
        names.append("ecs.capability.execution-role-ecr-pull")
    if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        names += [
            "com.amazonaws.ecs.capability.logging-driver.awslogs",
            "com.amazonaws.ecs.capability.docker-remote-api.1.19",
        ]
        if body.get("executionRoleArn"):
            names.append("ecs.capability.execution-role-awslogs")
    if any(c.get("healthCheck") for c in containers):
        names += ["ecs.capability.container-health-check"]
    if body.get("taskRoleArn"):
        names.append("com.amazonaws.ecs.capability.task-iam-role")
    if any(c.get("secrets") for c in containers):
        names.append("ecs.capability.secrets.asm.environment-variables")
    return [{"name": name} for name in dict.fromkeys(names)]


def _compatibilities(body: dict[str, Any]) -> list[str]:
    compatibilities = ["EC2"]
    if body.get("networkMode") == "awsvpc" and body.get("cpu") and body.get("memory"):
        compatibilities.append("FARGATE")
    return compatibilities


def describe_task_definition(world: World, region: Region, params: Params) -> Response:
    taskdef = lookup_taskdef(region, params["taskDefinition"])
    if taskdef is None:
        raise client_error(TASKDEF_NOT_FOUND)
    response: Response = {"taskDefinition": taskdef_view(taskdef)}
    if "TAGS" in (params.get("include") or ()):
        response["tags"] = tags_to(taskdef.tags)
    return response


def deregister_task_definition(world: World, region: Region, params: Params) -> Response:
    reference = params["taskDefinition"]
    if ":" not in name_of(reference):
        raise invalid_parameter(
            "TaskDefinition must be specified as family:revision or the full ARN."
        )
    taskdef = lookup_taskdef(region, reference)
    if taskdef is None:
        raise client_error("The specified task definition does not exist.")
    if taskdef.status == "ACTIVE":
        taskdef.status = "INACTIVE"
        taskdef.deregistered_at = world.now
    return {"taskDefinition": taskdef_view(taskdef)}


def list_task_definitions(world: World, region: Region, params: Params) -> Response:
    status = params.get("status") or "ACTIVE"
    family = params.get("familyPrefix")
    families = [family] if family else sorted(region.families)
    arns = [
        taskdef.arn
        for name in families
        for taskdef in region.families.get(name, [])
        if taskdef.status == status
    ]
    if params.get("sort") == "DESC":
        arns.reverse()
    size = max_results(params, limit=100, default=100)
    chunk, token = page(arns, next_token=params.get("nextToken"), size=size)
    return with_token({"taskDefinitionArns": chunk}, token)


def list_task_definition_families(world: World, region: Region, params: Params) -> Response:
    status = params.get("status") or "ACTIVE"
    prefix = params.get("familyPrefix") or ""
    names = []
    for name in sorted(region.families):
        if not name.startswith(prefix):
            continue
        active = any(t.status == "ACTIVE" for t in region.families[name])
        if status == "ALL" or (status == "ACTIVE") == active:
            names.append(name)
    size = max_results(params, limit=100, default=100)
    chunk, token = page(names, next_token=params.get("nextToken"), size=size)
    return with_token({"families": chunk}, token)


OPERATIONS: dict[str, Operation] = {
    "RegisterTaskDefinition": register_task_definition,
    "DescribeTaskDefinition": describe_task_definition,
    "DeregisterTaskDefinition": deregister_task_definition,
    "ListTaskDefinitions": list_task_definitions,
    "ListTaskDefinitionFamilies": list_task_definition_families,
}
