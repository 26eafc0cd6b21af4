"""Dry runs: what a deployment would change, printed as a diff; nothing is changed."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ecsdeploy._deployer import Deployer
from ecsdeploy._models import Target
from ecsdeploy._release.task_runner import check_task, default_region_of, deployed_target
from ecsdeploy._release.tasks import OneOffTask

__all__ = ["print_plans"]


async def print_plans(
    deployer: Deployer, targets: Sequence[Target], tasks: Sequence[OneOffTask] = ()
) -> int:
    """Plan every target and print its diff (secrets redacted by the planner), then check every
    one-off task and say what it would run; exit code 0.

    A bad target or task raises its InputError, which the command boundary turns into exit 2.
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
    for task in tasks:
        await check_task(deployer, task, targets)
        revision = _revision_of(task, targets, default_region_of(deployer))
        click.echo(f"{task}: would run {revision} before its stage")
        for container, argv in task.command.items():
            click.echo(f"    {container}: command {list(argv)}")
        for container, env in task.env.items():
            # Names only: values may be secrets, and a dry run's output ends up in CI logs.
            click.echo(f"    {container}: environment {sorted(env)}")
    click.echo("dry run: nothing was changed")
    return 0


def _revision_of(task: OneOffTask, targets: Sequence[Target], default_region: str | None) -> str:
    if task.task_definition is not None:
        return task.task_definition
    deployed = deployed_target(task, targets, default_region) is not None
    whose = "the revision this release deploys to" if deployed else "the current revision of"
    return f"{whose} {task.task_definition_of}"
