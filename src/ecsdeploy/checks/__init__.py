"""Health-check strategies: the `HealthCheck` protocol and the built-in checks."""

from __future__ import annotations

from ecsdeploy.checks._builtin import (
    CircuitBreakerCheck,
    RolloutStateCheck,
    SteadyStateCheck,
    StoppedTasksCheck,
    circuit_breaker_threshold,
    default_checks,
)
from ecsdeploy.checks._compose import combine, evaluate_checks
from ecsdeploy.checks._healthcheck import HealthCheck, check_name

__all__ = [
    "CircuitBreakerCheck",
    "HealthCheck",
    "RolloutStateCheck",
    "SteadyStateCheck",
    "StoppedTasksCheck",
    "check_name",
    "circuit_breaker_threshold",
    "combine",
    "default_checks",
    "evaluate_checks",
]
