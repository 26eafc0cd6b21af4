"""The one record of what a deployment saw: ECS service events and stopped tasks.

The observer fills it while watching, the rollback fills it while reading the service, and the
machine reads it for listeners and the result. Nothing else keeps a copy.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecsdeploy._models import ServiceEvent, StoppedTask

__all__ = ["History"]


class History:
    """Service events (oldest first) and stopped tasks of one deployment, each kept once."""

    def __init__(self, known_event_ids: Iterable[str] = ()) -> None:
        #: Events that predate the deployment are known but not kept.
        self.known_event_ids: set[str] = set(known_event_ids)
        self.events: list[ServiceEvent] = []
        self.stopped: dict[str, StoppedTask] = {}

    def add_events(self, events: Iterable[ServiceEvent]) -> list[ServiceEvent]:
        """Keep the events not seen before (give them oldest first); return them."""
        new = []
        for event in events:
            if event.id not in self.known_event_ids:
                self.known_event_ids.add(event.id)
                self.events.append(event)
                new.append(event)
        return new

    def add_stopped(self, task: StoppedTask) -> bool:
        """Keep a stopped task; False if it was already kept."""
        if task.task_arn in self.stopped:
            return False
        self.stopped[task.task_arn] = task
        return True

    def put_stopped(self, task: StoppedTask) -> bool:
        """Keep a stopped or stopping task, replacing what was kept of it; True if it is new."""
        new = task.task_arn not in self.stopped
        self.stopped[task.task_arn] = task
        return new

    def stopped_tasks(self) -> tuple[StoppedTask, ...]:
        return tuple(sorted(self.stopped.values(), key=lambda t: t.stopped_at or 0))
