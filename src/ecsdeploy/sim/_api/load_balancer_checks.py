"""CreateService/UpdateService's checks of ``loadBalancers`` against the region's ELBv2 state.

ECS validates each target group before it changes anything, with these messages (as users
quote them from ECS): a target group it cannot describe, one no load balancer uses, a container
or container port the task definition lacks, an ``instance`` target group for an awsvpc task
definition and an ``ip`` one for a bridge or host task definition. Entries naming a classic
load balancer (``loadBalancerName``) are not checked: classic load balancers are not simulated.
"""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._api.errors import invalid_parameter
from ecsdeploy.sim._dynamics.state import Region, TaskDefinition

UNKNOWN_TARGET_GROUP = (
    "Unable to assume role and validate the specified targetGroupArn. Please verify that the "
    "ECS service role being passed has the proper permissions."
)


def check_load_balancers(
    region: Region, entries: list[dict[str, Any]] | None, taskdef: TaskDefinition | None
) -> None:
    balancing = region.load_balancing
    for entry in entries or ():
        arn = entry.get("targetGroupArn")
        if not arn:
            continue
        group = balancing.target_groups.get(str(arn))
        if group is None:
            raise invalid_parameter(UNKNOWN_TARGET_GROUP)
        if not balancing.load_balancers_of(group):
            raise invalid_parameter(
                f"The target group with targetGroupArn {arn} does not have an associated load "
                "balancer."
            )
        if taskdef is None:
            continue
        name = entry.get("containerName")
        container = next((c for c in taskdef.containers if c.get("name") == name), None)
        if container is None:
            raise invalid_parameter(f"The container {name} does not exist in the task definition.")
        port = entry.get("containerPort")
        ports = {mapping.get("containerPort") for mapping in container.get("portMappings") or ()}
        if port not in ports:
            raise invalid_parameter(
                f"The container {name} did not have a container port {port} defined."
            )
        mode = taskdef.body.get("networkMode") or "bridge"
        if (mode == "awsvpc") != (group.target_type == "ip"):
            # awsvpc tasks register their ENI's IP; bridge and host tasks their instance.
            raise invalid_parameter(
                f"The provided target group {arn} has target type {group.target_type}, which is "
                f"incompatible with the {mode} network mode specified in the task definition."
            )
