"""TagResource, UntagResource, ListTagsForResource for clusters, services, task definitions
and tasks, addressed by ARN."""

from __future__ import annotations

from ecsdeploy.sim._api.errors import EcsApiError, cluster_not_found, invalid_parameter
from ecsdeploy.sim._api.operation import Operation, Params, Response, tags_from, tags_to
from ecsdeploy.sim._api.taskdef_ops import lookup_taskdef
from ecsdeploy.sim._dynamics.state import Region
from ecsdeploy.sim._dynamics.world import World


def _tags_of(region: Region, resource_arn: str) -> dict[str, str]:
    """The live tag dict of the resource `resource_arn` names."""
    parts = resource_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ecs":
        raise invalid_parameter("The ARN provided is invalid.")
    kind, _, path = parts[5].partition("/")
    if kind == "task-definition":
        taskdef = lookup_taskdef(region, path) if ":" in path else None
        if taskdef is not None:
            return taskdef.tags
    elif kind in ("cluster", "service", "task"):
        segments = path.split("/")
        cluster = region.clusters.get(segments[0])
        if cluster is None or cluster.status != "ACTIVE":
            raise cluster_not_found()
        if kind == "cluster" and len(segments) == 1:
            return cluster.tags
        if kind == "service" and len(segments) == 2 and segments[1] in cluster.services:
            return cluster.services[segments[1]].tags
        if kind == "task" and len(segments) == 2 and segments[1] in cluster.tasks:
            return cluster.tasks[segments[1]].tags
    raise EcsApiError("ResourceNotFoundException", "The specified resource could not be found.")


def tag_resource(world: World, region: Region, params: Params) -> Response:
    _tags_of(region, params["resourceArn"]).update(tags_from(params["tags"]))
    return {}


def untag_resource(world: World, region: Region, params: Params) -> Response:
    tags = _tags_of(region, params["resourceArn"])
    for key in params["tagKeys"]:
        tags.pop(key, None)
    return {}


def list_tags_for_resource(world: World, region: Region, params: Params) -> Response:
    return {"tags": tags_to(_tags_of(region, params["resourceArn"]))}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
