"""Helpers of the tests that deploy on the simulator, shared by the deployer and checks tests."""

from __future__ import annotations

from collections.abc import Callable

from ecsdeploy import DeployEvent, ImageChange, Phase, Target
from ecsdeploy.testing import CLUSTER


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
