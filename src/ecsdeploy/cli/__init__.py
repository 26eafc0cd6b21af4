"""The `ecsdeploy` command line."""

from __future__ import annotations

import click

from ecsdeploy.cli._sim import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecsdeploy")
def main() -> None:
    """Deploy to Amazon ECS, watch your own deployment, roll back when it fails."""


main.add_command(sim)
