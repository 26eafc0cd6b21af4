"""``ecsdeploy release FILE.toml``: run a release file (stages of services)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ecsdeploy import load_release
from ecsdeploy._front.errors import report_release, run_async
from ecsdeploy._front.logs import configure_library_logging, default_log_format
from ecsdeploy._front.presenter import choose_presenter
from ecsdeploy._release.runner import repeated_services
from ecsdeploy.cli._options import DeployOptions, deploy_options
from ecsdeploy.cli._plans import print_plans
from ecsdeploy.exceptions import InputError

__all__ = ["release"]


@click.command("release")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Plan every service and print its diff.")
@deploy_options
def release(*, file: Path, dry_run: bool, options: DeployOptions) -> None:
    """Run the release described in FILE: stages in order, services of a stage at once.

    Options given here override the file's settings for every service. Exit code: 0 all
    succeeded, 1 a service failed (and the release was rolled back as the file says), 2 bad
    input (nothing changed), 3 a rollback failed or state unknown.
    """
    aws = options.aws

    async def main() -> int:
        the_release = load_release(file, overrides=options.overrides(), environ=os.environ)
        # Services and one-off tasks that name their own region need no default one.
        regions = [*(t.region for t in the_release.targets), *(t.region for t in the_release.tasks)]
        fallback = next((region for region in regions if region), None)
        if dry_run:
            configure_library_logging(options.log_format or default_log_format())
            async with await aws.deployer(fallback_region=fallback) as deployer:
                # What the release itself refuses before any change, the dry run refuses too.
                repeated = repeated_services(the_release, deployer.default_region)
                if repeated:
                    raise InputError("; ".join(repeated))
                return await print_plans(deployer, the_release.targets, the_release.tasks)
        presenter = choose_presenter(
            the_release.targets,
            live=options.live,
            log_format=options.log_format,
            default_region=aws.resolve_region(fallback=fallback),
        )
        deployer = await aws.deployer(listeners=[presenter], fallback_region=fallback)
        async with deployer:
            with presenter:
                result = await deployer.release(the_release)
        return report_release(presenter, result)

    run_async(main, mutating=not dry_run)
