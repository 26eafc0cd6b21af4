"""Fuzzing profiles: a quick one for the test run, a deep one for `nox -s soak`.

HYPOTHESIS_PROFILE=fuzz-deep (what `nox -s soak` sets) runs many more examples per parser.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz-quick",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz-deep",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FUZZ_PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz-quick"))
