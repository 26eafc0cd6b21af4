"""``ecsdeploy deploy``: new images, environment or secrets for one or more services."""

from __future__ import annotations

import click

from ecsdeploy._front.errors import report_deploys, run_async
from ecsdeploy._front.logs import configure_library_logging, default_log_format
from ecsdeploy._front.presenter import choose_presenter
from ecsdeploy._models import Target
from ecsdeploy._taskdef.changes import (
    Change,
    parse_env_change,
    parse_image_change,
    parse_secret_change,
    parse_unset_env,
    parse_unset_secret,
)
from ecsdeploy.cli._options import DeployOptions, change_parser, deploy_options
from ecsdeploy.cli._plans import print_plans

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
@click.option("--dry-run", is_flag=True, help="Print the new revision's diff; change nothing.")
@deploy_options
def deploy(
    *,
    cluster: str,
    services: tuple[str, ...],
    images: tuple[Change, ...],
    set_env: tuple[Change, ...],
    unset_env: tuple[Change, ...],
    set_secrets: tuple[Change, ...],
    unset_secrets: tuple[Change, ...],
    dry_run: bool,
    options: DeployOptions,
) -> None:
    """Deploy changes to services, watch the rollout, roll back if it fails.

    Several --service options deploy concurrently, each to a new revision of its own task
    definition. Exit code: 0 succeeded, 1 failed (rolled back), 2 bad input (nothing changed),
    3 rollback failed or state unknown.
    """
    changes = (*images, *set_env, *unset_env, *set_secrets, *unset_secrets)
    aws = options.aws
    targets = [
        Target(cluster, service, changes, role_arn=aws.role_arn, external_id=aws.external_id)
        for service in dict.fromkeys(services)
    ]
    settings = options.settings

    async def main() -> int:
        if dry_run:
            configure_library_logging(options.log_format or default_log_format())
            async with await options.aws.deployer(settings=settings) as deployer:
                return await print_plans(deployer, targets)
        presenter = choose_presenter(
            targets,
            live=options.live,
            log_format=options.log_format,
            default_region=aws.resolve_region(),
        )
        deployer = await options.aws.deployer(settings=settings, listeners=[presenter])
        async with deployer:
            with presenter:
                results = await deployer.deploy_many(targets)
        return report_deploys(presenter, results)

    run_async(main, mutating=not dry_run)
