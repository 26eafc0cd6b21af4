"""Container rules: make tasks whose image matches a glob crash, fail to pull, turn unhealthy or
start slowly, so that users can rehearse failed deployments against the simulator.

A rule is a JSON object sent through the control API, for example
``{"image": "myorg/web:bad*", "behavior": "crash", "exit_code": 1, "after": 5}``.
Images are matched with `fnmatch.fnmatchcase` (``*``, ``?``, ``[...]``; case-sensitive, as image
references are). The most recently added rule that matches wins, so a test can narrow or override
an earlier broad rule by adding a more specific one; `ContainerRules.clear` forgets them all.
A task is affected when any of its essential containers matches; the first such container (in
task-definition order) is the one that fails.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class ContainerRuleError(ValueError):
    """A container rule the control API cannot accept; the message says why."""


class Behavior(Enum):
    CRASH = "crash"
    """The essential container exits `after` seconds of RUNNING with `exit_code`."""
    PULL_ERROR = "pull_error"
    """The image cannot be pulled: the task stops before RUNNING with TaskFailedToStart."""
    UNHEALTHY = "unhealthy"
    """The container's health check fails once running; the scheduler replaces the task."""
    SLOW_START = "slow_start"
    """The container takes `seconds` longer to reach RUNNING."""


_ALLOWED_KEYS: dict[Behavior, frozenset[str]] = {
    Behavior.CRASH: frozenset({"image", "behavior", "exit_code", "after", "reason"}),
    Behavior.PULL_ERROR: frozenset({"image", "behavior", "reason"}),
    Behavior.UNHEALTHY: frozenset({"image", "behavior"}),
    Behavior.SLOW_START: frozenset({"image", "behavior", "seconds"}),
}


@dataclass(frozen=True, slots=True)
class ContainerRule:
    image: str
    behavior: Behavior
    exit_code: int = 1
    after: float = 0.0
    seconds: float = 0.0
    reason: str | None = None
    """For `crash`: the container's `reason`; for `pull_error`: replaces the default error text."""

    def matches(self, image: str) -> bool:
        return fnmatch.fnmatchcase(image, self.image)

    @classmethod
    def parse(cls, rule: Mapping[str, Any]) -> ContainerRule:
        """Validate a rule as received from the control API; ValueError says what is wrong."""
        if not isinstance(rule, Mapping):
            raise ContainerRuleError(
                f"a container rule must be a JSON object, not {type(rule).__name__}"
            )
        image = rule.get("image")
        if not isinstance(image, str) or not image:
            raise ContainerRuleError("a container rule needs 'image', a non-empty glob string")
        raw_behavior = rule.get("behavior")
        try:
            behavior = Behavior(raw_behavior)
        except ValueError:
            choices = ", ".join(repr(b.value) for b in Behavior)
            raise ContainerRuleError(
                f"'behavior' must be one of {choices}, not {raw_behavior!r}"
            ) from None
        unknown = set(rule) - _ALLOWED_KEYS[behavior]
        if unknown:
            raise ContainerRuleError(
                f"unknown key(s) for behavior {behavior.value!r}: {', '.join(sorted(unknown))}"
            )
        exit_code = rule.get("exit_code", 1)
        if isinstance(exit_code, bool) or not isinstance(exit_code, int):
            raise ContainerRuleError(f"'exit_code' must be an integer, not {exit_code!r}")
        reason = rule.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ContainerRuleError(f"'reason' must be a string, not {reason!r}")
        return cls(
            image=image,
            behavior=behavior,
            exit_code=exit_code,
            after=_seconds(rule, "after"),
            seconds=_seconds(rule, "seconds", required=behavior is Behavior.SLOW_START),
            reason=reason,
        )


def _seconds(rule: Mapping[str, Any], key: str, *, required: bool = False) -> float:
    if key not in rule:
        if required:
            raise ContainerRuleError(f"a {rule.get('behavior')!r} rule needs {key!r} (seconds)")
        return 0.0
    value = rule[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContainerRuleError(f"{key!r} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ContainerRuleError(f"{key!r} must be a finite number >= 0, not {value!r}")
    return float(value)


class ContainerRules:
    """The active rules, newest first."""

    __slots__ = ("_rules",)

    def __init__(self) -> None:
        self._rules: list[ContainerRule] = []

    def add(self, rule: Mapping[str, Any]) -> ContainerRule:
        parsed = ContainerRule.parse(rule)
        self._rules.insert(0, parsed)
        return parsed

    def clear(self) -> None:
        self._rules.clear()

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, image: str) -> ContainerRule | None:
        """The newest rule whose glob matches `image`."""
        for rule in self._rules:
            if rule.matches(image):
                return rule
        return None
