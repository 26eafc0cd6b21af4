"""The dynamics are event-driven and cheap: big deployments, many services, little memory."""

from __future__ import annotations

import time
import tracemalloc

from tests.sim.backend_fixtures import Sim


def _fleet(sim: Sim, services: int, desired: int) -> tuple[str, str]:
    """`services` services of `desired` tasks each on web:1; returns (web:1, web:2) ARNs."""
    sim.call("CreateCluster", clusterName="prod")
    first = sim.register("myorg/web:1")
    second = sim.register("myorg/web:2")
    for index in range(services):
        sim.backend.handle(
            sim.region,
            "CreateService",
            {
                "cluster": "prod",
                "serviceName": f"svc{index}",
                "taskDefinition": first,
                "desiredCount": desired,
            },
        )
    return first, second


def test_100_rollouts_outpace_a_speed_100_clock() -> None:
    """100 services of 10 tasks roll out over 10 simulated minutes, polled like a deployer
    would, in far less than the 6 s of wall time a speed-100 clock gives them."""
    sim = Sim()
    _, second = _fleet(sim, 100, 10)
    sim.advance(60)
    started = time.perf_counter()
    for index in range(100):
        sim.backend.handle(
            sim.region,
            "UpdateService",
            {"cluster": "prod", "service": f"svc{index}", "taskDefinition": second},
        )
    for second_elapsed in range(600):
        sim.advance(1)
        if second_elapsed % 5 == 0:
            for batch in range(0, 100, 10):
                sim.backend.handle(
                    sim.region,
                    "DescribeServices",
                    {"cluster": "prod", "services": [f"svc{i}" for i in range(batch, batch + 10)]},
                )
    assert time.perf_counter() - started < 3.0
    for index in range(0, 100, 10):
        services = sim.call(
            "DescribeServices",
            cluster="prod",
            services=[f"svc{i}" for i in range(index, index + 10)],
        )["services"]
        assert {s["deployments"][0]["rolloutState"] for s in services} == {"COMPLETED"}


def test_1000_services_of_10_tasks_fit_in_little_memory() -> None:
    sim = Sim()
    tracemalloc.start()
    try:
        _fleet(sim, 1000, 10)
        sim.advance(60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sim.call("DescribeClusters", clusters=["prod"])["clusters"][0]["runningTasksCount"] == (
        10_000
    )
    assert peak < 100 * 1024 * 1024


def test_steady_services_schedule_nothing() -> None:
    """Once steady, nothing is scheduled for a service: idle time costs nothing."""
    sim = Sim()
    _fleet(sim, 10, 5)
    sim.advance(60)
    assert sim.backend._world.pending_actions == 0
