"""Benchmark: can the simulator keep up with a fast clock, and how big is a large account?

1. 100 services x 10 tasks roll out over 10 simulated minutes, polled like a Deployer polls them
   (DescribeServices for all services every 5 simulated seconds). The simulator keeps up with
   `--speed 100` on one core if that takes less than 600 / 100 = 6 s of CPU.
2. 1,000 services x 10 tasks, steady, must fit in 500 MB.

    python bench/bench_sim.py
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
from typing import Any

from ecsdeploy.sim import EcsBackend, SimClock

REGION = "us-east-2"


class Account:
    def __init__(self) -> None:
        self.clock = SimClock(speed=0, start=1_800_000_000.0)
        self.backend = EcsBackend(self.clock, seed=1)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        return self.backend.handle(REGION, operation, params)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.backend.catch_up()

    def fleet(self, services: int, tasks: int) -> str:
        """`services` steady services of `tasks` tasks; returns the ARN of a second revision."""
        self.call("CreateCluster", clusterName="bench")
        arns = [
            self.call(
                "RegisterTaskDefinition",
                family="web",
                containerDefinitions=[{"name": "web", "image": f"myorg/web:{v}", "memory": 128}],
            )["taskDefinition"]["taskDefinitionArn"]
            for v in (1, 2)
        ]
        for i in range(services):
            self.call(
                "CreateService",
                cluster="bench",
                serviceName=f"svc-{i:04d}",
                taskDefinition=arns[0],
                desiredCount=tasks,
            )
        self.advance(600)
        return str(arns[1])


def rollout_keeps_up(services: int = 100, tasks: int = 10, speed: float = 100.0) -> bool:
    account = Account()
    new = account.fleet(services, tasks)
    names = [f"svc-{i:04d}" for i in range(services)]
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    for name in names:
        account.call("UpdateService", cluster="bench", service=name, taskDefinition=new)
    completed_at = None
    for second in range(0, 601, 5):
        account.advance(5)
        states = []
        for batch in range(0, services, 10):
            described = account.call(
                "DescribeServices", cluster="bench", services=names[batch : batch + 10]
            )
            states += [s["deployments"][0].get("rolloutState") for s in described["services"]]
        if completed_at is None and set(states) == {"COMPLETED"}:
            completed_at = second + 5
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - wall_started
    budget = 600 / speed
    print(f"rollout of {services} services x {tasks} tasks over 600 simulated s")
    print(f"  all COMPLETED after          {completed_at} simulated s")
    print(f"  CPU used                     {cpu:.2f} s (budget at speed {speed:g}: {budget:.2f} s)")
    print(f"  wall used                    {wall:.2f} s")
    print(f"  fastest clock it keeps up with  speed {600 / cpu:.0f}")
    return completed_at is not None and cpu < budget


def memory_fits(services: int = 1000, tasks: int = 10, limit_mb: float = 500.0) -> bool:
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    account = Account()
    account.fleet(services, tasks)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    running = sum(
        len(account.call("ListTasks", cluster="bench", serviceName=f"svc-{i:04d}")["taskArns"])
        for i in range(0, services, 100)
    )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{services} services x {tasks} tasks, steady")
    print(f"  tasks running (sampled 1 in 100 services x {tasks})  {running}")
    print(f"  Python heap held             {current / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)")
    print(
        f"  process max RSS              {rss_after:.1f} MB (before the fleet: {rss_before:.1f} MB)"
    )
    return current / 2**20 < limit_mb and rss_after < limit_mb


def main() -> None:
    ok = rollout_keeps_up()
    ok = memory_fits() and ok
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
