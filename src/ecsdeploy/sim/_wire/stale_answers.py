"""Eventually consistent DescribeServices answers: stale services and momentary MISSING.

"Amazon ECS API reference / Eventual consistency": ECS propagates changes to all its endpoints
over time, so a read right after a write can return an older view of a resource, or none.
The `stale` fault answers with the service as the simulator last described it `seconds` of
simulated time ago; the `missing` fault answers as ECS does for a service it cannot find.

What a stale answer can be is what the simulator really said: every service it rendered in a
DescribeServices, CreateService, UpdateService or DeleteService answer is kept (only when it
differs from the previous one). A stale answer is the newest kept at or before
``now - seconds``; when none is that old (the service did not exist then, nobody described it,
or nothing was kept yet), it is the oldest one kept.

Keeping answers costs a JSON copy of every service answered, so nothing is kept while the
`window` is 0 (the default: no stale rule, nothing asked for). Adding a stale rule widens the
window to the rule's `seconds`; a simulator made with ``stale_history=`` keeps that many seconds
from the start, for tests that add a stale rule later and want the answers from before it.
Answers older than the window are forgotten, except the newest of them (the answer as of the
window's start), so memory is bounded by how often a service changes within the window.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

_SERVICE_ANSWERS = frozenset({"CreateService", "UpdateService", "DeleteService"})


class ServiceAnswerHistory:
    """What the simulator said about each service, and when (simulated epoch seconds)."""

    __slots__ = ("_answers", "window")

    def __init__(self, *, window: float = 0.0) -> None:
        self._answers: dict[str, deque[tuple[float, str]]] = {}
        #: Simulated seconds of answers kept; 0 keeps none.
        self.window = window

    def clear(self) -> None:
        self._answers.clear()

    def keep(self, seconds: float) -> None:
        """Keep at least `seconds` of answers from now on (a stale rule needs them)."""
        self.window = max(self.window, seconds)

    def record(self, operation: str, response: dict[str, Any], *, now: float) -> None:
        """Keep the services a successful answer to `operation` rendered (if keeping any)."""
        if self.window <= 0:
            return
        if operation == "DescribeServices":
            services: list[dict[str, Any]] = list(response.get("services") or ())
        elif operation in _SERVICE_ANSWERS and response.get("service"):
            services = [response["service"]]
        else:
            return
        for service in services:
            answers = self._answers.setdefault(str(service["serviceArn"]), deque())
            frozen = json.dumps(service, sort_keys=True)
            if not answers or answers[-1][1] != frozen:
                answers.append((now, frozen))
            horizon = now - self.window
            while len(answers) > 1 and answers[1][0] <= horizon:
                answers.popleft()

    def kept(self) -> int:
        """How many answers are kept, over all services."""
        return sum(len(answers) for answers in self._answers.values())

    def as_of(self, service_arn: str, instant: float) -> dict[str, Any] | None:
        """The newest answer given at or before `instant`, else the oldest; None if none."""
        answers = self._answers.get(service_arn)
        if not answers:
            return None
        chosen = answers[0][1]
        for recorded_at, frozen in answers:
            if recorded_at > instant:
                break
            chosen = frozen
        service: dict[str, Any] = json.loads(chosen)
        return service

    def stale(self, response: dict[str, Any], *, seconds: float, now: float) -> dict[str, Any]:
        """`response` (a DescribeServices answer) with each service as it was `seconds` ago."""
        services = [
            self.as_of(str(service["serviceArn"]), now - seconds) or service
            for service in response.get("services") or ()
        ]
        return {**response, "services": services}


def missing(response: dict[str, Any]) -> dict[str, Any]:
    """`response` (a DescribeServices answer) with every service reported MISSING instead."""
    failures = [
        {"arn": str(service["serviceArn"]), "reason": "MISSING"}
        for service in response.get("services") or ()
    ]
    return {"services": [], "failures": [*failures, *(response.get("failures") or ())]}
