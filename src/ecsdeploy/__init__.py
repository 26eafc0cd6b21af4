"""ecsdeploy: deploy to Amazon ECS and know the truth."""

from __future__ import annotations

from importlib.metadata import version as _version

from ecsdeploy import exceptions
from ecsdeploy._changes import (
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
from ecsdeploy._images import ImageReference, parse_image_reference
from ecsdeploy._redaction import Redactor, redact_task_definition
from ecsdeploy._taskdef import DiffEntry, build_revision, container_names, diff_revisions

__version__ = _version("ecsdeploy")

# Sorted case-insensitively (tests/test_package.py checks it), not in ruff's isort order.
__all__ = [  # noqa: RUF022
    "__version__",
    "build_revision",
    "Change",
    "container_names",
    "diff_revisions",
    "DiffEntry",
    "exceptions",
    "ImageChange",
    "ImageReference",
    "parse_env_change",
    "parse_image_change",
    "parse_image_reference",
    "parse_secret_change",
    "parse_unset_env",
    "parse_unset_secret",
    "redact_task_definition",
    "Redactor",
    "SetEnv",
    "SetSecret",
    "UnsetEnv",
    "UnsetSecret",
]
