"""Fixtures for the tests that run a front (the CLI, the Drone plugin, the GitHub Action) as a
user does: one `ecsdeploy sim` process per session, each test making its own services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from tests._fixtures.simulator_process import SimulatedEcs, simulator_process

__all__ = ["simulated"]


@pytest.fixture(scope="session")
def simulated() -> Iterator[SimulatedEcs]:
    """`ecsdeploy sim` as a process, and the means to arrange and read state in it."""
    with simulator_process() as url:
        yield SimulatedEcs(url)


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """A front configures structlog for its process; the next test starts from the defaults."""
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _fresh_simulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test's services (some crash-looping) and rules leave with it: later tests neither wait
    on a busy simulator nor meet a rule meant for another test."""
    yield
    if "simulated" in request.fixturenames:
        simulated: SimulatedEcs = request.getfixturevalue("simulated")
        simulated.reset()
