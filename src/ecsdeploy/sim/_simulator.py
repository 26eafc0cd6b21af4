"""`Simulator`: the server, the backend and the clock of the bundled ECS simulator, opened and
closed together."""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from ecsdeploy.sim._api.backend import EcsBackend
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._wire.protocol import DEFAULT_REGION
from ecsdeploy.sim._wire.server import EcsServer, RunningServer

__all__ = ["STALE_HISTORY_VARIABLE", "START_BEHIND_VARIABLE", "Simulator"]

START_BEHIND_VARIABLE = "ECSDEPLOY_SIM_START_BEHIND"
"""Environment variable: seconds the simulated clock starts behind the wall clock."""

STALE_HISTORY_VARIABLE = "ECSDEPLOY_SIM_STALE_HISTORY"
"""Environment variable: simulated seconds of DescribeServices answers kept for stale reads."""


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Simulator:
    """An ECS simulator served in-process on a free port for the life of an ``async with``.

    `speed` makes simulated time run that many times faster than the wall clock; `seed` makes
    task ids, fault probabilities and timing jitter repeatable; `throttle` switches on ECS's
    request throttling (token buckets refilled on wall time); `timings` sets the task lifecycle.
    A simulator opens once: entering it twice raises RuntimeError.

    `start_behind` starts simulated time that many seconds before the wall clock (default:
    ``ECSDEPLOY_SIM_START_BEHIND`` from the environment, else 0, so that ``ecsdeploy sim``
    honours it too). At a speed above 1 simulated time runs ahead of the wall clock, and a
    client that compares ECS timestamps with its own clock sees events from the future
    (ecs-deplojo replays them as new). Starting behind by the simulated length of the run keeps
    every timestamp in the past; the trade-off is that timestamps look older than they are, so
    a client that keeps only events created after it started sees none of them. Pick the one
    your client tolerates: behind for clients that compare ages, 0 for clients that filter by
    their own start time.

    `stale_history` keeps that many simulated seconds of service answers from the start, so a
    stale-read rule added later can answer with what was said before it (default:
    ``ECSDEPLOY_SIM_STALE_HISTORY``, else 0: answers are kept only once a stale rule exists).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        seed: int | None = None,
        throttle: bool = False,
        timings: Timings | None = None,
        start_behind: float | None = None,
        stale_history: float | None = None,
    ) -> None:
        if start_behind is None:
            start_behind = float(os.environ.get(START_BEHIND_VARIABLE) or 0)
        if start_behind < 0:
            raise ValueError(f"start_behind must be >= 0, not {start_behind}")
        self.clock = SimClock(speed=speed, start=time.time() - start_behind)
        self.backend = EcsBackend(self.clock, seed=seed, timings=timings)
        if stale_history is None:
            stale_history = float(os.environ.get(STALE_HISTORY_VARIABLE) or 0)
        if stale_history < 0:
            raise ValueError(f"stale_history must be >= 0, not {stale_history}")
        self._server = EcsServer(
            self.backend,
            clock=self.clock,
            seed=seed,
            throttle=throttle,
            stale_history=stale_history,
        )
        self._running = RunningServer(self._server, host=host, port=port)
        self._state = _State.UNOPENED

    async def __aenter__(self) -> Self:
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"a Simulator opens once; this one is {self._state.value}")
        await self._running.start()
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = _State.CLOSED
        await self._running.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running server (IPv6 hosts in brackets)."""
        if self._state is not _State.OPEN:
            raise RuntimeError("the simulator is not running; use it inside 'async with'")
        host = self._running.host
        return (
            f"http://[{host}]:{self._running.port}"
            if ":" in host
            else (f"http://{host}:{self._running.port}")
        )

    def client_kwargs(self, *, region_name: str = DEFAULT_REGION) -> dict[str, str]:
        """Keyword arguments for ``boto3``/``aioboto3`` ``client("ecs", ...)``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": region_name,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }

    async def advance(self, seconds: float) -> None:
        """Jump simulated time forward and run the dynamics up to the new now."""
        self._server.advance(seconds)

    def add_rule(self, rule: Mapping[str, Any]) -> None:
        """A container rule (``image``), a CloudWatch alarm state (``alarm``) or an API fault
        rule (``operation``); ValueError if bad."""
        self._server.add_rule(rule)

    def set_alarm(self, name: str, state: str, reason: str = "") -> None:
        """Set CloudWatch alarm `name` to ``OK``, ``ALARM`` or ``INSUFFICIENT_DATA``: a
        deployment whose ``deploymentConfiguration.alarms`` names it fails while it is in ALARM
        (and ECS rolls it back with ``rollback``). ValueError for an unknown state."""
        self.add_rule({"alarm": name, "state": state, "reason": reason})

    def clear_rules(self) -> None:
        """Forget container and fault rules; every alarm goes back to INSUFFICIENT_DATA."""
        self._server.clear_rules()

    def reset(self) -> None:
        """Forget all ECS state, rules and counters (the clock keeps running)."""
        self._server.reset()

    def stats(self) -> dict[str, Any]:
        """``{"calls": {...}, "throttled": {...}, "now": simulated epoch seconds}``."""
        return self._server.stats()

    def timeline(self) -> dict[str, Any]:
        """Every service deployment's instants (asked for, threshold of failed tasks reached,
        ECS rollback started, finished), as ``/_sim/timeline`` gives them."""
        return self._server.timeline()

    def set_throttle(self, enabled: bool) -> None:
        """Switch ECS's request throttling on (buckets full) or off."""
        self._server.set_throttle(enabled)
