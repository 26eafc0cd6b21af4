"""Container rules: make tasks whose image matches a glob crash, fail to pull, turn unhealthy or
start slowly, so that users can rehearse failed deployments against the simulator; or have
AWS take their capacity away (`interruption`), which is no failure of the deployment.

A rule is a JSON object sent through the control API, for example
``{"image": "myorg/web:bad*", "behavior": "crash", "exit_code": 1, "after": 5}``.
Images are matched with `fnmatch.fnmatchcase` (``*``, ``?``, ``[...]``; case-sensitive, as image
references are). The most recently added rule that matches wins, so a test can narrow or override
an earlier broad rule by adding a more specific one; `ContainerRules.clear` forgets them all.
A task is affected when any of its essential containers matches; the first such container (in
task-definition order) is the one that fails. A ``crash`` or ``exit`` rule may also name a
``command`` glob: it then matches only containers whose command (RunTask's container override,
else the task definition's, its words joined by spaces) matches too, so that a migration run
from a service's image (``"command": "./manage.py migrate*"``) can finish while the service's
own tasks of that image keep running.

An ``interruption`` rule is not decided at launch: it stops tasks that are RUNNING when it is
added, and tasks that reach RUNNING while it is active, ``after`` seconds later, as ECS stops
them for a Fargate Spot interruption (stopCode ``SpotInterruption``, stoppedReason "Your Spot
Task was interrupted.") or for task retirement and maintenance (``TerminationNotice``, "ECS is
performing maintenance on the underlying infrastructure hosting the task."). The containers get
SIGTERM and exit 0, no service event is written (ECS reports these only as task state changes),
the service scheduler launches replacements, and the deployment's failedTasks and circuit
breaker are untouched. ``count`` caps how many tasks the rule interrupts (default: every one).

A ``no_capacity`` rule is not decided at launch either: while it is active, tasks with a
matching essential image cannot be placed (see `ecsdeploy.sim._dynamics.lifecycle.placement_failure`
for how ECS reports that); clearing the rules gives the capacity back.

An ``elb_unhealthy`` rule is decided at launch like the others: the container runs and passes
its own health check, but when ECS registers the task with its service's target groups the
targets fail ELB's health checks (``{"image": "web:bad", "behavior": "elb_unhealthy",
"reason": "Target.Timeout"}``), and ECS stops the task once the service's
healthCheckGracePeriodSeconds is over (`ecsdeploy.sim._dynamics.load_balancers`). With
``after`` (seconds after the container starts) the targets pass their checks first and turn
healthy, then start failing at ``after``, as an app that degrades after warm-up.
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
    """The essential container exits `after` seconds of RUNNING with `exit_code` (default 1)."""
    EXIT = "exit"
    """Like `crash` with `exit_code` 0 by default: a one-off task (RunTask) that finishes."""
    PULL_ERROR = "pull_error"
    """The image cannot be pulled: the task stops before RUNNING with TaskFailedToStart."""
    UNHEALTHY = "unhealthy"
    """The container's health check fails once running; the scheduler replaces the task."""
    SLOW_START = "slow_start"
    """The container takes `seconds` longer to reach RUNNING."""
    NO_CAPACITY = "no_capacity"
    """No capacity to place the task: it stays PROVISIONING while the rule is active."""
    INTERRUPTION = "interruption"
    """AWS reclaims the task's capacity `after` seconds of RUNNING (Spot, retirement)."""
    ELB_UNHEALTHY = "elb_unhealthy"
    """The container runs, but the task's load balancer targets fail their health checks
    (`reason`: ``Target.ResponseCodeMismatch`` with status `code`, default 500;
    ``Target.Timeout``; ``Target.FailedHealthChecks``), from the start or from `after`
    seconds after the container starts."""


class StopCode(Enum):
    """The stop codes ECS gives tasks it stops because their capacity goes away."""

    SPOT_INTERRUPTION = "SpotInterruption"
    TERMINATION_NOTICE = "TerminationNotice"


INTERRUPTION_REASONS: dict[StopCode, str] = {
    StopCode.SPOT_INTERRUPTION: "Your Spot Task was interrupted.",
    StopCode.TERMINATION_NOTICE: (
        "ECS is performing maintenance on the underlying infrastructure hosting the task."
    ),
}
"""stoppedReason as ECS words it ("Fargate capacity providers", "Task retirement and
maintenance for AWS Fargate on Amazon ECS")."""


_ALLOWED_KEYS: dict[Behavior, frozenset[str]] = {
    Behavior.CRASH: frozenset({"image", "behavior", "exit_code", "after", "reason", "command"}),
    Behavior.EXIT: frozenset({"image", "behavior", "exit_code", "after", "reason", "command"}),
    Behavior.PULL_ERROR: frozenset({"image", "behavior", "reason"}),
    Behavior.UNHEALTHY: frozenset({"image", "behavior"}),
    Behavior.SLOW_START: frozenset({"image", "behavior", "seconds"}),
    Behavior.NO_CAPACITY: frozenset({"image", "behavior", "reason"}),
    Behavior.INTERRUPTION: frozenset(
        {"image", "behavior", "stop_code", "after", "count", "reason"}
    ),
    Behavior.ELB_UNHEALTHY: frozenset({"image", "behavior", "reason", "code", "after"}),
}

ELB_FAILURE_REASONS = ("Target.ResponseCodeMismatch", "Target.Timeout", "Target.FailedHealthChecks")
"""The TargetHealth reasons an `elb_unhealthy` rule can give ("Target." may be left out)."""


