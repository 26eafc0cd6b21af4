"""Benchmark: one release of many services on the simulator, fast clock, throttling on.

Prints the figures issue 5 asks for: failures caused by throttling (must be 0), DescribeServices
calls per poll tick per cluster (must be <= ceil(watched / 10)), and how far the release's wall
time is from its slowest rollout (must be within two poll intervals).

    python bench/bench_release.py --services 200
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import aioboto3
import anyio

from ecsdeploy import Deployer, DeploySettings, ImageChange, Release, RetryPolicy, Stage, Target
from ecsdeploy._deployer import observer_stats
from ecsdeploy.sim import Simulator

REGION = "us-east-2"
CLUSTER = "bench"


def setup(sim: Simulator, services: int, families: int) -> None:
    """Create the services straight on the backend: setup is not what we measure."""
    backend = sim.backend

    def call(operation: str, **params: Any) -> dict[str, Any]:
        return backend.handle(REGION, operation, params)

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
        name = f"svc-{i:03d}"
        registered = revisions[i % families]
        call(
            "CreateService",
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
            desiredCount=2,
        )


async def run(services: int, families: int, speed: float, poll: float) -> bool:
    async with Simulator(speed=speed, seed=1, throttle=True) as sim:
        setup(sim, services, families)
        await sim.advance(600)
        session = aioboto3.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
        )
        targets = [
            Target(CLUSTER, f"svc-{i:03d}", [ImageChange("app", "myorg/app:2")])
            for i in range(services)
        ]
        settings = DeploySettings(timeout=600, poll_interval=poll)
        async with Deployer(
            session=session,
            region=REGION,
            endpoint_url=sim.endpoint_url,
            settings=settings,
            retry=RetryPolicy(initial_wait=0.05, max_wait=2.0),
        ) as deployer:
            before = sim.stats()["calls"]
            started = time.monotonic()
            result = await deployer.release(
                Release([Stage("all", targets)], max_concurrency=services)
            )
            ended = time.monotonic()
            # Simulated time runs `speed` times faster: map ECS's event timestamps to wall time.
            sim_at_end = sim.clock.now()
            observed = observer_stats(deployer, CLUSTER)
        stats = sim.stats()
    calls = {op: n - before.get(op, 0) for op, n in stats["calls"].items()}
    outcomes = [s.result for s in result.services if s.result is not None]
    throttle_failures = [r for r in outcomes if "Throttl" in r.reason]

    def completed_wall(events_completed_at: float) -> float:
        return ended - (sim_at_end - events_completed_at) / speed

    completions = [
        completed_wall(e.created_at)
        for r in outcomes
        for e in r.events
        if f"(deployment {r.deployment_id}) deployment completed" in e.message
    ]
    last_completion = max(completions) if completions else float("nan")
    slowest = max(r.duration for r in outcomes)
    describe = calls.get("DescribeServices", 0)
    ticks = observed.ticks
    bound_per_tick = math.ceil(services / 10)
    print(f"services                     {services}")
    print(f"outcome                      {result.outcome.value}")
    print(f"succeeded                    {sum(r.succeeded for r in outcomes)}/{services}")
    print(f"failures from throttling     {len(throttle_failures)}")
    print(f"requests throttled by 'ECS'  {sum(stats['throttled'].values())} {stats['throttled']}")
    print(f"calls                        {dict(sorted(calls.items()))}")
    print(f"poll ticks                   {ticks}")
    print(
        f"DescribeServices             {describe} = {observed.tick_describe_calls} by ticks "
        f"+ {observed.batched_reads} batched one-off reads"
    )
    print(
        f"  per tick                   {observed.tick_describe_calls / max(ticks, 1):.2f} "
        f"for {observed.watched_services / max(ticks, 1):.1f} services watched on average "
        f"(bound ceil(watched/10), at most {bound_per_tick})"
    )
    print(f"release wall time            {ended - started:.2f} s")
    print(f"slowest deployment           {slowest:.2f} s (PREFLIGHT to SUCCEEDED)")
    print(
        f"release end - last rollout completed in ECS  {ended - last_completion:.2f} s "
        f"(bound 2 x poll = {2 * poll:.2f} s)"
    )
    ok_calls = describe == observed.tick_describe_calls + observed.batched_reads and (
        observed.tick_describe_calls <= sum(1 for _ in range(ticks)) * bound_per_tick
    )
    return (
        not throttle_failures
        and result.succeeded
        and ok_calls
        and ended - last_completion <= 2 * poll
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument(
        "--families",
        type=int,
        default=0,
        help="task-definition families the services share (default: one each); services that"
        " share one get one new revision, so registration quotas stop dominating",
    )
    parser.add_argument("--speed", type=float, default=200.0)
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval, wall seconds")
    args = parser.parse_args()
    families = args.families or args.services
    ok = anyio.run(run, args.services, families, args.speed, args.poll)
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
