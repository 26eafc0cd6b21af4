"""CloudWatch alarm states, as far as ECS deployments read them.

A store of alarm name → state (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``) with the reason and the
time it was last set, in the terms of CloudWatch's SetAlarmState (`AlarmName`, `StateValue`,
`StateReason`). An alarm nobody set is ``INSUFFICIENT_DATA``, as a new CloudWatch alarm is.
The store knows nothing about ECS: the control API and CloudWatch's SetAlarmState
(`ecsdeploy.sim._cloudwatch`) set states here, and `sim._dynamics.deployment_alarms` reads them
for the deployments that name the alarms. CloudWatch's PutMetricAlarm keeps each alarm's
configuration here too (`AlarmStore.define`), so DescribeAlarms can describe it. Alarm names are
one namespace for the whole simulator, not one per region.

A control-API rule sets one alarm: ``{"alarm": "NAME", "state": "ALARM", "reason": "..."}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ALARM_STATES = frozenset({"OK", "ALARM", "INSUFFICIENT_DATA"})
"""CloudWatch's `StateValue` values."""

_RULE_KEYS = frozenset({"alarm", "state", "reason"})


class AlarmRuleError(ValueError):
    """An alarm state the control API cannot accept; the message says why."""


@dataclass(frozen=True, slots=True)
class AlarmState:
    name: str
    state: str
    reason: str
    updated_at: float
    reason_data: str | None = None
    #: When the alarm last changed state (CloudWatch's StateTransitionedTimestamp); setting the
    #: state it already has updates `updated_at` only.
    transitioned_at: float | None = None


@dataclass(frozen=True, slots=True)
class AlarmDefinition:
    """An alarm's configuration as PutMetricAlarm gave it (members by their API names)."""

    name: str
    config: dict[str, Any]
    arn: str
    updated_at: float


def parse_alarm_rule(rule: Mapping[str, Any]) -> tuple[str, str, str]:
    """(name, state, reason) of a control-API alarm rule; AlarmRuleError says what is wrong."""
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise AlarmRuleError(f"unknown key(s) for an alarm rule: {', '.join(sorted(unknown))}")
    name = rule.get("alarm")
    if not isinstance(name, str) or not name:
        raise AlarmRuleError("an alarm rule needs 'alarm', the alarm's name")
    state = rule.get("state")
    if state not in ALARM_STATES:
        choices = ", ".join(repr(s) for s in sorted(ALARM_STATES))
        raise AlarmRuleError(f"'state' must be one of {choices}, not {state!r}")
    reason = rule.get("reason", "")
    if not isinstance(reason, str):
        raise AlarmRuleError(f"'reason' must be a string, not {reason!r}")
    return name, str(state), reason


INITIAL_REASON = "Unchecked: Initial alarm creation"
"""StateReason of a new CloudWatch alarm."""


class AlarmStore:
    """The current state of every alarm that was set; the rest are INSUFFICIENT_DATA. Also the
    definitions of alarms created with PutMetricAlarm."""

    __slots__ = ("_alarms", "_definitions")

    def __init__(self) -> None:
        self._alarms: dict[str, AlarmState] = {}
        self._definitions: dict[str, AlarmDefinition] = {}

    def set(
        self, name: str, state: str, reason: str, *, now: float, reason_data: str | None = None
    ) -> AlarmState:
        if state not in ALARM_STATES:
            raise AlarmRuleError(f"unknown alarm state {state!r}")
        previous = self._alarms.get(name)
        transitioned_at = (
            previous.transitioned_at if previous is not None and previous.state == state else now
        )
        alarm = self._alarms[name] = AlarmState(
            name, state, reason, now, reason_data, transitioned_at
        )
        return alarm

    def define(self, definition: AlarmDefinition) -> None:
        """Create or replace an alarm's configuration; a new alarm starts INSUFFICIENT_DATA
        ("Unchecked: Initial alarm creation"), an updated one keeps its state."""
        if definition.name not in self._definitions and definition.name not in self._alarms:
            self.set(
                definition.name, "INSUFFICIENT_DATA", INITIAL_REASON, now=definition.updated_at
            )
        self._definitions[definition.name] = definition

    def definition(self, name: str) -> AlarmDefinition | None:
        return self._definitions.get(name)

    def known(self) -> list[str]:
        """Names of every alarm created or set, sorted as CloudWatch lists them."""
        return sorted({*self._alarms, *self._definitions})

    def delete(self, name: str) -> None:
        self._alarms.pop(name, None)
        self._definitions.pop(name, None)

    def get(self, name: str) -> AlarmState:
        alarm = self._alarms.get(name)
        return alarm if alarm is not None else AlarmState(name, "INSUFFICIENT_DATA", "", 0.0)

    def in_alarm(self, names: Iterable[str]) -> list[str]:
        """Those of `names` whose alarm is in ALARM, in the order given."""
        return [name for name in names if self.get(name).state == "ALARM"]

    def clear(self) -> None:
        """Every alarm back to INSUFFICIENT_DATA: alarms only set are forgotten, created ones
        stay (with the state a new alarm has)."""
        self._alarms.clear()
        for definition in self._definitions.values():
            self.set(
                definition.name, "INSUFFICIENT_DATA", INITIAL_REASON, now=definition.updated_at
            )

    def forget(self) -> None:
        """No alarm at all."""
        self._alarms.clear()
        self._definitions.clear()

    def __len__(self) -> int:
        return len(self.known())
