"""Hook rules: which lifecycle hooks answer FAILED.

The simulator runs no Lambda function. A BLUE_GREEN / LINEAR / CANARY deployment's lifecycle
hook answers SUCCEEDED after `Timings.lifecycle_hook`, unless a hook rule matches it:
``{"hook_stage": "POST_SCALE_UP", "hook": "<hookTargetArn>" (optional), "reason": "…"
(optional), "count": n (optional)}``. A matching hook answers FAILED ("Lifecycle hooks for
Amazon ECS service deployments": the deployment rolls back to the last successful one). The
newest rule wins; a rule with a `count` is spent after that many failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HOOK_STAGES = frozenset(
    {
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
    }
)
"""`DeploymentLifecycleHookStage`: the stages a hook can be attached to."""

_KEYS = frozenset({"hook_stage", "hook", "reason", "count"})


@dataclass(slots=True)
class HookRule:
    stage: str
    hook: str | None
    reason: str
    remaining: int | None

    def matches(self, stage: str, hook: str) -> bool:
        return self.stage == stage and self.hook in (None, hook)


def parse_hook_rule(rule: Mapping[str, Any]) -> HookRule:
    """A validated `HookRule`; ValueError says what is wrong with `rule`."""
    unknown = set(rule) - _KEYS
    if unknown:
        raise ValueError(f"unknown hook rule keys: {', '.join(sorted(unknown))}")
    stage = rule.get("hook_stage")
    if stage not in HOOK_STAGES:
        raise ValueError(f"'hook_stage' must be one of {', '.join(sorted(HOOK_STAGES))}")
    hook = rule.get("hook")
    if hook is not None and not isinstance(hook, str):
        raise ValueError(f"'hook' must be a hook target ARN, not {hook!r}")
    count = rule.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"'count' must be a positive integer, not {count!r}")
    reason = str(rule.get("reason") or "the hook returned hookStatus FAILED")
    return HookRule(str(stage), hook, reason, count)


class HookRules:
    """The active hook rules, newest first."""

    def __init__(self) -> None:
        self._rules: list[HookRule] = []

    def add(self, rule: Mapping[str, Any]) -> HookRule:
        parsed = parse_hook_rule(rule)
        self._rules.insert(0, parsed)
        return parsed

    def clear(self) -> None:
        self._rules.clear()

    def failure(self, stage: str, hook: str) -> str | None:
        """Why the hook `hook` fails at `stage` (a rule's count spent), or None if it succeeds."""
        for rule in self._rules:
            if rule.matches(stage, hook):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                return rule.reason
        return None
