"""The soak in small: 20 deployments under seeded faults end right (nox -s soak runs 200)."""

from __future__ import annotations

import pytest

from tests.soak.engine import SoakReport, _check_logs, run_soak

pytestmark = pytest.mark.anyio


async def test_twenty_deployments_under_faults_end_right() -> None:
    """Throttling, 500s, resets, latency, stale and MISSING reads: every outcome and revision
    is right, rolled-back revisions are deregistered and no secret reaches a log line."""
    report = await run_soak(deployments=20, seed=13)
    print(report.summary())
    assert report.problems == []
    assert report.deployments == 20
    assert report.outcomes["ROLLED_BACK"] >= 1
    assert report.outcomes["SUCCEEDED"] >= 1
    assert sum(report.faults_answered.values()) > 0


def test_the_soak_sees_a_secret_value_in_a_log_line() -> None:
    """The leak check is not blind: a captured event carrying a secret value is reported."""
    report = SoakReport()
    _check_logs(report, [{"event": "x", "diff": "DB_PASSWORD: hunter2"}], {"svc": "hunter2"})
    assert len(report.secret_leaks) == 1
