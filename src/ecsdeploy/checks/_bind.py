"""Checks that need the deployment's context (AWS access, the service) before they can judge.

A check with a `bind(context)` method is bound in PREFLIGHT, once per deployment: `bind` makes its
harmless reads there (so a missing permission fails before anything is changed, exit 2) and
returns the check WATCH runs for this one deployment, with state of its own. One `TargetHealth()`
in a release's settings thus serves every service of the release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import anyio

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._models import Target
from ecsdeploy.checks._healthcheck import HealthCheck

__all__ = ["BindableCheck", "CheckContext", "bind_checks"]


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What PREFLIGHT knows when it binds a check to one deployment."""

    target: Target
    #: The service as PREFLIGHT described it (load balancers, grace period, network mode...).
    service: Mapping[str, Any]
    #: Rate-limited, retried reads of ELBv2, CloudWatch and ECS in the target's region.
    aws: AwsReads


@runtime_checkable
class BindableCheck(Protocol):
    """A check that must see the deployment before judging it (see the module's docstring).

    `bind` may raise an `InputError` (e.g. `MissingPermissionError`): the deployment then fails
    in PREFLIGHT with nothing changed.
    """

    async def bind(self, context: CheckContext) -> HealthCheck: ...


async def bind_checks(checks: Sequence[HealthCheck], context: CheckContext) -> list[HealthCheck]:
    """Every check, bound when it is bindable; the first error raised as itself."""
    bound: list[HealthCheck] = list(checks)
    errors: list[Exception] = []

    async def bind(index: int, check: BindableCheck) -> None:
        try:
            bound[index] = await check.bind(context)
        except Exception as exc:  # reported below, first one wins
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for index, check in enumerate(checks):
            if isinstance(check, BindableCheck):
                group.start_soon(bind, index, check)
    if errors:
        raise errors[0]
    return bound
