"""IAM for deploying across accounts: the deploy role in each target account (who may assume
it, and what it may do) and the caller's permission to assume those roles.

The deploy role's permissions are `iam_policy()`'s; its trust policy lets one principal (the CI
job's role or user) assume it, only under a session name ecsdeploy gives
(``ecsdeploy-<release or service>``, so CloudTrail says who deployed) and, when the target names
one, only with its external id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ecsdeploy._credentials import Role
from ecsdeploy._iam import iam_policy

__all__ = ["SESSION_NAME_PATTERN", "caller_policy", "cross_account_setup", "trust_policy"]

#: What ecsdeploy names its role sessions (`ecsdeploy._credentials.role_session_name`).
SESSION_NAME_PATTERN = "ecsdeploy-*"


def trust_policy(principal: str, *, external_ids: Iterable[str] = ()) -> dict[str, Any]:
    """The deploy role's trust policy: `principal` may assume it as an ecsdeploy session."""
    ids = sorted(set(external_ids))
    condition: dict[str, Any] = {"StringLike": {"sts:RoleSessionName": SESSION_NAME_PATTERN}}
    if ids:
        condition["StringEquals"] = {"sts:ExternalId": ids[0] if len(ids) == 1 else ids}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EcsDeployAssumes",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def caller_policy(role_arns: Iterable[str]) -> dict[str, Any]:
    """The caller's own policy: sts:AssumeRole on exactly the deploy roles, nothing else (ECS is
    called with the roles' credentials)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeDeployRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": sorted(set(role_arns)),
            }
        ],
    }


def cross_account_setup(
    roles: Sequence[Role],
    *,
    principal: str,
    run_tasks: bool = False,
    target_health: bool = False,
    alarms: bool = False,
) -> dict[str, Any]:
    """Everything to create for a release across accounts: per deploy role, its account, trust
    policy and permission policy (with the features asked for); and the caller's policy."""
    external_ids: dict[str, set[str]] = {}
    for role in roles:
        ids = external_ids.setdefault(role.arn, set())
        if role.external_id is not None:
            ids.add(role.external_id)
    return {
        "caller": {"principal": principal, "policy": caller_policy(external_ids)},
        "roles": [
            {
                "role_arn": arn,
                "account": Role(arn).account,
                "trust_policy": trust_policy(principal, external_ids=ids),
                "permission_policy": iam_policy(
                    run_tasks=run_tasks, target_health=target_health, alarms=alarms
                ),
            }
            for arn, ids in sorted(external_ids.items())
        ],
    }
