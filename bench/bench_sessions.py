"""Benchmark: the CPU a new AWS session's first clients cost.

A release across accounts and regions opens one session per (role, region) — and every
Deployer one of its own — each with ECS, ELBv2 and CloudWatch clients. botocore parses its
service models and endpoint rules per session unless the sessions share a data loader, which
`ecsdeploy._aws_session` makes them do. This opens N sessions with three clients each, first
as plain aioboto3 sessions, then as ecsdeploy's, and prints the CPU milliseconds per session
and the process's peak RSS.

    python bench/bench_sessions.py --sessions 30
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections.abc import Callable

import aioboto3

from ecsdeploy._aws_session import new_session

SERVICES = ("ecs", "elbv2", "cloudwatch")
REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-2", "sa-east-1")


async def open_sessions(make: Callable[[str], aioboto3.Session], sessions: int) -> float:
    """CPU milliseconds per session for `sessions` sessions with a client of each service."""
    started = time.process_time()
    for number in range(sessions):
        region = REGIONS[number % len(REGIONS)]
        session = make(region)
        for service in SERVICES:
            async with session.client(service, endpoint_url="http://127.0.0.1:9"):
                pass
    return (time.process_time() - started) * 1000 / sessions


def plain(region: str) -> aioboto3.Session:
    return aioboto3.Session(
        region_name=region, aws_access_key_id="bench", aws_secret_access_key="bench"
    )


def shared(region: str) -> aioboto3.Session:
    return new_session(region_name=region, aws_access_key_id="bench", aws_secret_access_key="bench")


async def run(sessions: int) -> None:
    # Python's own imports and first-call caches are not what is measured: warm both up.
    await open_sessions(plain, 1)
    await open_sessions(shared, 1)
    each_plain = await open_sessions(plain, sessions)
    each_shared = await open_sessions(shared, sessions)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{sessions} sessions, clients of {', '.join(SERVICES)} each:")
    print(f"  aioboto3.Session():   {each_plain:6.1f} ms of CPU per session")
    print(f"  ecsdeploy's sessions: {each_shared:6.1f} ms of CPU per session")
    print(f"  ratio {each_plain / each_shared:.1f}x; peak RSS {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=30)
    asyncio.run(run(parser.parse_args().sessions))


if __name__ == "__main__":
    main()
