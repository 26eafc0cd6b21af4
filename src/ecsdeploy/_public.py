"""Exported names say where users import them from, not where they are defined."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["publish"]


def publish(namespace: Mapping[str, Any], names: Iterable[str], module: str) -> None:
    """Set `__module__` of the exported classes and functions to the public `module`, so reprs,
    tracebacks and documentation say `ecsdeploy.Target`, never `ecsdeploy._models.Target`."""
    for name in names:
        value = namespace[name]
        if inspect.isclass(value) or inspect.isfunction(value):
            value.__module__ = module
