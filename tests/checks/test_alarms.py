"""Alarms over CloudWatch's wire protocol (moto's server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from ecsdeploy import Status, Target
from ecsdeploy._aws_reads import AwsReads
from ecsdeploy.checks import Alarms, CheckContext
from ecsdeploy.checks._alarms import BoundAlarms
from ecsdeploy.exceptions import InputError
from ecsdeploy.testing import deployment, observation

pytestmark = pytest.mark.anyio

TICK = observation(deployment(rollout="COMPLETED"))


def context(reads: AwsReads) -> CheckContext:
    return CheckContext(Target("prod", "web"), {}, reads)


async def alarm(reads: AwsReads, name: str, state: str = "OK", reason: str = "fine") -> None:
    cloudwatch: Any = await reads._client("cloudwatch")
    await cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    await cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


async def test_an_alarm_going_into_alarm_fails_naming_it_and_its_reason(
    moto_reads: AwsReads,
) -> None:
    """OK alarms are healthy; one in ALARM fails with its name and StateReason."""
    await alarm(moto_reads, "web-5xx")
    await alarm(moto_reads, "web-p99")
    check = await Alarms("web-5xx", "web-p99").bind(context(moto_reads))
    assert (await check.evaluate(TICK)).status is Status.HEALTHY
    await alarm(moto_reads, "web-p99", "ALARM", "Threshold Crossed: 1 datapoint [2.5] > 1.0")
    verdict = await check.evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert verdict.reason == (
        "alarm web-p99 is in ALARM: Threshold Crossed: 1 datapoint [2.5] > 1.0"
    )


async def test_a_prefix_watches_every_alarm_it_matches(moto_reads: AwsReads) -> None:
    """Alarms(prefix=...) fails on any alarm whose name starts with it, and on no other."""
    await alarm(moto_reads, "web-5xx")
    await alarm(moto_reads, "api-5xx")
    check = await Alarms(prefix="web-").bind(context(moto_reads))
    await alarm(moto_reads, "api-5xx", "ALARM", "not ours")
    assert (await check.evaluate(TICK)).status is Status.HEALTHY
    await alarm(moto_reads, "web-5xx", "ALARM", "ours")
    assert (await check.evaluate(TICK)).reason == "alarm web-5xx is in ALARM: ours"


async def test_insufficient_data_is_not_a_failure(moto_reads: AwsReads) -> None:
    """A new alarm without data is not in ALARM."""
    await alarm(moto_reads, "web-new", "INSUFFICIENT_DATA", "no data yet")
    check = await Alarms("web-new").bind(context(moto_reads))
    assert (await check.evaluate(TICK)).status is Status.HEALTHY


async def test_a_named_alarm_that_does_not_exist_is_bad_input(moto_reads: AwsReads) -> None:
    """PREFLIGHT refuses a check on an alarm CloudWatch does not have (a typo)."""
    await alarm(moto_reads, "web-5xx")
    with pytest.raises(InputError, match="no alarm named web-5xxx"):
        await Alarms("web-5xx", "web-5xxx").bind(context(moto_reads))


async def test_a_prefix_matching_no_alarm_is_bad_input(moto_reads: AwsReads) -> None:
    """A prefix that watches nothing would pass vacuously: refused."""
    await alarm(moto_reads, "web-5xx")
    with pytest.raises(InputError, match="starts with 'wbe-'"):
        await Alarms(prefix="wbe-").bind(context(moto_reads))


async def test_an_alarm_already_in_alarm_holds_success_back_without_failing(
    moto_reads: AwsReads,
) -> None:
    """In ALARM before the deployment: bound all the same (a rollback needs it most), and
    PROGRESSING, naming it, for as long as it stays in that ALARM."""
    await alarm(moto_reads, "web-5xx", "ALARM", "already burning")
    check = await Alarms("web-5xx").bind(context(moto_reads))
    for _ in range(2):
        verdict = await check.evaluate(TICK)
        assert verdict.status is Status.PROGRESSING
        assert verdict.reason == (
            "alarm web-5xx has been in ALARM since before the deployment: already burning; "
            "waiting for it to leave ALARM"
        )


async def test_an_alarm_firing_before_fails_once_it_goes_into_alarm_again(
    moto_reads: AwsReads,
) -> None:
    """Once seen out of ALARM, its next ALARM fails like any alarm's."""
    await alarm(moto_reads, "web-5xx", "ALARM", "already burning")
    check = await Alarms("web-5xx").bind(context(moto_reads))
    await alarm(moto_reads, "web-5xx", "OK", "recovered")
    assert (await check.evaluate(TICK)).status is Status.HEALTHY
    await alarm(moto_reads, "web-5xx", "ALARM", "burning again")
    verdict = await check.evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert verdict.reason == "alarm web-5xx is in ALARM: burning again"


