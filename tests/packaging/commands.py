"""Finding our console scripts the way a user's shell would after `pip install`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


def console_script(name: str) -> str:
    """The path of one of our commands: beside this Python (the test venv), else on PATH."""
    beside_python = Path(sys.executable).with_name(name)
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"the {name!r} command is not installed; pip install -e . first")
    return found
