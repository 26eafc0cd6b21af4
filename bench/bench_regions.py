"""Benchmark: one release of the same services in five regions, throttling on.

ECS's quotas are per account and Region, and so are ecsdeploy's rate limiters: a release across
five regions should take as long as the same release in one region, not five times as long.
This runs the 200 services in one region, then in five (1000 deployments), on the simulator with
its request throttling on (token buckets refilled on the wall clock), and prints both wall times
and the ratio. Ten shared families make UpdateService's quota (5/s after a burst of 50) the pace:
one region needs ~30 s for 200 updates, one bucket shared by five regions would need ~190 s.

    python bench/bench_regions.py --services 200 --regions 5
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import aioboto3
import anyio
import structlog

from ecsdeploy import Deployer, DeploySettings, ImageChange, Release, RetryPolicy, Stage, Target
from ecsdeploy._deployer import pacing_of
from ecsdeploy.sim import Simulator

REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-2", "sa-east-1")
CLUSTER = "bench"


def setup(sim: Simulator, regions: tuple[str, ...], services: int, families: int) -> None:
    """Create the services straight on the backend: setup is not what we measure."""
    for region in regions:

        def call(operation: str, region: str = region, **params: Any) -> dict[str, Any]:
            return sim.backend.handle(region, operation, params)

        call("CreateCluster", clusterName=CLUSTER)
        revisions = [
            call(
                "RegisterTaskDefinition",
                family=f"app-{f:03d}",
                containerDefinitions=[{"name": "app", "image": "myorg/app:1", "memory": 128}],
            )
            for f in range(families)
        ]
        for i in range(services):
            call(
                "CreateService",
                cluster=CLUSTER,
                serviceName=f"svc-{i:03d}",
                taskDefinition=revisions[i % families]["taskDefinition"]["taskDefinitionArn"],
                desiredCount=1,
            )


async def release_in(
    regions: tuple[str, ...], services: int, families: int, speed: float, poll: float
) -> tuple[float, bool, dict[str, Any]]:
    """(wall seconds, succeeded, figures) of one release of `services` in each region."""
    async with Simulator(speed=speed, seed=1, throttle=True) as sim:
        setup(sim, regions, services, families)
        await sim.advance(600)
        session = aioboto3.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name=regions[0]
        )
        targets = [
            Target(CLUSTER, f"svc-{i:03d}", [ImageChange("app", "myorg/app:2")], region=region)
            for region in regions
            for i in range(services)
        ]
        async with Deployer(
            session=session,
            region=regions[0],
            endpoint_url=sim.endpoint_url,
            settings=DeploySettings(timeout=900, poll_interval=poll),
            retry=RetryPolicy(initial_wait=0.05, max_wait=2.0),
        ) as deployer:
            started = time.monotonic()
            result = await deployer.release(
                Release([Stage("all", targets)], max_concurrency=len(targets))
            )
            wall = time.monotonic() - started
            updates = {
                region: limiter.taken("UpdateService")
                for (_, region), limiter in pacing_of(deployer).limiters.items()
            }
        stats = sim.stats()
    outcomes = [s.result for s in result.services if s.result is not None]
    figures = {
        "deployments": len(targets),
        "succeeded": sum(r.succeeded for r in outcomes),
        "throttled by 'ECS'": sum(stats["throttled"].values()),
        "UpdateService per region's limiter": updates,
    }
    return wall, result.succeeded, figures


async def run(services: int, regions: int, families: int, speed: float, poll: float) -> bool:
    one_wall, one_ok, one = await release_in(REGIONS[:1], services, families, speed, poll)
    print(f"1 region  x {services} services: {one_wall:7.2f} s wall  {one}")
    many_wall, many_ok, many = await release_in(REGIONS[:regions], services, families, speed, poll)
    print(f"{regions} regions x {services} services: {many_wall:7.2f} s wall  {many}")
    ratio = many_wall / one_wall
    print(f"{regions} regions / 1 region       {ratio:.2f} (one shared bucket would be ~{regions})")
    # Paced per region, five regions cost about one region's time (plus the CPU of five times
    # the work on a shared machine), far from five times it.
    return one_ok and many_ok and ratio < regions / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--regions", type=int, default=5, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--families", type=int, default=10)
    parser.add_argument("--speed", type=float, default=200.0)
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval, wall seconds")
    args = parser.parse_args()
    # 1000 deployments' info lines would cost more than they tell here; warnings still show.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    ok = anyio.run(run, args.services, args.regions, args.families, args.speed, args.poll)
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
