"""ECS's checks of a task's networking settings against its task definition's network mode.

``awsvpc`` tasks get their own network interface and need an ``awsvpcConfiguration``;
``bridge`` and ``host`` tasks share their container instance's network, so the awsvpc-only
``networkConfiguration`` is refused for them ("Amazon ECS task networking options for the EC2
launch type"), as is a platform version, which only Fargate has.
"""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._api.errors import invalid_parameter
from ecsdeploy.sim._dynamics.state import TaskDefinition

NETWORK_CONFIGURATION_REQUIRED = (
    "Network Configuration must be provided when networkMode 'awsvpc' is specified."
)
NETWORK_CONFIGURATION_NOT_VALID = (
    "Network Configuration is not valid for the given networkMode of this task definition."
)
PLATFORM_VERSION_ON_EC2 = "The platform version must be null when specifying an EC2 launch type."


def awsvpc(taskdef: TaskDefinition) -> bool:
    return taskdef.body.get("networkMode") == "awsvpc"


def check_network_configuration(
    taskdef: TaskDefinition, network_configuration: dict[str, Any] | None, *, required: bool
) -> None:
    """Refuse an awsvpcConfiguration for a bridge/host/none task definition; with `required`
    (RunTask) also its absence for an awsvpc one."""
    given = bool((network_configuration or {}).get("awsvpcConfiguration"))
    if awsvpc(taskdef):
        if required and not given:
            raise invalid_parameter(NETWORK_CONFIGURATION_REQUIRED)
    elif given:
        raise invalid_parameter(NETWORK_CONFIGURATION_NOT_VALID)


def check_platform_version(spec: dict[str, Any]) -> None:
    if spec.get("launchType") == "EC2" and spec.get("platformVersion"):
        raise invalid_parameter(PLATFORM_VERSION_ON_EC2)