async def test_another_alarm_going_into_alarm_still_fails(moto_reads: AwsReads) -> None:
    """One alarm firing since before the deployment does not excuse another one firing now."""
    await alarm(moto_reads, "web-5xx", "ALARM", "already burning")
    await alarm(moto_reads, "web-p99")
    check = await Alarms(prefix="web-").bind(context(moto_reads))
    await alarm(moto_reads, "web-p99", "ALARM", "slow")
    verdict = await check.evaluate(TICK)
    assert verdict.status is Status.FAILED
    assert verdict.reason == "alarm web-p99 is in ALARM: slow"


async def test_a_new_transition_into_alarm_between_two_looks_fails() -> None:
    """StateTransitionedTimestamp newer than the one PREFLIGHT saw: it left ALARM and came
    back between two looks, which fails; the same timestamp is the same ALARM."""
    seen = {"AlarmName": "web-5xx", "StateValue": "ALARM", "StateTransitionedTimestamp": 100.0}
    check = BoundAlarms(Alarms("web-5xx"), cast(AwsReads, None))
    check.firing_before = {"web-5xx": 100.0}
    answers = [[seen], [{**seen, "StateTransitionedTimestamp": 160.0}]]

    async def read() -> list[dict[str, Any]]:
        return answers.pop(0)

    check.read = read  # type: ignore[method-assign]
    statuses = [(await check.evaluate(TICK)).status for _ in range(2)]
    assert statuses == [Status.PROGRESSING, Status.FAILED]


def test_alarms_needs_names_or_a_prefix() -> None:
    """An Alarms check watching nothing is refused when made."""
    with pytest.raises(InputError, match="names or a name prefix"):
        Alarms()
    with pytest.raises(InputError, match="non-empty"):
        Alarms("ok", " ")


class _Answers:
    """DescribeAlarms answers in turn, as CloudWatch's eventually consistent reads may give
    them (a stale one shows an older state, with an older StateTransitionedTimestamp)."""

    def __init__(self, *answers: list[dict[str, Any]]) -> None:
        self.answers = list(answers)

    async def describe_alarms(
        self, *, names: Sequence[str] = (), prefix: str | None = None
    ) -> list[dict[str, Any]]:
        return self.answers.pop(0)


def _web_5xx(state: str, transitioned: float) -> dict[str, Any]:
    return {"AlarmName": "web-5xx", "StateValue": state, "StateTransitionedTimestamp": transitioned}


async def _statuses(*answers: list[dict[str, Any]]) -> list[Status]:
    reads = _Answers(*answers)
    check = await Alarms("web-5xx").bind(context(cast(AwsReads, reads)))
    statuses = []
    while reads.answers:
        statuses.append((await check.evaluate(TICK)).status)
    return statuses


async def test_a_stale_read_out_of_alarm_neither_passes_nor_arms_an_alarm_firing_before() -> None:
    """In ALARM since 100 before the deployment: a stale read from before that (OK since 70)
    is not it leaving ALARM, so it neither lets the deployment succeed nor makes the same
    ALARM, read again, fail it."""
    statuses = await _statuses(
        [_web_5xx("ALARM", 100.0)], [_web_5xx("OK", 70.0)], [_web_5xx("ALARM", 100.0)]
    )
    assert statuses == [Status.PROGRESSING, Status.PROGRESSING]


async def test_a_stale_read_of_an_earlier_alarm_is_not_a_new_one() -> None:
    """A stale read showing an earlier ALARM (since 40) of an alarm in ALARM since 100 is not a
    new transition into ALARM: no failure."""
    statuses = await _statuses(
        [_web_5xx("ALARM", 100.0)], [_web_5xx("ALARM", 40.0)], [_web_5xx("ALARM", 100.0)]
    )
    assert statuses == [Status.PROGRESSING, Status.PROGRESSING]


async def test_a_stale_read_of_an_alarm_that_has_since_left_it_fails_nothing() -> None:
    """OK since 70 when the deployment started: a stale read of its ALARM since 40 fails
    nothing; its newer state is the one that counts."""
    statuses = await _statuses(
        [_web_5xx("OK", 70.0)], [_web_5xx("ALARM", 40.0)], [_web_5xx("ALARM", 160.0)]
    )
    assert statuses == [Status.HEALTHY, Status.FAILED]
