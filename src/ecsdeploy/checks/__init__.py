"""Health-check strategies: the `HealthCheck` protocol and the built-in checks."""

from __future__ import annotations

from ecsdeploy._public import publish as _publish
from ecsdeploy.checks._alarms import Alarms
from ecsdeploy.checks._bind import BindableCheck, CheckContext, bind_checks
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
from ecsdeploy.checks._http import HttpProbe
from ecsdeploy.checks._target_health import TargetHealth

# Sorted case-insensitively (tests/test_package.py checks it), not in ruff's isort order.
__all__ = [  # noqa: RUF022
    "Alarms",
    "bind_checks",
    "BindableCheck",
    "check_name",
    "CheckContext",
    "circuit_breaker_threshold",
    "CircuitBreakerCheck",
    "combine",
    "default_checks",
    "evaluate_checks",
    "HealthCheck",
    "HttpProbe",
    "RolloutStateCheck",
    "SteadyStateCheck",
    "StoppedTasksCheck",
    "TargetHealth",
]

_publish(globals(), __all__, __name__)
