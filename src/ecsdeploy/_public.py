"""Exported names say where users import them from, not where they are defined."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["publish"]


def publish(namespace: Mapping[str, Any], names: Iterable[str], module: str) -> None:
    """Set `__module__` of the exported classes and functions to the public `module`, so reprs,
    tracebacks and documentation say `ecsdeploy.Target`, never `ecsdeploy._models.Target`."""
    for name in names:
        value = namespace[name]
        if inspect.isclass(value):
            _resolve_annotations(value, namespace)
        if inspect.isclass(value) or inspect.isfunction(value):
            value.__module__ = module


def _resolve_annotations(cls: type, public: Mapping[str, Any]) -> None:
    """Evaluate the class's string annotations where they were written.

    `typing.get_type_hints` evaluates a class's annotations in the module `__module__` names;
    once that is the public module, names only the defining module imports (`Mapping`,
    `RolledBackBy`) would no longer resolve. The public namespace backs up names the defining
    module imports only for type checking (an import cycle). What still does not resolve stays
    a string, as before.
    """
    annotations = inspect.get_annotations(cls)
    if not annotations:
        return
    defining = vars(sys.modules[cls.__module__])
    scope = {**public, **defining}
    cls.__annotations__ = {
        field: _evaluated(annotation, scope, dict(vars(cls)))
        for field, annotation in annotations.items()
    }


def _evaluated(annotation: Any, scope: dict[str, Any], local: dict[str, Any]) -> Any:
    """The annotation's value, or the annotation itself when it names what is not there."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, scope, local)
    except NameError:
        return annotation
