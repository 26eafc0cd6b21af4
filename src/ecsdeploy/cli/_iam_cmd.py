"""``ecsdeploy iam-policy``: the least-privilege policy, ready for `aws iam create-policy`."""

from __future__ import annotations

import json

import click

from ecsdeploy._iam import iam_policy

__all__ = ["iam_policy_command"]


@click.command("iam-policy")
@click.option(
    "--assume-role",
    "assume_role",
    metavar="ROLE_ARN",
    help="Also allow sts:AssumeRole on this role (cross-account deploys, Drone's aws_role_arn).",
)
@click.option(
    "--run-tasks",
    is_flag=True,
    help="Also allow ecs:RunTask and ecs:StopTask (release files with [[stage.task]]).",
)
def iam_policy_command(*, assume_role: str | None, run_tasks: bool) -> None:
    """Print the IAM policy (JSON) that ecsdeploy needs to deploy."""
    policy = iam_policy(assume_role_arn=assume_role, run_tasks=run_tasks)
    click.echo(json.dumps(policy, indent=2))
