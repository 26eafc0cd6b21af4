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
def iam_policy_command(*, assume_role: str | None) -> None:
    """Print the IAM policy (JSON) that ecsdeploy needs to deploy."""
    click.echo(json.dumps(iam_policy(assume_role_arn=assume_role), indent=2))
