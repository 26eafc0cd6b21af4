"""The service throttle logic: back off relaunching tasks that keep failing to start.

"Amazon ECS service throttle logic"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html):
if a service's tasks repeatedly go from PENDING to STOPPED without reaching RUNNING, the time
between restart attempts grows up to 27 minutes, the service event "(service NAME) is unable to
consistently start tasks successfully." is written, retries never stop, and updating the
service to a new task definition returns it to normal at once. Tasks that stop after reaching
RUNNING (crashes, failed health checks) never throttle.

AWS gives no schedule; the simulator's choice: from the `THROTTLE_AFTER`-th start failure in a
row, each failure delays the next launch by `FIRST_DELAY` doubled per further failure, capped
at `MAX_DELAY`; a task reaching RUNNING ends the throttle, as does a new task definition.
"""

from __future__ import annotations

from ecsdeploy.sim._dynamics import events as _events
from ecsdeploy.sim._dynamics.state import Service
from ecsdeploy.sim._dynamics.world import World

THROTTLE_AFTER = 3
FIRST_DELAY = 15.0
MAX_DELAY = 27 * 60.0


def record_start_failure(world: World, service: Service) -> None:
    """A task of `service` stopped before RUNNING: count it and maybe hold launches back."""
    service.start_failures += 1
    excess = service.start_failures - THROTTLE_AFTER
    if excess < 0:
        return
    if excess == 0:
        _events.unable_to_start_tasks(world, service)
    delay = min(MAX_DELAY, FIRST_DELAY * 2 ** min(excess, 32))
    service.launch_not_before = max(service.launch_not_before, world.now + delay)
    world.schedule(delay, _throttle_over, service)


def record_start(service: Service) -> None:
    """A task reached RUNNING: the service starts tasks again."""
    reset(service)


def reset(service: Service) -> None:
    """Back to normal, non-throttled launching (a new task definition does this)."""
    service.start_failures = 0
    service.launch_not_before = 0.0


def launch_allowed(world: World, service: Service) -> bool:
    return world.now >= service.launch_not_before


def _throttle_over(world: World, service: Service) -> None:
    world.touch(service)
