"""The package's public surface."""

from __future__ import annotations

from importlib.metadata import version

import ecsdeploy


def test_all_is_sorted_and_importable() -> None:
    """Every name in __all__ exists, and __all__ is sorted so additions are easy to review."""
    assert ecsdeploy.__all__ == sorted(ecsdeploy.__all__, key=str.lower)
    for name in ecsdeploy.__all__:
        assert hasattr(ecsdeploy, name), name


def test_version_comes_from_metadata() -> None:
    """The version is the installed distribution's, not a second hand-kept string."""
    assert ecsdeploy.__version__ == version("ecsdeploy")
