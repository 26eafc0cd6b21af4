"""``ecsdeploy release FILE.toml``: run a release file (stages of services)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ecsdeploy import load_release
from ecsdeploy._front.aws import AwsOptions
from ecsdeploy._front.errors import run_async
from ecsdeploy._front.logs import LogFormat, configure_library_logging, default_log_format
from ecsdeploy._front.presenter import choose_presenter
from ecsdeploy.cli._options import aws_options, output_options, settings_options
from ecsdeploy.cli._plans import print_plans

__all__ = ["release"]


@click.command("release")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Plan every service and print its diff.")
@settings_options
@aws_options
@output_options
def release(
    *,
    file: Path,
    dry_run: bool,
    timeout: float | None,
    poll_interval: float | None,
    no_rollback: bool,
    bake: float | None,
    max_checks: int | None,
    region: str | None,
    endpoint_url: str | None,
    log_format: LogFormat | None,
    no_live: bool,
) -> None:
    """Run the release described in FILE: stages in order, services of a stage at once.

    Options given here override the file's settings for every service. Exit code: 0 all
    succeeded, 1 a service failed (and the release was rolled back as the file says), 2 bad
    input (nothing changed), 3 a rollback failed or state unknown.
    """
    overrides: dict[str, Any] = {
        "timeout": timeout,
        "poll_interval": poll_interval,
        "rollback": False if no_rollback else None,
        "bake": bake,
        "max_checks": max_checks,
        "region": region,
    }
    aws = AwsOptions(region, endpoint_url)

    async def main() -> int:
        the_release = load_release(
            file,
            overrides={k: v for k, v in overrides.items() if v is not None},
            environ=os.environ,
        )
        # Services that name their own region need no default one.
        fallback = next((t.region for t in the_release.targets if t.region), None)
        if dry_run:
            configure_library_logging(log_format or default_log_format())
            async with aws.deployer(fallback_region=fallback) as deployer:
                return await print_plans(deployer, the_release.targets)
        presenter = choose_presenter(the_release.targets, live=not no_live, log_format=log_format)
        async with aws.deployer(listeners=[presenter], fallback_region=fallback) as deployer:
            with presenter:
                result = await deployer.release(the_release)
        presenter.release_result(result)
        if result.error:
            click.echo(f"Error: {result.error}", err=True)
        return result.exit_code

    run_async(main, mutating=not dry_run)