@dataclass(frozen=True, slots=True)
class ContainerRule:
    image: str
    behavior: Behavior
    exit_code: int = 1
    after: float = 0.0
    seconds: float = 0.0
    reason: str | None = None
    """For `crash`: the container's `reason`; for `pull_error`: replaces the default error text;
    for `interruption`: replaces the task's stoppedReason; for `elb_unhealthy`: the
    TargetHealth reason."""
    stop_code: StopCode = StopCode.SPOT_INTERRUPTION
    count: int | None = None
    """For `interruption`: how many tasks it interrupts; None for all."""
    code: int = 500
    """For `elb_unhealthy` with Target.ResponseCodeMismatch: the HTTP status health checks get."""
    command: str | None = None
    """For `crash` and `exit`: a glob the container's command (words joined by spaces) must
    match too; None matches any command."""

    def matches(self, image: str, command: str | None = None) -> bool:
        """Whether the rule applies to a container of `image` running `command` (None: the
        command is not known here, so only the image is compared)."""
        if not fnmatch.fnmatchcase(image, self.image):
            return False
        return self.command is None or command is None or fnmatch.fnmatchcase(command, self.command)

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
        exit_code = rule.get("exit_code", 0 if behavior is Behavior.EXIT else 1)
        if isinstance(exit_code, bool) or not isinstance(exit_code, int):
            raise ContainerRuleError(f"'exit_code' must be an integer, not {exit_code!r}")
        reason = rule.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ContainerRuleError(f"'reason' must be a string, not {reason!r}")
        raw_code = rule.get("stop_code", StopCode.SPOT_INTERRUPTION.value)
        try:
            stop_code = StopCode(raw_code)
        except ValueError:
            codes = ", ".join(repr(code.value) for code in StopCode)
            raise ContainerRuleError(
                f"'stop_code' must be one of {codes}, not {raw_code!r}"
            ) from None
        if behavior is Behavior.ELB_UNHEALTHY:
            reason = _elb_reason(reason)
        code = rule.get("code", 500)
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ContainerRuleError(f"'code' must be an HTTP status code, not {code!r}")
        command = rule.get("command")
        if command is not None and (not isinstance(command, str) or not command):
            raise ContainerRuleError(f"'command' must be a non-empty glob string, not {command!r}")
        count = rule.get("count")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ContainerRuleError(f"'count' must be a positive integer, not {count!r}")
        return cls(
            image=image,
            behavior=behavior,
            exit_code=exit_code,
            after=_seconds(rule, "after"),
            seconds=_seconds(rule, "seconds", required=behavior is Behavior.SLOW_START),
            reason=reason,
            stop_code=stop_code,
            count=count,
            code=code,
            command=command,
        )

    @property
    def stopped_reason(self) -> str:
        """The stoppedReason of a task this `interruption` rule stops."""
        return self.reason or INTERRUPTION_REASONS[self.stop_code]


def _elb_reason(reason: str | None) -> str:
    if reason is None:
        return ELB_FAILURE_REASONS[0]
    qualified = reason if reason.startswith("Target.") else f"Target.{reason}"
    if qualified not in ELB_FAILURE_REASONS:
        choices = ", ".join(repr(r) for r in ELB_FAILURE_REASONS)
        raise ContainerRuleError(f"'reason' must be one of {choices}, not {reason!r}")
    return qualified


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


@dataclass(slots=True, eq=False)
class Interruption:
    """An active `interruption` rule and how many more tasks it may stop."""

    rule: ContainerRule
    remaining: int | None

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def applies_to(self, images: list[str]) -> bool:
        return not self.spent and any(self.rule.matches(image) for image in images)


class ContainerRules:
    """The active rules, newest first; `interruption` rules are kept apart (see module doc)."""

    __slots__ = ("_capacity", "_interruptions", "_rules")

    def __init__(self) -> None:
        self._rules: list[ContainerRule] = []
        self._interruptions: list[Interruption] = []
        self._capacity: list[ContainerRule] = []

    def add(self, rule: Mapping[str, Any]) -> ContainerRule:
        parsed = ContainerRule.parse(rule)
        if parsed.behavior is Behavior.INTERRUPTION:
            self._interruptions.append(Interruption(parsed, parsed.count))
        elif parsed.behavior is Behavior.NO_CAPACITY:
            self._capacity.insert(0, parsed)
        else:
            self._rules.insert(0, parsed)
        return parsed

    def clear(self) -> None:
        self._rules.clear()
        self._interruptions.clear()
        self._capacity.clear()

    def __len__(self) -> int:
        return len(self._rules) + len(self._interruptions) + len(self._capacity)

    def no_capacity(self, images: list[str]) -> ContainerRule | None:
        """The newest `no_capacity` rule matching any of `images`."""
        for rule in self._capacity:
            if any(rule.matches(image) for image in images):
                return rule
        return None

    @property
    def interruptions(self) -> tuple[Interruption, ...]:
        """Interruption rules that may still stop a task, oldest first."""
        return tuple(i for i in self._interruptions if not i.spent)

    def is_active(self, interruption: Interruption) -> bool:
        return not interruption.spent and any(i is interruption for i in self._interruptions)

    def match(self, image: str, command: str = "") -> ContainerRule | None:
        """The newest rule whose globs match `image` and the container's `command`."""
        for rule in self._rules:
            if rule.matches(image, command):
                return rule
        return None
