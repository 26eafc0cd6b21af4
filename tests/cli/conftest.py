"""Fixtures for the CLI tests: one simulator process for the session (each test makes its own
services); structlog restored after each test (the CLI configures it for the process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from tests.cli.simulator_process import SimulatedEcs, simulator_process


@pytest.fixture(scope="session")
def simulated() -> Iterator[SimulatedEcs]:
    with simulator_process() as url:
        yield SimulatedEcs(url)


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
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
