"""Big accounts behave: many services roll out, thousands of tasks run, steady services idle.

How fast and how small is measured by `nox -s bench` (bench/bench_sim.py), not asserted here.
"""

from __future__ import annotations

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


def test_100_rollouts_of_10_tasks_all_complete() -> None:
    """100 services of 10 tasks, polled like a deployer polls them, all complete within 10
    simulated minutes."""
    sim = Sim()
    _, second = _fleet(sim, 100, 10)
    sim.advance(60)
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
    for index in range(0, 100, 10):
        services = sim.call(
            "DescribeServices",
            cluster="prod",
            services=[f"svc{i}" for i in range(index, index + 10)],
        )["services"]
        assert {s["deployments"][0]["rolloutState"] for s in services} == {"COMPLETED"}


def test_1000_services_of_10_tasks_all_run() -> None:
    """A large account reaches 10,000 RUNNING tasks, counted right by DescribeClusters."""
    sim = Sim()
    _fleet(sim, 1000, 10)
    sim.advance(60)
    cluster = sim.call("DescribeClusters", clusters=["prod"])["clusters"][0]
    assert cluster["runningTasksCount"] == 10_000
    assert cluster["activeServicesCount"] == 1000


def test_steady_services_schedule_nothing() -> None:
    """Once steady, nothing is scheduled for a service: idle time costs nothing."""
    sim = Sim()
    _fleet(sim, 10, 5)
    sim.advance(60)
    assert sim.backend._world.pending_actions == 0
