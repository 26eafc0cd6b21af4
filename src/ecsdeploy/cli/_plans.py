"""Dry runs: what a deployment would change, printed as a diff; nothing is changed."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ecsdeploy._deployer import Deployer
from ecsdeploy._models import Target

__all__ = ["print_plans"]


async def print_plans(deployer: Deployer, targets: Sequence[Target]) -> int:
    """Plan every target and print its diff (secrets redacted by the planner); exit code 0.

    A bad target raises its InputError, which the command boundary turns into exit 2.
    """
    for target in targets:
        plan = await deployer.plan(target)
        click.echo(f"{target}: {plan.current_task_definition_arn}")
        if plan.registers_new_revision:
            click.echo("  would register a new revision with:")
        else:
            click.echo(f"  would deploy {plan.task_definition_arn} as it is:")
        for line in plan.diff or ("(no differences)",):
            click.echo(f"    {line}")
    click.echo("dry run: nothing was changed")
    return 0
