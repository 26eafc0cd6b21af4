"""One poll loop per (role, region, cluster) for every deployment being watched there.

Per role, not per account: each loop reads with its role's credentials, and another role of the
same account may not be allowed to read (or even know of) its services.

This is where the speed comes from: a tick costs ceil(services / 10) DescribeServices calls for the
whole cluster, and stopped tasks are listed only for deployments where ECS itself says one of
ours failed or stopped (`_tasks_may_have_stopped`), then described together in chunks of 100.
A healthy rollout costs no ListTasks at all. One-off reads (PREFLIGHT,
rollback) are batched the same way. Service-deployment records
(`ecsdeploy._service_deployments`) are read on a second loop beside the ticks, so their calls
never delay one.

If the loop is gone (its task group was cancelled while a shielded rollback still needs to
watch), watches and reads fall back to calling AWS directly, so a rollback never waits on a
loop that will not come back.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog

from ecsdeploy._gateway import DESCRIBE_SERVICES_BATCH, EcsGateway, service_missing
from ecsdeploy._history import History
from ecsdeploy._models import Observation, ServiceEvent, StoppedTask, Target, classify_stop
from ecsdeploy._service_deployments import (
    RecordTracker,
    is_native,
    record_wanted,
    refresh_records,
)
from ecsdeploy.exceptions import EcsDeployError

__all__ = ["ClusterObserver", "ObserverStats", "Watch"]

logger = structlog.get_logger("ecsdeploy")

Counts = tuple[int, int, int]

#: ECS's service events name the tasks they started and stopped: "(task 0123abcd…)".
_TASK_ID = re.compile(r"\(task ([0-9a-zA-Z-]+)\)")
#: Wall seconds a tick waits at least for the record it just found worth reading (a poll
#: interval when that is longer): a slow or failing service-deployment API delays the tick
#: that long at most, and the watch then goes on with what DescribeServices said.
RECORD_WAIT = 1.0


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
    #: Rounds of service-deployment reads (one DescribeServiceDeployments per 20 watches, and
    #: a ListServiceDeployments for each watch whose record is not found yet).
    record_ticks: int = 0


@dataclass(eq=False)
class Watch:
    """One deployment under watch. `await watch.next()` returns the next tick's Observation.

    Observations are latest-wins: a consumer slower than the poll loop sees the freshest one.
    """

    observer: ClusterObserver
    target: Target
    deployment_id: str
    poll_interval: float
    #: The deployment's events and stopped tasks: owned by the machine, filled here.
    history: History = field(default_factory=History)
    started_at: float = field(default_factory=time.time)
    #: Tasks listed as stopping whose final state we have not seen yet.
    stopping: set[str] = field(default_factory=set)
    #: Our deployment's (failed, running, pending) counts when stopped tasks were last fetched.
    fetched_counts: Counts | None = None
    #: Our deployment's service-deployment record, described every tick (None: not followed).
    records: RecordTracker | None = None
    #: Our deployment's counts at the previous tick (a running count going down means one of
    #: our tasks stopped).
    previous_counts: Counts | None = None
    #: Tasks ECS's events said it started since the watch began: ours, or a rollback's.
    started_task_ids: set[str] = field(default_factory=set)
    #: How many of `started_task_ids` there were at the last listing.
    started_when_listed: int = 0
    #: A sign that a task of ours stopped was seen and no listing has succeeded since.
    stop_unlisted: bool = False
    _latest: Observation | None = None
    _fresh: bool = False
    _ready: anyio.Event = field(default_factory=anyio.Event)

    async def next(self) -> Observation:
        while not self._fresh:
            if self.observer.stopped:
                await anyio.sleep(self.poll_interval)
                await self.observer.poll_directly(self)
                continue
            await self._ready.wait()
            self._ready = anyio.Event()
        self._fresh = False
        assert self._latest is not None
        return self._latest

    def publish(self, observation: Observation) -> None:
        self._latest = observation
        self._fresh = True
        self._ready.set()

    def wake(self) -> None:
        """Make `next()` look again (the loop stopped)."""
        self._ready.set()


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
        self._records_wanted = anyio.Event()
        self._requests: dict[str, _Request] = {}
        self._in_flight: dict[str, _Request] = {}
        self._requested = anyio.Event()
        #: Set once `run()` has ended; until then early callers wait for its first batch.
        self.stopped = False
        self.stats = ObserverStats()

    def watch(
        self,
        target: Target,
        deployment_id: str,
        *,
        poll_interval: float,
        history: History | None = None,
        records: RecordTracker | None = None,
    ) -> Watch:
        watch = Watch(self, target, deployment_id, poll_interval, history or History())
        watch.records = records
        self._watches.append(watch)
        self._changed.set()
        if records is not None:
            self._records_wanted.set()
        return watch

    def unwatch(self, watch: Watch) -> None:
        if watch in self._watches:
            self._watches.remove(watch)

    async def describe_service(self, service: str) -> dict[str, Any]:
        """The service's description, read in a batch with concurrent callers' services."""
        if not self.stopped:
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
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._poll)
                group.start_soon(self._poll_records)
                group.start_soon(self._batch_reads)
        finally:
            self.stopped = True
            stopped = _ObserverStoppedError()
            for request in (*self._requests.values(), *self._in_flight.values()):
                if not request.done.is_set():
                    request.error = stopped
                    request.done.set()
            for watch in self._watches:
                watch.wake()

    async def poll_directly(self, watch: Watch) -> None:
        """One tick for one watch without the loop (it stopped); errors are logged, not raised."""
        try:
            await self._refresh_records([watch])
            await self._tick([watch])
        except EcsDeployError as exc:
            logger.warning("ecsdeploy.observe.tick_failed", cluster=self.cluster, error=str(exc))

    async def _batch_reads(self) -> None:
        while True:
            await self._requested.wait()
            self._requested = anyio.Event()
            await anyio.sleep(self.COALESCE_WINDOW)
            self._in_flight, self._requests = self._requests, {}
            await self._answer(self._in_flight)
            self._in_flight = {}

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
            except Exception:
                # A bug here must not take every deployment of the Deployer down with it.
                logger.exception("ecsdeploy.observe.tick_crashed", cluster=self.cluster)
            await anyio.sleep(interval)

    async def _poll_records(self) -> None:
        """Service-deployment records on a loop of their own, beside the ticks: their calls
        never make a tick (and so the news it brings) later."""
        while True:
            tracked = [w for w in self._watches if w.records is not None and w.records.usable]
            if not tracked:
                await self._records_wanted.wait()
                self._records_wanted = anyio.Event()
                continue
            due = [w for w in tracked if w.records and (w.records.wanted or not w.records.arn)]
            try:
                await self._refresh_records(due)
            except Exception:
                logger.exception("ecsdeploy.observe.records_crashed", cluster=self.cluster)
            await anyio.sleep(min(w.poll_interval for w in tracked))

    async def _refresh_records(self, watches: Sequence[Watch]) -> None:
        trackers = {
            w.records: w.target.service
            for w in watches
            if w.records is not None and (w.records.wanted or not w.records.arn)
        }
        if trackers:
            self.stats.record_ticks += 1
            await refresh_records(self._gateway, self.cluster, trackers)

    async def tick(self) -> None:
        """Observe every watch once."""
        await self._tick(list(self._watches))

    async def _tick(self, watches: Sequence[Watch]) -> None:
        if not watches:
            return
        self.stats.ticks += 1
        names = list(dict.fromkeys(w.target.service for w in watches))
        self.stats.tick_describe_calls += math.ceil(len(names) / DESCRIBE_SERVICES_BATCH)
        self.stats.watched_services += len(names)
        services, failures = await self._gateway.describe_services(self.cluster, names)
        by_name = {s.get("serviceName"): s for s in services}
        counts = {w: _counts(by_name.get(w.target.service), w.deployment_id) for w in watches}
        stale = [
            w
            for w in watches
            if _tasks_may_have_stopped(w, by_name.get(w.target.service), counts[w])
        ]
        for watch in watches:
            watch.previous_counts = counts[watch]
        await self._refresh_stopped_tasks(stale, counts)
        newly_wanted = []
        for watch in watches:
            service = by_name.get(watch.target.service)
            if watch.records is not None:
                ours = _find_deployment(service or {}, watch.deployment_id)
                wanted = record_wanted(service or {}, ours)
                flipped = wanted and not watch.records.wanted and not is_native(service or {})
                if flipped and watch.records.usable:
                    newly_wanted.append(watch)
                watch.records.wanted = wanted

        def publish(chosen: Sequence[Watch]) -> None:
            now = time.time()
            for watch in chosen:
                service = by_name.get(watch.target.service)
                failure = None if service else _failure_reason(failures, watch.target.service)
                watch.publish(self._observe(watch, service or {}, now, failure))

        # The other watches' news does not wait on a record read (which may be slow).
        publish([w for w in watches if w not in newly_wanted])
        if newly_wanted:
            # This answer is the first to show what a rolling deployment's record explains (ours
            # FAILED, not PRIMARY): read the record now, after it, so the observation that shows
            # it says who stopped or rolled back ours, rather than the record's loop a poll later.
            wait = max(RECORD_WAIT, min(w.poll_interval for w in newly_wanted))
            with anyio.move_on_after(wait):
                await self._refresh_records(newly_wanted)
            publish(newly_wanted)

    async def _refresh_stopped_tasks(
        self, watches: Sequence[Watch], counts: Mapping[Watch, Counts]
    ) -> None:
        """Fetch new stopped tasks of these watches. A watch whose fetch failed keeps its old
        `fetched_counts`, so the next tick tries again; one failure does not spoil the others."""
        listed: dict[str, Watch] = {}
        listed_ok: list[Watch] = []

        async def list_for(watch: Watch) -> None:
            try:
                arns = await self._gateway.list_tasks(
                    self.cluster, started_by=watch.deployment_id, desired_status="STOPPED"
                )
            except EcsDeployError as exc:
                logger.warning(
                    "ecsdeploy.observe.stopped_tasks_failed",
                    cluster=self.cluster,
                    service=watch.target.service,
                    error=str(exc),
                )
                return
            listed_ok.append(watch)
            for arn in arns:
                if arn not in watch.history.stopped or arn in watch.stopping:
                    listed[arn] = watch

        async with anyio.create_task_group() as group:
            for watch in watches:
                group.start_soon(list_for, watch)
        if listed:
            try:
                tasks = await self._gateway.describe_tasks(self.cluster, list(listed))
            except EcsDeployError as exc:
                logger.warning(
                    "ecsdeploy.observe.stopped_tasks_failed", cluster=self.cluster, error=str(exc)
                )
                return
            for task in tasks:
                self._record(listed[task["taskArn"]], task)
        for watch in listed_ok:
            watch.fetched_counts = counts[watch]
            watch.started_when_listed = len(watch.started_task_ids)
            watch.stop_unlisted = False

    def _record(self, watch: Watch, task: Mapping[str, Any]) -> None:
        arn = str(task["taskArn"])
        final = task.get("lastStatus") == "STOPPED"
        if final:
            watch.stopping.discard(arn)
        else:
            watch.stopping.add(arn)
            if not task.get("stopCode"):
                return
        # ECS gives the stop code and reason as soon as a task begins stopping: keep them now,
        # so a verdict taken before the task has stopped (ECS's failedTasks counts it already)
        # still says why; the task as finally STOPPED replaces this.
        stopped = StoppedTask.from_api(task)
        if not watch.history.put_stopped(stopped):
            return
        logger.info(
            "ecsdeploy.task_stopped",
            cluster=self.cluster,
            service=watch.target.service,
            deployment_id=watch.deployment_id,
            task=stopped.task_id,
            stop_code=stopped.stop_code,
            kind=classify_stop(stopped),
            reason=stopped.describe(),
        )

    def _observe(
        self, watch: Watch, service: Mapping[str, Any], now: float, failure: str | None
    ) -> Observation:
        watch.history.add_events(
            ServiceEvent.from_api(e) for e in reversed(service.get("events", []))
        )
        deployments = list(service.get("deployments", []))
        ours = _find_deployment(service, watch.deployment_id)
        return Observation(
            target=watch.target,
            deployment_id=watch.deployment_id,
            service=service,
            deployment=ours,
            other_deployments=tuple(d for d in deployments if d.get("id") != watch.deployment_id),
            events=tuple(watch.history.events),
            stopped_tasks=watch.history.stopped_tasks(),
            observed_at=now,
            watch_started_at=watch.started_at,
            failure=failure,
            service_deployment=watch.records.record if watch.records is not None else None,
        )


def _tasks_may_have_stopped(
    watch: Watch, service: Mapping[str, Any] | None, counts: Counts
) -> bool:
    """Whether ECS's own figures say a task of ours failed or stopped since we last listed.

    ListTasks for stopped tasks is the costly part of a tick, so it is asked only when one of
    these says so: our deployment's failedTasks moved; its running count went down; an event
    says a task started since the watch began has stopped (a crash after the breaker stopped
    counting); more tasks started than the deployment wants (replacements of stopped ones, an
    interruption); or a task we saw stopping has not been seen stopped yet.
    """
    failed = counts[0]
    fetched_failed = watch.fetched_counts[0] if watch.fetched_counts is not None else 0
    if failed > 0 and failed != fetched_failed:
        watch.stop_unlisted = True
    previous = watch.previous_counts
    if previous is not None and 0 <= counts[1] < previous[1]:
        watch.stop_unlisted = True
    for event in reversed((service or {}).get("events", [])):
        if str(event.get("id", "")) in watch.history.known_event_ids:
            continue
        message = str(event.get("message", ""))
        named = _TASK_ID.findall(message)
        if " has started " in message:
            watch.started_task_ids.update(named)
        elif " has stopped " in message and watch.started_task_ids.intersection(named):
            watch.stop_unlisted = True
    ours = _find_deployment(service or {}, watch.deployment_id) or {}
    started = len(watch.started_task_ids)
    if started > int(ours.get("desiredCount", 0) or 0) and started > watch.started_when_listed:
        # More tasks started than the deployment wants: some were replacements.
        watch.stop_unlisted = True
    return watch.stop_unlisted or bool(watch.stopping)


def _failure_reason(failures: Sequence[Mapping[str, Any]], service: str) -> str:
    """Why DescribeServices left the service out (MISSING when it gave no reason)."""
    for failure in failures:
        if str(failure.get("arn", "")).rsplit("/", 1)[-1] == service:
            return str(failure.get("reason") or "MISSING")
    return "MISSING"


def _counts(service: Mapping[str, Any] | None, deployment_id: str) -> Counts:
    ours = _find_deployment(service or {}, deployment_id)
    if ours is None:
        return (-1, -1, -1)
    return (
        int(ours.get("failedTasks", 0) or 0),
        int(ours.get("runningCount", 0) or 0),
        int(ours.get("pendingCount", 0) or 0),
    )


def _find_deployment(service: Mapping[str, Any], deployment_id: str) -> Mapping[str, Any] | None:
    for deployment in service.get("deployments", []):
        if deployment.get("id") == deployment_id:
            return dict(deployment)
    return None
