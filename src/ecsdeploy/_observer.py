"""One poll loop per (region, cluster) for every deployment being watched there.

This is where the speed comes from: a tick costs ceil(services / 10) DescribeServices calls for the
whole cluster, and stopped tasks are listed only for deployments whose task counts changed since
the last tick, then described together in chunks of 100.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import structlog

from ecsdeploy._gateway import (
    DESCRIBE_SERVICES_BATCH,
    EcsGateway,
    concurrently,
    service_missing,
)
from ecsdeploy._models import Observation, ServiceEvent, StoppedTask, Target
from ecsdeploy.exceptions import EcsDeployError

__all__ = ["ClusterObserver", "ObserverStats", "Watch"]

logger = structlog.get_logger("ecsdeploy")


@dataclass(eq=False)
class Watch:
    """One deployment under watch. `await watch.next()` returns the next tick's Observation.

    Observations are latest-wins: a consumer slower than the poll loop sees the freshest one.
    """

    target: Target
    deployment_id: str
    poll_interval: float
    known_event_ids: set[str] = field(default_factory=set)
    started_at: float = field(default_factory=time.time)
    events: list[ServiceEvent] = field(default_factory=list)
    stopped: dict[str, StoppedTask] = field(default_factory=dict)
    #: Tasks listed as stopping whose final state we have not seen yet.
    stopping: set[str] = field(default_factory=set)
    last_counts: tuple[int, int, int] | None = None
    _latest: Observation | None = None
    _ready: anyio.Event = field(default_factory=anyio.Event)

    async def next(self) -> Observation:
        await self._ready.wait()
        self._ready = anyio.Event()
        assert self._latest is not None
        return self._latest

    def publish(self, observation: Observation) -> None:
        self._latest = observation
        self._ready.set()


@dataclass
class ObserverStats:
    """What a cluster's observer cost, for benchmarks and tests."""

    ticks: int = 0
    #: DescribeServices calls made by poll ticks: ceil(watched / 10) each.
    tick_describe_calls: int = 0
    #: Services described by poll ticks, summed over ticks.
    watched_services: int = 0
    #: DescribeServices calls made for one-off reads (PREFLIGHT, rollback), batched.
    batched_reads: int = 0


@dataclass(eq=False)
class _Request:
    """A pending `describe_service` call waiting for its batch."""

    done: anyio.Event = field(default_factory=anyio.Event)
    service: dict[str, Any] | None = None
    error: Exception | None = None


class _ObserverStoppedError(Exception):
    """The batching loop is gone (its task group was cancelled): call AWS directly."""


