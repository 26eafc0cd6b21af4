"""The simulation's shared state and its clock-ordered event heap.

Dynamics are event-driven: every future state change (a task reaching RUNNING, a container
crashing, a stopped task expiring) is one entry on a heap keyed by simulated time. `run_until`
pops entries in time order; after all entries of one instant, the services they touched are
re-evaluated once (the rolling-update scheduler), which may schedule more entries. Nothing scans
all tasks periodically, so idle services cost nothing and 800-task deployments stay cheap.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from typing import Any

from ecsdeploy.sim._dynamics.hook_rules import HookRules
from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID, IdFactory
from ecsdeploy.sim._dynamics.rules import ContainerRules
from ecsdeploy.sim._dynamics.state import Region, Service
from ecsdeploy.sim._dynamics.timings import Timings

Action = Callable[["World", Any], None]
Evaluate = Callable[["World", Service], None]


class World:
    """Everything an operation or a scheduled action needs: each account's regions, ids,
    timings, rules, time. One clock and one event heap for every account and region."""

    __slots__ = (
        "_dirty",
        "_evaluate",
        "_heap",
        "_jitter",
        "_seq",
        "hook_rules",
        "ids",
        "now",
        "regions",
        "rules",
        "timings",
    )

    def __init__(
        self,
        *,
        now: float,
        ids: IdFactory,
        timings: Timings,
        rules: ContainerRules,
        evaluate: Evaluate,
        seed: int | None = None,
    ) -> None:
        self.now = now
        self.ids = ids
        self.timings = timings
        self.rules = rules
        self.hook_rules = HookRules()
        #: ECS state by (account, region): nothing is shared between two accounts or regions.
        self.regions: dict[tuple[str, str], Region] = {}
        self._evaluate = evaluate
        self._heap: list[tuple[float, int, Action, Any]] = []
        self._seq = 0
        self._dirty: dict[int, Service] = {}
        self._jitter = random.Random(None if seed is None else f"jitter:{seed}")

    def region(self, name: str, account: str = ACCOUNT_ID) -> Region:
        region = self.regions.get((account, name))
        if region is None:
            region = self.regions[(account, name)] = Region(name, account)
        return region

    def stretch(self, duration: float) -> float:
        """`duration` with the configured random jitter applied (see `Timings.jitter`)."""
        if not self.timings.jitter:
            return duration
        return duration * (1.0 + self.timings.jitter * self._jitter.random())

    def schedule(self, delay: float, action: Action, subject: Any) -> None:
        """Run `action(world, subject)` `delay` simulated seconds from now."""
        self._seq += 1
        heapq.heappush(self._heap, (self.now + delay, self._seq, action, subject))

    def touch(self, service: Service) -> None:
        """Have the scheduler re-evaluate `service` before time moves on."""
        self._dirty[id(service)] = service

    def run_until(self, until: float) -> None:
        """Process every scheduled action due at or before `until`, in time order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            instant = heap[0][0]
            self.now = max(self.now, instant)
            while heap and heap[0][0] == instant:
                _, _, action, subject = heapq.heappop(heap)
                action(self, subject)
            self.settle()
        self.now = max(self.now, until)
        self.settle()

    def settle(self) -> None:
        """Re-evaluate touched services until none is left (evaluation may touch others)."""
        while self._dirty:
            _, service = self._dirty.popitem()
            self._evaluate(self, service)

    @property
    def pending_actions(self) -> int:
        return len(self._heap)
