"""The `ecsdeploy` command line."""

from __future__ import annotations

import click

from ecsdeploy._front.sim_command import sim
from ecsdeploy.cli._demo import demo
from ecsdeploy.cli._deploy import deploy
from ecsdeploy.cli._iam_cmd import iam_policy_command
from ecsdeploy.cli._release_cmd import release
from ecsdeploy.cli._rollback import rollback
from ecsdeploy.cli._status import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecsdeploy")
def main() -> None:
    """Deploy to Amazon ECS, watch your own deployment, roll back when it fails.

    Exit codes of every command: 0 succeeded · 1 failed and rolled back (or rollback disabled) ·
    2 bad input or configuration, nothing changed · 3 rollback failed or state unknown.
    """


for _command in (deploy, release, status, rollback, iam_policy_command, demo, sim):
    main.add_command(_command)
