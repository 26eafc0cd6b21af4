"""How one deployment is run: deadlines, polling, rollback and checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ecsdeploy.checks import HealthCheck, RolloutStateCheck, SteadyStateCheck, default_checks
from ecsdeploy.exceptions import InputError

__all__ = ["DeploySettings"]


@dataclass(frozen=True, slots=True)
class DeploySettings:
    """Settings of one deployment. Durations are wall-clock seconds.

    - `timeout`: deadline for the watch; reaching it fails the deployment (and rolls back).
    - `max_checks`: also fail after this many poll ticks (drone-deploy-ecs's `max_deploy_checks`).
    - `bake`: the deployment must stay healthy this long before it counts as succeeded.
    - `checks`: the health checks; `None` means the built-in ones. The rollout-state and
      steady-state guards are added when missing: success always means our deployment completed.
    - `wait_for_in_progress`: when another deployment is still rolling out, wait for it (True)
      or fail at once (False).
    - `deregister_failed`: deregister the revision we registered when the deployment fails.
    - `rollback_timeout`: deadline of the rollback watch; `None` means the same as `timeout`.
    """

    timeout: float = 600.0
    poll_interval: float = 5.0
    rollback: bool = True
    bake: float = 0.0
    max_checks: int | None = None
    checks: tuple[HealthCheck, ...] | None = None
    wait_for_in_progress: bool = True
    deregister_failed: bool = True
    rollback_timeout: float | None = None
    extra_checks: tuple[HealthCheck, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise InputError(f"timeout must be positive, not {self.timeout}")
        if self.poll_interval <= 0:
            raise InputError(f"poll_interval must be positive, not {self.poll_interval}")
        if self.bake < 0:
            raise InputError(f"bake must not be negative, not {self.bake}")
        if self.max_checks is not None and self.max_checks < 1:
            raise InputError(f"max_checks must be at least 1, not {self.max_checks}")
        if self.rollback_timeout is not None and self.rollback_timeout <= 0:
            raise InputError(f"rollback_timeout must be positive, not {self.rollback_timeout}")

    def with_overrides(self, **overrides: Any) -> DeploySettings:
        """A copy with the given settings replaced; `None` values are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "checks" in given and not isinstance(given["checks"], tuple):
            given["checks"] = tuple(given["checks"])
        return replace(self, **given)

    @property
    def effective_checks(self) -> Sequence[HealthCheck]:
        """The checks to run. Success means our deployment completed, so the rollout-state and
        steady-state guards always run, even when `checks` leaves them out."""
        base: Sequence[HealthCheck] = default_checks() if self.checks is None else self.checks
        chosen = [*base, *self.extra_checks]
        guards = [
            guard()
            for guard in (RolloutStateCheck, SteadyStateCheck)
            if not any(isinstance(check, guard) for check in chosen)
        ]
        return [*chosen, *guards]

    @property
    def effective_rollback_timeout(self) -> float:
        return self.timeout if self.rollback_timeout is None else self.rollback_timeout
