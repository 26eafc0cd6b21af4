"""Per-operation call counters, so tests and benchmarks can see how hard a client hits AWS."""

from __future__ import annotations

from collections import Counter
from typing import Any


class CallStats:
    """Counts API calls received and calls answered with ThrottlingException, per operation.

    Keys are operations: bare names for ECS, ``<service>:<Operation>`` for ELBv2, CloudWatch
    and STS (``elbv2:DescribeTargetHealth``; see `ecsdeploy.sim._wire.services`).
    Every request naming a known operation counts as a call, whatever its answer; a call is
    also counted as throttled when it was answered with ``ThrottlingException``, whether the
    token buckets or a fault rule said so.
    """

    __slots__ = ("_calls", "_throttled")

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()

    def record_call(self, operation: str) -> None:
        self._calls[operation] += 1

    def record_throttled(self, operation: str) -> None:
        self._throttled[operation] += 1

    def reset(self) -> None:
        self._calls.clear()
        self._throttled.clear()

    def snapshot(self, *, now: float) -> dict[str, Any]:
        """The ``/_sim/stats`` document: ``calls``, ``throttled`` and simulated ``now``."""
        return {
            "calls": dict(sorted(self._calls.items())),
            "throttled": dict(sorted(self._throttled.items())),
            "now": now,
        }
