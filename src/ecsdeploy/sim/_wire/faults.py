"""API fault rules: make chosen operations fail the ways real networks and AWS fail.

A rule is ``{"operation": "DescribeServices" | "elbv2:DescribeTargetHealth" | "*", "error":
<kind>, "probability": p, "count": n, "seconds": s}``: ECS operations by their bare names,
ELBv2, CloudWatch and STS ones as ``<service>:<Operation>``. Kinds:

* ``ThrottlingException`` — ECS's throttling answer (HTTP 400, "Rate exceeded"); ``Throttling``
  for the query services.
* ``ServerException`` — ECS's internal error (HTTP 500); ``InternalFailure`` for the query
  services.
* ``AccessDenied`` — the caller lacks the IAM permission: ECS answers
  ``AccessDeniedException`` (HTTP 400), the query services ``AccessDenied`` (HTTP 403), with
  IAM's "User: ARN is not authorized to perform: service:Operation" message.
* ``reset`` — the connection is dropped without any response.
* ``latency`` — the answer is delayed by ``seconds`` of *wall-clock* time (it models the
  network, which simulated time does not speed up), then the call proceeds normally. With
  ``"clock": "simulated"`` the delay is ``seconds`` of simulated time instead (wall time
  ``seconds / speed``), so a test of slow answers runs as fast as the rest of the simulation.
* ``stale`` (DescribeServices only) — ECS's eventual consistency: each service is answered as
  the simulator described it ``seconds`` of *simulated* time earlier; if it did not exist then
  or was not described that long ago, as the oldest answer kept (see `_stale_answers`).
* ``missing`` (DescribeServices only) — each existing service is answered under ``failures``
  with reason ``MISSING``, as ECS answers for a service it cannot find.

``probability`` (default 1) draws from the simulator's seeded RNG, so a seeded run is
repeatable; ``count`` (default unlimited) caps how many times the rule fires. The first rule
that matches and fires wins. Bad rules raise ValueError (wrong types included, hence the TRY004
exemption), which the control API answers with 400.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    THROTTLING = "ThrottlingException"
    SERVER_ERROR = "ServerException"
    ACCESS_DENIED = "AccessDenied"
    RESET = "reset"
    LATENCY = "latency"
    STALE = "stale"
    MISSING = "missing"


_DESCRIBE_SERVICES_ONLY = frozenset({FaultKind.STALE, FaultKind.MISSING})


_RULE_KEYS = frozenset({"operation", "error", "probability", "count", "seconds", "clock"})
_CLOCKS = frozenset({"wall", "simulated"})


@dataclass(frozen=True, slots=True)
class FaultRule:
    operation: str
    kind: FaultKind
    probability: float = 1.0
    count: int | None = None
    seconds: float = 0.0
    #: Whether a latency's `seconds` are simulated (divided by the clock's speed) or wall.
    simulated: bool = False

    def matches(self, operation: str) -> bool:
        return self.operation in ("*", operation)


def parse_fault_rule(rule: Mapping[str, Any], *, operations: frozenset[str]) -> FaultRule:
    """A validated `FaultRule`; raises ValueError saying what is wrong with `rule`."""
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
    operation = rule.get("operation")
    if not isinstance(operation, str) or (operation != "*" and operation not in operations):
        raise ValueError(
            "'operation' must be '*', an ECS operation name or '<service>:<Operation>' of "
            f"elbv2, cloudwatch or sts, not {operation!r}"
        )
    try:
        kind = FaultKind(str(rule.get("error")))
    except ValueError:
        kinds = ", ".join(kind.value for kind in FaultKind)
        raise ValueError(f"'error' must be one of {kinds}, not {rule.get('error')!r}") from None
    probability = _number(rule, "probability", 1.0)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"'probability' must be between 0 and 1, not {probability}")
    seconds = _number(rule, "seconds", 0.0)
    if seconds < 0:
        raise ValueError(f"'seconds' must be >= 0, not {seconds}")
    if kind in (FaultKind.LATENCY, FaultKind.STALE) and "seconds" not in rule:
        raise ValueError(f"a {kind.value} rule needs 'seconds'")
    if kind in _DESCRIBE_SERVICES_ONLY and operation != "DescribeServices":
        raise ValueError(f"a {kind.value} rule applies to 'DescribeServices', not {operation!r}")
    count = rule.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"'count' must be a positive integer, not {count!r}")
    clock = rule.get("clock", "wall")
    if clock not in _CLOCKS:
        raise ValueError(f"'clock' must be 'wall' or 'simulated', not {clock!r}")
    if "clock" in rule and kind is not FaultKind.LATENCY:
        raise ValueError(f"'clock' applies to latency rules, not {kind.value}")
    return FaultRule(operation, kind, probability, count, seconds, clock == "simulated")


def _number(rule: Mapping[str, Any], key: str, default: float) -> float:
    value = rule.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{key}' must be a number, not {value!r}")  # noqa: TRY004
    return float(value)


class FaultInjector:
    """Holds the active rules and decides, per call, which one (if any) fires."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: list[FaultRule] = []

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return tuple(self._rules)

    def add(self, rule: FaultRule) -> None:
        self._rules.append(rule)

    def clear(self) -> None:
        self._rules.clear()

    def fire(self, operation: str) -> FaultRule | None:
        """The rule that fires for this call, its remaining count spent; None if none does."""
        for index, rule in enumerate(self._rules):
            if not rule.matches(operation):
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                if rule.count == 1:
                    del self._rules[index]
                else:
                    self._rules[index] = replace(rule, count=rule.count - 1)
            return rule
        return None
