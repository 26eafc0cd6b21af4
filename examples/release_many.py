"""Release one image to many ECS services at once: a canary first, then the rest together.

    AWS_REGION=us-east-2 python examples/release_many.py \\
        --cluster prod --container app --image myorg/app:2.0 \\
        --canary api --service worker --service scheduler --service web

A `Release` is built in Python from `Stage`s of `Target`s. Services in a stage deploy
concurrently (sharing one poll loop per cluster, so fifty services cost a handful of API calls
per tick); a stage starts only when the one before it succeeded. The release is atomic: if any
service fails, every service it changed is rolled back, so the fleet never runs two versions.
Every target is validated before the first stage starts, so a typo in the last stage changes
nothing. The endpoint and region come from the environment as in deploy_one.py.
"""

from __future__ import annotations

import argparse
import sys

import anyio
import structlog

from ecsdeploy import (
    Deployer,
    DeploySettings,
    ImageChange,
    Release,
    ReleaseResult,
    Stage,
    Target,
)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--container", required=True, help="the container to update everywhere")
    parser.add_argument("--image", required=True, help="the image to deploy, e.g. myorg/app:2.0")
    parser.add_argument("--canary", help="a service to deploy alone before the others")
    parser.add_argument(
        "--service", action="append", required=True, help="a service to deploy (repeatable)"
    )
    parser.add_argument(
        "--keep-successes",
        action="store_true",
        help="on failure roll back only the failed services, not the whole release",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per service rollout")
    parser.add_argument("--poll-interval", type=float, default=5, help="seconds between polls")
    return parser.parse_args(argv)


def build_release(arguments: argparse.Namespace) -> Release:
    change = ImageChange(arguments.container, arguments.image)
    stages = []
    if arguments.canary:
        stages.append(Stage("canary", [Target(arguments.cluster, arguments.canary, [change])]))
    fleet = [Target(arguments.cluster, service, [change]) for service in arguments.service]
    stages.append(Stage("fleet", fleet))
    return Release(stages, atomic=not arguments.keep_successes, name=arguments.image)


def summarize(result: ReleaseResult) -> None:
    print(f"release {result.release.name}: {result.outcome.value} in {result.duration:.1f}s")
    if result.error:
        print(f"  {result.error}")
    for service in result.services:
        print(f"  {service.stage:<8} {service.target!s:<32} {service.state:<16} {service.reason}")


async def release(arguments: argparse.Namespace) -> int:
    plan = build_release(arguments)
    # A release's deployments take their settings from the Deployer (or from each Target).
    settings = DeploySettings(timeout=arguments.timeout, poll_interval=arguments.poll_interval)
    async with Deployer(settings=settings) as deployer:
        result = await deployer.release(plan)
    summarize(result)
    return result.exit_code


def main() -> None:
    # ecsdeploy logs every step with structlog; keep those on stderr so stdout is the summary.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    sys.exit(anyio.run(release, parse_arguments()))


if __name__ == "__main__":
    main()
