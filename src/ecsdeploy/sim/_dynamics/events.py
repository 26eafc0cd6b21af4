"""Service events in ECS's own wording.

ECS keeps the latest 100 events per service, newest first. Messages follow "Amazon ECS service
event messages" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html)
and what DescribeServices returns in practice, e.g.
``(service webapp) has started 2 tasks: (task 1a2b…) (task 3c4d…).``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecsdeploy.sim._dynamics.state import Service, Task
from ecsdeploy.sim._dynamics.world import World

TASKS_PER_EVENT = 10
"""ECS names at most this many tasks in one started/stopped message and splits larger batches."""


def add_event(world: World, service: Service, message: str) -> None:
    service.events.appendleft((world.ids.uuid(), world.now, message))


def tasks_started(world: World, service: Service, tasks: Sequence[Task]) -> None:
    for chunk in _chunks(tasks):
        add_event(
            world,
            service,
            f"(service {service.name}) has started {len(chunk)} tasks: {_task_list(chunk)}.",
        )


def tasks_stopped(world: World, service: Service, tasks: Sequence[Task]) -> None:
    for chunk in _chunks(tasks):
        add_event(
            world,
            service,
            f"(service {service.name}) has stopped {len(chunk)} running tasks: "
            f"{_task_list(chunk)}.",
        )


def steady_state(world: World, service: Service) -> None:
    add_event(world, service, f"(service {service.name}) has reached a steady state.")


def deployment_completed(world: World, service: Service, deployment_id: str) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) (deployment {deployment_id}) deployment completed.",
    )


def deployment_failed(world: World, service: Service, deployment_id: str) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) (deployment {deployment_id}) deployment failed: "
        "tasks failed to start.",
    )


def rolling_back(world: World, service: Service, deployment_id: str) -> None:
    add_event(
        world, service, f"(service {service.name}) rolling back to deployment {deployment_id}."
    )


def _task_list(tasks: Sequence[Task]) -> str:
    return " ".join(f"(task {task.task_id})" for task in tasks)


def _chunks(tasks: Sequence[Task]) -> list[Sequence[Task]]:
    return [tasks[i : i + TASKS_PER_EVENT] for i in range(0, len(tasks), TASKS_PER_EVENT)]


def targets_registered(world: World, service: Service, count: int, target_group: str) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) registered {count} targets in (target-group {target_group})",
    )


def targets_deregistered(world: World, service: Service, count: int, target_group: str) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) deregistered {count} targets in (target-group {target_group})",
    )


def draining(world: World, service: Service, count: int) -> None:
    add_event(
        world, service, f"(service {service.name}) has begun draining connections on {count} tasks."
    )


def failed_health_checks(world: World, service: Service, task: Task) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) (task {task.task_id}) failed container health checks.",
    )


def unable_to_start_tasks(world: World, service: Service) -> None:
    add_event(
        world,
        service,
        f"(service {service.name}) is unable to consistently start tasks successfully.",
    )


def unable_to_place(world: World, service: Service, reason: str, *, fargate: bool) -> None:
    """ECS's placement failure event, said once until the service's events move on."""
    if fargate:
        message = f"(service {service.name}) was unable to place a task. Reason: {reason}."
    else:
        message = (
            f"(service {service.name}) was unable to place a task because no container "
            f"instance met all of its requirements. Reason: {reason}"
        )
    if not service.events or service.events[0][2] != message:
        add_event(world, service, message)


def no_instance_fits(world: World, service: Service, detail: str) -> None:
    """ECS's placement failure event on EC2 when container instances lack room, naming the
    closest matching instance (`detail`); said once until the service's events move on."""
    message = (
        f"(service {service.name}) was unable to place a task because no container instance "
        f"met all of its requirements. {detail}"
    )
    if not service.events or service.events[0][2] != message:
        add_event(world, service, message)
