"""``ecsdeploy deploy``: new images, environment or secrets for one or more services."""

from __future__ import annotations

import click

from ecsdeploy._changes import (
    Change,
    parse_env_change,
    parse_image_change,
    parse_secret_change,
    parse_unset_env,
    parse_unset_secret,
)
from ecsdeploy._models import Target
from ecsdeploy._result import exit_code_of_all
from ecsdeploy.cli._aws import AwsOptions
from ecsdeploy.cli._errors import run_async
from ecsdeploy.cli._logs import LogFormat, configure_library_logging, default_log_format
from ecsdeploy.cli._options import (
    aws_options,
    change_parser,
    output_options,
    settings_from,
    settings_options,
)
from ecsdeploy.cli._plans import print_plans
from ecsdeploy.cli._presenter import choose_presenter

__all__ = ["deploy"]


@click.command("deploy")
@click.option("--cluster", required=True, help="The ECS cluster.")
@click.option(
    "--service",
    "services",
    required=True,
    multiple=True,
    help="The ECS service; repeat to deploy several at once.",
)
@click.option(
    "--image",
    "images",
    multiple=True,
    metavar="CONTAINER=IMAGE",
    callback=change_parser(parse_image_change),
    help="New image for a container.",
)
@click.option(
    "--env",
    "set_env",
    multiple=True,
    metavar="CONTAINER:KEY=VALUE",
    callback=change_parser(parse_env_change),
    help="Set an environment variable.",
)
@click.option(
    "--unset-env",
    "unset_env",
    multiple=True,
    metavar="CONTAINER:KEY",
    callback=change_parser(parse_unset_env),
    help="Remove an environment variable.",
)
@click.option(
    "--secret",
    "set_secrets",
    multiple=True,
    metavar="CONTAINER:NAME=ARN",
    callback=change_parser(parse_secret_change),
    help="Set a secret (valueFrom: a Secrets Manager or SSM parameter ARN).",
)
@click.option(
    "--unset-secret",
    "unset_secrets",
    multiple=True,
    metavar="CONTAINER:NAME",
    callback=change_parser(parse_unset_secret),
    help="Remove a secret.",
)
@settings_options
@click.option("--dry-run", is_flag=True, help="Print the new revision's diff; change nothing.")
@aws_options
@output_options
def deploy(
    *,
    cluster: str,
    services: tuple[str, ...],
    images: tuple[Change, ...],
    set_env: tuple[Change, ...],
    unset_env: tuple[Change, ...],
    set_secrets: tuple[Change, ...],
    unset_secrets: tuple[Change, ...],
    timeout: float | None,
    poll_interval: float | None,
    no_rollback: bool,
    bake: float | None,
    max_checks: int | None,
    dry_run: bool,
    region: str | None,
    endpoint_url: str | None,
    log_format: LogFormat | None,
    no_live: bool,
) -> None:
    """Deploy changes to services, watch the rollout, roll back if it fails.

    Several --service options deploy concurrently, each to a new revision of its own task
    definition. Exit code: 0 succeeded, 1 failed (rolled back), 2 bad input (nothing changed),
    3 rollback failed or state unknown.
    """
    changes = (*images, *set_env, *unset_env, *set_secrets, *unset_secrets)
    aws = AwsOptions(region, endpoint_url)
    targets = [Target(cluster, service, changes) for service in dict.fromkeys(services)]
    settings = settings_from(
        timeout=timeout,
        poll_interval=poll_interval,
        no_rollback=no_rollback,
        bake=bake,
        max_checks=max_checks,
    )

    async def main() -> int:
        if dry_run:
            configure_library_logging(log_format or default_log_format())
            async with aws.deployer(settings=settings) as deployer:
                return await print_plans(deployer, targets)
        presenter = choose_presenter(targets, live=not no_live, log_format=log_format)
        async with aws.deployer(settings=settings, listeners=[presenter]) as deployer:
            with presenter:
                results = await deployer.deploy_many(targets)
        presenter.deploy_results(results)
        for result in results:
            if result.exit_code == 2:
                click.echo(f"Error: {result.target}: {result.reason}", err=True)
        return exit_code_of_all(results)

    run_async(main, mutating=not dry_run)