class ClusterObserver:
    """Polls one cluster for all its watches, and batches one-off service reads.

    Run `run()` in a task group. `describe_service()` coalesces concurrent callers (200 machines
    starting their PREFLIGHT at once) into DescribeServices calls of 10 services each.
    """

    #: How long a one-off read waits for others to join its batch.
    COALESCE_WINDOW = 0.005

    def __init__(self, gateway: EcsGateway, cluster: str) -> None:
        self._gateway = gateway
        self.cluster = cluster
        self._watches: list[Watch] = []
        self._changed = anyio.Event()
        self._requests: dict[str, _Request] = {}
        self._requested = anyio.Event()
        # True from the start: `run()` is scheduled as soon as the observer is made, and early
        # callers simply wait for its first batch.
        self._batching = True
        self.stats = ObserverStats()

    def watch(
        self,
        target: Target,
        deployment_id: str,
        *,
        poll_interval: float,
        known_event_ids: Collection[str] = (),
    ) -> Watch:
        watch = Watch(target, deployment_id, poll_interval, set(known_event_ids))
        self._watches.append(watch)
        self._changed.set()
        return watch

    def unwatch(self, watch: Watch) -> None:
        if watch in self._watches:
            self._watches.remove(watch)

    async def describe_service(self, service: str) -> dict[str, Any]:
        """The service's description, read in a batch with concurrent callers' services."""
        if self._batching:
            request = self._requests.get(service)
            if request is None:
                request = self._requests[service] = _Request()
                self._requested.set()
            await request.done.wait()
            if request.service is not None:
                return request.service
            if not isinstance(request.error, _ObserverStoppedError):
                assert request.error is not None
                raise request.error
        return await self._gateway.describe_service(self.cluster, service)

    async def run(self) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(self._poll)
            group.start_soon(self._batch_reads)

    async def _batch_reads(self) -> None:
        try:
            while True:
                await self._requested.wait()
                self._requested = anyio.Event()
                await anyio.sleep(self.COALESCE_WINDOW)
                requests, self._requests = self._requests, {}
                await self._answer(requests)
        finally:
            self._batching = False
            stopped = _ObserverStoppedError()
            for request in self._requests.values():
                request.error = stopped
                request.done.set()

    async def _answer(self, requests: Mapping[str, _Request]) -> None:
        try:
            self.stats.batched_reads += math.ceil(len(requests) / DESCRIBE_SERVICES_BATCH)
            services, failures = await self._gateway.describe_services(self.cluster, list(requests))
        except EcsDeployError as exc:
            for request in requests.values():
                request.error = exc
                request.done.set()
            return
        by_name = {str(s.get("serviceName")): s for s in services}
        for name, request in requests.items():
            if name in by_name:
                request.service = by_name[name]
            else:
                request.error = service_missing(self.cluster, name, failures)
            request.done.set()

    async def _poll(self) -> None:
        while True:
            if not self._watches:
                await self._changed.wait()
                self._changed = anyio.Event()
                continue
            interval = min(w.poll_interval for w in self._watches)
            try:
                await self.tick()
            except EcsDeployError as exc:
                # Machines keep waiting; their own deadlines decide when waiting is failure.
                logger.warning(
                    "ecsdeploy.observe.tick_failed", cluster=self.cluster, error=str(exc)
                )
            await anyio.sleep(interval)

    async def tick(self) -> None:
        watches = list(self._watches)
        if not watches:
            return
        self.stats.ticks += 1
        names = list(dict.fromkeys(w.target.service for w in watches))
        self.stats.tick_describe_calls += math.ceil(len(names) / DESCRIBE_SERVICES_BATCH)
        self.stats.watched_services += len(names)
        services, _failures = await self._gateway.describe_services(self.cluster, names)
        by_name = {s.get("serviceName"): s for s in services}
        refresh = [
            w for w in watches if self._needs_stopped_tasks(w, by_name.get(w.target.service))
        ]
        await self._refresh_stopped_tasks(refresh)
        now = time.time()
        for watch in watches:
            service = by_name.get(watch.target.service)
            watch.publish(self._observe(watch, service or {}, now))

    @staticmethod
    def _needs_stopped_tasks(watch: Watch, service: Mapping[str, Any] | None) -> bool:
        ours = _find_deployment(service or {}, watch.deployment_id)
        counts = (
            (
                int(ours.get("failedTasks", 0) or 0),
                int(ours.get("runningCount", 0) or 0),
                int(ours.get("pendingCount", 0) or 0),
            )
            if ours
            else (-1, -1, -1)
        )
        changed = counts != watch.last_counts or bool(watch.stopping)
        watch.last_counts = counts
        return changed

    async def _refresh_stopped_tasks(self, watches: list[Watch]) -> None:
        if not watches:
            return
        listed: dict[str, Watch] = {}
        arn_lists = await concurrently(
            [
                partial(
                    self._gateway.list_tasks,
                    self.cluster,
                    started_by=watch.deployment_id,
                    desired_status="STOPPED",
                )
                for watch in watches
            ]
        )
        for watch, arns in zip(watches, arn_lists, strict=True):
            for arn in arns:
                if arn not in watch.stopped:
                    listed[arn] = watch
        if not listed:
            return
        tasks = await self._gateway.describe_tasks(self.cluster, list(listed))
        for task in tasks:
            arn = task["taskArn"]
            watch = listed[arn]
            if task.get("lastStatus") == "STOPPED":
                stopped = StoppedTask.from_api(task)
                watch.stopped[arn] = stopped
                watch.stopping.discard(arn)
                logger.info(
                    "ecsdeploy.task_stopped",
                    cluster=self.cluster,
                    service=watch.target.service,
                    deployment_id=watch.deployment_id,
                    task=stopped.task_id,
                    stop_code=stopped.stop_code,
                    reason=stopped.describe(),
                )
            else:
                watch.stopping.add(arn)

    def _observe(self, watch: Watch, service: Mapping[str, Any], now: float) -> Observation:
        new_events = [
            ServiceEvent.from_api(e)
            for e in reversed(service.get("events", []))
            if str(e.get("id", "")) not in watch.known_event_ids
        ]
        for event in new_events:
            watch.known_event_ids.add(event.id)
        watch.events.extend(new_events)
        deployments = list(service.get("deployments", []))
        ours = _find_deployment(service, watch.deployment_id)
        return Observation(
            target=watch.target,
            deployment_id=watch.deployment_id,
            service=service,
            deployment=ours,
            other_deployments=tuple(d for d in deployments if d.get("id") != watch.deployment_id),
            events=tuple(watch.events),
            stopped_tasks=tuple(sorted(watch.stopped.values(), key=lambda t: t.stopped_at or 0)),
            observed_at=now,
            watch_started_at=watch.started_at,
        )


def _find_deployment(service: Mapping[str, Any], deployment_id: str) -> Mapping[str, Any] | None:
    for deployment in service.get("deployments", []):
        if deployment.get("id") == deployment_id:
            return dict(deployment)
    return None
