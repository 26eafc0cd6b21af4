"""ecsdeploy: deploy to Amazon ECS and know the truth."""

from __future__ import annotations

from importlib.metadata import version as _version

from ecsdeploy import checks, exceptions
from ecsdeploy._deployer import Deployer
from ecsdeploy._models import (
    ContainerExit,
    Observation,
    Outcome,
    Phase,
    ServiceEvent,
    Status,
    StoppedTask,
    Target,
    Transition,
    Verdict,
)
from ecsdeploy._public import publish as _publish
from ecsdeploy._ratelimit import Rate
from ecsdeploy._release.file import load_release, parse_release
from ecsdeploy._release.model import (
    Location,
    Release,
    ReleaseResult,
    ServiceOutcome,
    ServiceState,
    Stage,
)
from ecsdeploy._release.tasks import OneOffTask, TaskOutcome, TaskState
from ecsdeploy._result import DeployEvent, DeployPlan, DeployResult, EventKind, ExitCode
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import (
    Change,
    ImageChange,
    SetEnv,
    SetSecret,
    UnsetEnv,
    UnsetSecret,
    parse_env_change,
    parse_image_change,
    parse_secret_change,
    parse_unset_env,
    parse_unset_secret,
)
from ecsdeploy._taskdef.images import ImageReference, parse_image_reference
from ecsdeploy._taskdef.redaction import Redactor, redact_task_definition
from ecsdeploy._taskdef.revision import DiffEntry, build_revision, container_names, diff_revisions
from ecsdeploy.checks import HealthCheck

__version__ = _version("ecsdeploy")

# Sorted case-insensitively (tests/test_package.py checks it), not in ruff's isort order.
__all__ = [  # noqa: RUF022
    "__version__",
    "build_revision",
    "Change",
    "checks",
    "container_names",
    "ContainerExit",
    "Deployer",
    "DeployEvent",
    "DeployPlan",
    "DeployResult",
    "DeploySettings",
    "diff_revisions",
    "DiffEntry",
    "EventKind",
    "exceptions",
    "ExitCode",
    "HealthCheck",
    "ImageChange",
    "ImageReference",
    "load_release",
    "Location",
    "Observation",
    "OneOffTask",
    "Outcome",
    "parse_env_change",
    "parse_image_change",
    "parse_image_reference",
    "parse_release",
    "parse_secret_change",
    "parse_unset_env",
    "parse_unset_secret",
    "Phase",
    "Rate",
    "redact_task_definition",
    "Redactor",
    "Release",
    "ReleaseResult",
    "RetryPolicy",
    "ServiceEvent",
    "ServiceOutcome",
    "ServiceState",
    "SetEnv",
    "SetSecret",
    "Stage",
    "Status",
    "StoppedTask",
    "Target",
    "TaskOutcome",
    "TaskState",
    "Transition",
    "UnsetEnv",
    "UnsetSecret",
    "Verdict",
]

_publish(globals(), __all__, __name__)
