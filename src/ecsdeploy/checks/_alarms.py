"""Alarms: named CloudWatch alarms must stay out of ALARM while the deployment is watched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._models import Observation, Verdict
from ecsdeploy.checks._bind import CheckContext
from ecsdeploy.exceptions import AwsUnavailableError, InputError, ThrottledError

__all__ = ["Alarms", "alarm_verdict"]

logger = structlog.get_logger("ecsdeploy")


def alarm_verdict(
    alarms: Sequence[Mapping[str, Any]], *, firing_before: Sequence[str] = ()
) -> Verdict:
    """FAILED naming the first alarm in ALARM and its StateReason; else healthy.

    An alarm of `firing_before` (in ALARM since before the deployment, never seen out of it)
    fails nothing: the deployment cannot have caused it. It keeps the verdict PROGRESSING, so
    the deployment succeeds only once it leaves ALARM (or fails at the watch's timeout)."""
    waiting: list[str] = []
    for alarm in alarms:
        if alarm.get("StateValue") != "ALARM":
            continue
        name = str(alarm.get("AlarmName"))
        reason = str(alarm.get("StateReason") or "no reason given")
        if name not in firing_before:
            return Verdict.failed(f"alarm {name} is in ALARM: {reason}")
        waiting.append(f"alarm {name} has been in ALARM since before the deployment: {reason}")
    if waiting:
        return Verdict.progressing("; ".join(waiting) + "; waiting for it to leave ALARM")
    states = sorted({str(a.get("StateValue")) for a in alarms})
    return Verdict.healthy(f"{len(alarms)} alarm(s) not in ALARM ({', '.join(states)})")


def _transitioned(alarm: Mapping[str, Any]) -> Any:
    """When the alarm last changed state (CloudWatch's StateTransitionedTimestamp), if given."""
    return alarm.get("StateTransitionedTimestamp")


def _older(alarm: Mapping[str, Any], *, than: Mapping[str, Any]) -> bool:
    """Whether `alarm` shows a state older than `than` does (both timestamps given)."""
    now, then = _transitioned(alarm), _transitioned(than)
    return now is not None and then is not None and bool(now < then)


@dataclass(frozen=True, slots=True, init=False)
class Alarms:
    """CloudWatch alarms, by name and/or name prefix, that must not go into ALARM during WATCH
    (bake time included): `Alarms("web-5xx", "web-p99")`, `Alarms(prefix="web-")`.

    PREFLIGHT reads them (cloudwatch:DescribeAlarms): a named alarm that does not exist or a
    prefix that matches none fails it with nothing changed.

    An alarm already in ALARM when the deployment starts is no reason to refuse it: that is
    when a rollback (`ecsdeploy rollback --check-alarm`) or a fix is needed most, and ECS's own
    deployment alarms do not refuse one either. Such an alarm fails nothing while it stays in
    the ALARM it was in; it holds the deployment's success back until it leaves ALARM (so a
    deployment that does not cure it fails at the watch's timeout), and going into ALARM again
    afterwards (or a new transition into ALARM, by its StateTransitionedTimestamp) fails the
    deployment like any other alarm.
    """

    names: tuple[str, ...]
    prefix: str | None
    name: str

    def __init__(self, *names: str, prefix: str | None = None, name: str = "alarms") -> None:
        if not names and not prefix:
            raise InputError("Alarms needs alarm names or a name prefix")
        for alarm in names:
            if not isinstance(alarm, str) or not alarm.strip():
                raise InputError(f"an alarm name must be a non-empty string, not {alarm!r}")
        if prefix is not None and not prefix.strip():
            raise InputError("an alarm name prefix must not be empty")
        object.__setattr__(self, "names", tuple(dict.fromkeys(names)))
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "name", name)

    def describe(self) -> str:
        parts = list(self.names) + ([f"{self.prefix}*"] if self.prefix else [])
        return ", ".join(parts)

    async def bind(self, context: CheckContext) -> BoundAlarms:
        bound = BoundAlarms(self, context.aws)
        alarms = await bound.read()
        found = {str(a.get("AlarmName")) for a in alarms}
        missing = [n for n in self.names if n not in found]
        if missing:
            raise InputError(f"CloudWatch has no alarm named {', '.join(missing)}")
        if self.prefix and not any(n.startswith(self.prefix) for n in found):
            raise InputError(f"CloudWatch has no alarm whose name starts with {self.prefix!r}")
        firing = {str(a.get("AlarmName")): a for a in alarms if a.get("StateValue") == "ALARM"}
        if firing:
            logger.warning(
                "ecsdeploy.checks.alarm_in_alarm_before_deploying",
                cluster=context.target.cluster,
                service=context.target.service,
                alarms=sorted(firing),
                effect="the deployment succeeds only once they leave ALARM",
            )
        bound.firing_before = {name: _transitioned(a) for name, a in firing.items()}
        bound.newest(alarms)
        return bound

    async def evaluate(self, observation: Observation) -> Verdict:
        raise RuntimeError(
            "Alarms judges a deployment once bound to it: the Deployer binds it in PREFLIGHT "
            "(or call `await check.bind(context)`)"
        )


class BoundAlarms:
    """`Alarms` for one deployment's region."""

    def __init__(self, check: Alarms, aws: AwsReads) -> None:
        self.check = check
        self.name = check.name
        self._aws = aws
        #: Alarms in ALARM when PREFLIGHT read them, never seen out of it since: name → their
        #: StateTransitionedTimestamp then (None when CloudWatch did not give one).
        self.firing_before: dict[str, Any] = {}
        #: The newest state seen of each alarm: what a stale read is replaced with.
        self._newest: dict[str, Mapping[str, Any]] = {}

    async def read(self) -> list[dict[str, Any]]:
        return await self._aws.describe_alarms(names=self.check.names, prefix=self.check.prefix)

    def newest(self, alarms: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """`alarms` with each stale answer (DescribeAlarms is eventually consistent: one can
        show a state older than one already seen, by its StateTransitionedTimestamp) replaced
        by the newest state seen of that alarm; remembers the newer ones."""
        fresh: list[Mapping[str, Any]] = []
        for answer in alarms:
            name = str(answer.get("AlarmName"))
            seen = self._newest.get(name)
            alarm = seen if seen is not None and _older(answer, than=seen) else answer
            self._newest[name] = alarm
            fresh.append(alarm)
        return fresh

    async def evaluate(self, observation: Observation) -> Verdict:
        try:
            alarms = await self.read()
        except (AwsUnavailableError, ThrottledError) as exc:
            # A CloudWatch outage is no verdict on the deployment: keep waiting.
            return Verdict.progressing(f"alarms could not be read: {exc}")
        fresh = self.newest(alarms)
        for alarm in fresh:
            name = str(alarm.get("AlarmName"))
            if name not in self.firing_before:
                continue
            then, now = self.firing_before[name], _transitioned(alarm)
            again = then is not None and now is not None and now > then
            if alarm.get("StateValue") != "ALARM" or again:
                # Out of ALARM, or back in it since: from now on, ALARM fails the deployment.
                del self.firing_before[name]
        return alarm_verdict(fresh, firing_before=tuple(self.firing_before))
