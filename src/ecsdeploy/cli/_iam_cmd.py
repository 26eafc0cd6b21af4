"""``ecsdeploy iam-policy``: the least-privilege policy, ready for `aws iam create-policy`; with
deploy roles, the whole cross-account set-up (each role's trust and permissions, the caller's)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ecsdeploy._credentials import Role
from ecsdeploy._iam import iam_policy
from ecsdeploy._iam_roles import cross_account_setup
from ecsdeploy._release.file import load_release
from ecsdeploy.exceptions import InputError

__all__ = ["iam_policy_command"]


@click.command("iam-policy")
@click.option(
    "--assume-role",
    "assume_role",
    metavar="ROLE_ARN",
    help="Also allow sts:AssumeRole on this role (a caller that deploys with its own "
    "credentials and assumes a role too, e.g. Drone's aws_role_arn).",
)
@click.option(
    "--run-tasks",
    is_flag=True,
    help="Also allow ecs:RunTask and ecs:StopTask (release files with [[stage.task]]).",
)
@click.option(
    "--check-target-health",
    "target_health",
    is_flag=True,
    help="Also allow the reads of the target-health check (ELBv2 target health).",
)
@click.option(
    "--check-alarms",
    "alarms",
    is_flag=True,
    help="Also allow the reads of the alarm check (cloudwatch:DescribeAlarms).",
)
@click.option(
    "--role-arn",
    "role_arns",
    multiple=True,
    metavar="ROLE_ARN",
    help="A deploy role in a target account (repeatable): print its trust and permission "
    "policies and the caller's sts:AssumeRole policy. Needs --trust.",
)
@click.option(
    "--release",
    "release_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Take the deploy roles (and external ids) from this release file. Needs --trust.",
)
@click.option(
    "--external-id",
    metavar="ID",
    help="The external id the --role-arn roles require (sts:ExternalId in their trust).",
)
@click.option(
    "--trust",
    "principal",
    metavar="PRINCIPAL_ARN",
    help="Who runs ecsdeploy and assumes the deploy roles (the CI job's role or user ARN).",
)
def iam_policy_command(
    *,
    assume_role: str | None,
    run_tasks: bool,
    target_health: bool,
    alarms: bool,
    role_arns: tuple[str, ...],
    release_file: Path | None,
    external_id: str | None,
    principal: str | None,
) -> None:
    """Print the IAM policy (JSON) that ecsdeploy needs to deploy.

    With --role-arn or --release, print instead what a release across accounts needs: for each
    deploy role, its account, its trust policy (PRINCIPAL may assume it, as an ecsdeploy-*
    session, with the external id if one is set) and its permission policy; and the policy of
    the caller (sts:AssumeRole on those roles).
    """
    roles = [Role(arn, external_id) for arn in role_arns]
    if release_file is not None:
        try:
            release = load_release(release_file, environ=os.environ)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--release") from exc
        roles += [Role(t.role_arn, t.external_id) for t in release.targets if t.role_arn]
    if not roles:
        if role_arns or release_file is not None:
            raise click.UsageError("the release file names no role_arn")
        policy = iam_policy(
            assume_role_arn=assume_role,
            run_tasks=run_tasks,
            target_health=target_health,
            alarms=alarms,
        )
        click.echo(json.dumps(policy, indent=2))
        return
    if principal is None:
        raise click.UsageError(
            "--trust PRINCIPAL_ARN is required with deploy roles: who assumes them "
            "(e.g. arn:aws:iam::111122223333:role/ci)"
        )
    for role in roles:
        try:
            role.check()
        except InputError as exc:
            raise click.UsageError(str(exc)) from exc
    setup = cross_account_setup(
        roles, principal=principal, run_tasks=run_tasks, target_health=target_health, alarms=alarms
    )
    click.echo(json.dumps(setup, indent=2))
