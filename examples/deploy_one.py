"""Deploy a new image to one ECS service, watch it, and exit with ecsdeploy's exit code.

    AWS_REGION=us-east-2 python examples/deploy_one.py \\
        --cluster prod --service web --container web --image myorg/web:2.0

The AWS SDK reads credentials and the region the usual way, and `AWS_ENDPOINT_URL_ECS` when it is
set (point it at `ecsdeploy sim` to try this without an AWS account). The exit code is the one
every ecsdeploy front uses: 0 succeeded, 1 failed and rolled back, 2 bad input and nothing
changed, 3 the rollback failed or the state is unknown.
"""

from __future__ import annotations

import argparse
import sys

import anyio
import structlog

from ecsdeploy import Deployer, DeployResult, ImageChange, Target


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--container", required=True, help="the container whose image changes")
    parser.add_argument("--image", required=True, help="the image to deploy, e.g. myorg/web:2.0")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for rollout")
    parser.add_argument("--poll-interval", type=float, default=5, help="seconds between polls")
    return parser.parse_args(argv)


def report(result: DeployResult) -> None:
    print(f"{result.target}: {result.outcome.value} in {result.duration:.1f}s")
    if result.reason:
        print(f"  reason: {result.reason}")
    if result.succeeded:
        print(f"  now running: {result.task_definition_arn}")
    elif result.rolled_back_by:
        print(f"  rolled back by {result.rolled_back_by} to: {result.previous_task_definition_arn}")
    for task in result.stopped_tasks:
        print(f"  {task.describe()}")


async def deploy(arguments: argparse.Namespace) -> int:
    target = Target(
        arguments.cluster, arguments.service, [ImageChange(arguments.container, arguments.image)]
    )
    # With no session, region or endpoint given, the Deployer uses the SDK's defaults:
    # AWS_REGION and AWS_ENDPOINT_URL_ECS from the environment.
    async with Deployer() as deployer:
        result = await deployer.deploy(
            target, timeout=arguments.timeout, poll_interval=arguments.poll_interval
        )
    report(result)
    return result.exit_code


def main() -> None:
    # ecsdeploy logs every step with structlog; keep those on stderr so stdout is the report.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    sys.exit(anyio.run(deploy, parse_arguments()))


if __name__ == "__main__":
    main()
