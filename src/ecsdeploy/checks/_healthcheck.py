"""The plug-in point for judging a deployment."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ecsdeploy._models import Observation, Verdict


@runtime_checkable
class HealthCheck(Protocol):
    """Turns an `Observation` into a `Verdict`.

    The deployer composes every check's verdict each poll tick: any FAILED fails the deployment,
    and it succeeds once every check that has an opinion says HEALTHY (for the bake time, if
    any). UNKNOWN means "no opinion". A check that raises is reported as that check failing.
    A `name` attribute, if present, labels the check in results and logs.
    """

    async def evaluate(self, observation: Observation) -> Verdict: ...


def check_name(check: HealthCheck) -> str:
    name = getattr(check, "name", None)
    return name if isinstance(name, str) and name else type(check).__name__
