"""Values CI systems pass as strings (Drone's PLUGIN_*, GitHub's INPUT_*), read one way."""

from __future__ import annotations

__all__ = ["boolean"]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def boolean(value: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case; empty is false); ValueError for anything else."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")
