"""bind_checks: bindable checks are bound once per deployment, the others kept as they are."""

from __future__ import annotations

import pytest

from ecsdeploy import Observation, Target, Verdict
from ecsdeploy.checks import (
    BindableCheck,
    CheckContext,
    HealthCheck,
    HttpProbe,
    RolloutStateCheck,
    bind_checks,
)
from ecsdeploy.checks._http import ConsecutiveProbe
from ecsdeploy.exceptions import InputError, MissingPermissionError

pytestmark = pytest.mark.anyio

CONTEXT = CheckContext(Target("prod", "web"), {}, None)  # type: ignore[arg-type]


class Refusing:
    """A bindable check whose binding is refused."""

    name = "refusing"

    async def bind(self, context: CheckContext) -> HealthCheck:
        raise MissingPermissionError("denied", permission="cloudwatch:DescribeAlarms")

    async def evaluate(self, observation: Observation) -> Verdict:
        return Verdict.unknown()


async def test_bindable_checks_are_bound_in_place_and_the_others_kept() -> None:
    """The order is kept; a built-in check is passed through untouched."""
    builtin = RolloutStateCheck()
    probe = HttpProbe("http://127.0.0.1/")
    bound = await bind_checks([builtin, probe], CONTEXT)
    assert bound[0] is builtin
    assert isinstance(bound[1], ConsecutiveProbe)
    assert isinstance(probe, BindableCheck)
    assert not isinstance(bound[1], BindableCheck)


async def test_a_refused_binding_raises_as_itself() -> None:
    """A MissingPermissionError is an InputError, raised unwrapped (not in an ExceptionGroup)."""
    with pytest.raises(MissingPermissionError) as raised:
        await bind_checks([RolloutStateCheck(), Refusing()], CONTEXT)
    assert isinstance(raised.value, InputError)
    assert raised.value.permission == "cloudwatch:DescribeAlarms"
