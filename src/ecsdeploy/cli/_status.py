"""``ecsdeploy status``: what a service is doing now and why its tasks stopped."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from ecsdeploy._deployer import gateway_of
from ecsdeploy._front.aws import AwsOptions
from ecsdeploy._front.errors import run_async
from ecsdeploy._front.logs import configure_library_logging, default_log_format
from ecsdeploy._models import StoppedTask
from ecsdeploy.cli._options import aws_options
from ecsdeploy.cli._status_view import status_view

__all__ = ["status"]

#: Where no terminal says how wide it is (CI logs, pipes), wide enough not to cut ARNs short.
LOG_WIDTH = 200


@click.command("status")
@click.option("--cluster", required=True, help="The ECS cluster.")
@click.option("--service", required=True, help="The ECS service.")
@aws_options
def status(
    *,
    cluster: str,
    service: str,
    region: str | None,
    endpoint_url: str | None,
    role_arn: str | None,
    external_id: str | None,
) -> None:
    """Show a service's deployments, recent events and recently stopped tasks with their
    reasons (stoppedReason, stopCode, exit codes). Changes nothing."""
    aws = AwsOptions(region, endpoint_url, role_arn, external_id=external_id)

    async def main() -> int:
        configure_library_logging(default_log_format())
        async with await aws.deployer() as deployer:
            gateway = await gateway_of(deployer)
            described = await gateway.describe_service(cluster, service)
            arns = await gateway.list_tasks(cluster, service_name=service, desired_status="STOPPED")
            tasks = await gateway.describe_tasks(cluster, arns) if arns else []
        stopped = [StoppedTask.from_api(task) for task in tasks]
        Console(width=None if sys.stdout.isatty() else LOG_WIDTH).print(
            status_view(described, stopped)
        )
        return 0

    run_async(main, mutating=False)
