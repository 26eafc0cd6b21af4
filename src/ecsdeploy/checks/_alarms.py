"""Alarms: named CloudWatch alarms must stay out of ALARM while the deployment is watched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._models import Observation, Status, Verdict
from ecsdeploy.checks._bind import CheckContext
from ecsdeploy.exceptions import AwsUnavailableError, InputError, ThrottledError

__all__ = ["Alarms", "alarm_verdict"]


def alarm_verdict(alarms: Sequence[Mapping[str, Any]]) -> Verdict:
    """FAILED naming the first alarm in ALARM and its StateReason; else healthy."""
    for alarm in alarms:
        if alarm.get("StateValue") == "ALARM":
            reason = str(alarm.get("StateReason") or "no reason given")
            return Verdict.failed(f"alarm {alarm.get('AlarmName')} is in ALARM: {reason}")
    states = sorted({str(a.get("StateValue")) for a in alarms})
    return Verdict.healthy(f"{len(alarms)} alarm(s) not in ALARM ({', '.join(states)})")


@dataclass(frozen=True, slots=True, init=False)
class Alarms:
    """CloudWatch alarms, by name and/or name prefix, that must not be in ALARM during WATCH
    (bake time included): `Alarms("web-5xx", "web-p99")`, `Alarms(prefix="web-")`.

    PREFLIGHT reads them (cloudwatch:DescribeAlarms): a named alarm that does not exist, a
    prefix that matches none, or an alarm already in ALARM fails it with nothing changed; a
    deployment could never pass a check that fails before it starts.
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
        verdict = alarm_verdict(alarms)
        if verdict.status is Status.FAILED:
            raise InputError(
                f"{verdict.reason} before the deployment started; deploy once it is resolved, "
                "or without this alarm check"
            )
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

    async def read(self) -> list[dict[str, Any]]:
        return await self._aws.describe_alarms(names=self.check.names, prefix=self.check.prefix)

    async def evaluate(self, observation: Observation) -> Verdict:
        try:
            alarms = await self.read()
        except (AwsUnavailableError, ThrottledError) as exc:
            # A CloudWatch outage is no verdict on the deployment: keep waiting.
            return Verdict.progressing(f"alarms could not be read: {exc}")
        return alarm_verdict(alarms)
