"""ecsdeploy: deploy to Amazon ECS and know the truth."""

from __future__ import annotations

from importlib.metadata import version as _version

from ecsdeploy import exceptions

__version__ = _version("ecsdeploy")

__all__ = [
    "__version__",
    "exceptions",
]
