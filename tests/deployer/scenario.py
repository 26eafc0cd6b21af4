"""Shared pieces of the deployment tests: the usual target, a crashing image, phase hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecsdeploy import DeployEvent, ImageChange, Phase, Target
from ecsdeploy.testing import CLUSTER

#: A container rule: tasks of `myorg/nginx:crash` exit 1 five seconds after they start.
CRASH: dict[str, Any] = {
    "image": "myorg/nginx:crash",
    "behavior": "crash",
    "exit_code": 1,
    "after": 5,
}


def to(image: str, service: str = "webapp") -> Target:
    """Deploy `image` to the "nginx" container of `service`."""
    return Target(CLUSTER, service, [ImageChange("nginx", image)])


def once_in(phase: Phase, action: Callable[[], None]) -> Callable[[DeployEvent], None]:
    """A listener that runs `action` the first time the deployment enters `phase`."""
    done = False

    def listener(event: DeployEvent) -> None:
        nonlocal done
        if not done and event.kind == "phase" and event.phase is phase:
            done = True
            action()

    return listener
