"""`ecsdeploy iam-policy` and the policy builder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ecsdeploy._aws_reads import IAM_ACTIONS
from ecsdeploy._iam import iam_policy
from ecsdeploy.cli import main
from tests._fixtures.release_text import org_service, release_text, stage


def actions(policy: dict[str, object]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:  # type: ignore[attr-defined]
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


def test_the_policy_grants_what_a_deployment_calls_and_no_more() -> None:
    """ECS reads and writes of a deployment, tagging on register, and PassRole to ECS tasks."""
    policy = iam_policy()
    assert policy["Version"] == "2012-10-17"
    assert actions(policy) == {
        "ecs:DescribeServices",
        "ecs:UpdateService",
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
        "ecs:DeregisterTaskDefinition",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "ecs:TagResource",
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "ecs:StopServiceDeployment",
        "iam:PassRole",
    }
    (pass_role,) = [s for s in policy["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_assume_role_adds_sts_on_that_role_only() -> None:
    """--assume-role ROLE_ARN allows sts:AssumeRole on exactly that role."""
    role = "arn:aws:iam::123456789012:role/deploy"
    result = CliRunner().invoke(main, ["iam-policy", "--assume-role", role])
    assert result.exit_code == 0
    policy = json.loads(result.stdout)
    (assume,) = [s for s in policy["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert assume["Resource"] == role
    assert "sts:AssumeRole" not in actions(iam_policy())


def test_run_tasks_adds_run_and_stop_task_only_when_asked() -> None:
    """--run-tasks (release files with [[stage.task]]) adds ecs:RunTask and ecs:StopTask; the
    task reads and PassRole are already there."""
    result = CliRunner().invoke(main, ["iam-policy", "--run-tasks"])
    assert result.exit_code == 0
    policy = json.loads(result.stdout)
    assert actions(policy) - actions(iam_policy()) == {"ecs:RunTask", "ecs:StopTask"}
    assert {"ecs:DescribeTasks", "iam:PassRole"} <= actions(policy)
    assert not {"ecs:RunTask", "ecs:StopTask"} & actions(iam_policy())


def test_health_check_flags_add_exactly_their_reads() -> None:
    """--check-target-health and --check-alarms add their reads; the plain policy has none."""
    plain = actions(iam_policy())
    result = CliRunner().invoke(main, ["iam-policy", "--check-target-health", "--check-alarms"])
    assert result.exit_code == 0
    assert actions(json.loads(result.stdout)) - plain == {
        "elasticloadbalancing:DescribeTargetHealth",
        "ecs:DescribeContainerInstances",
        "cloudwatch:DescribeAlarms",
    }
    assert actions(iam_policy(alarms=True)) - plain == {"cloudwatch:DescribeAlarms"}
    assert not any(a.startswith(("elasticloadbalancing:", "cloudwatch:")) for a in plain)


def test_every_denied_check_read_names_an_action_the_policy_grants() -> None:
    """What a MissingPermissionError asks to grant is in the policy with the check's flag."""
    granted = actions(iam_policy(target_health=True, alarms=True))
    assert set(IAM_ACTIONS.values()) <= granted


ROLE_A = "arn:aws:iam::210987654321:role/ecsdeploy"
ROLE_B = "arn:aws:iam::345678901234:role/ecsdeploy"
CI = "arn:aws:iam::111122223333:role/ci"


def test_deploy_roles_get_a_trust_policy_for_the_ci_principal_and_the_deploy_policy() -> None:
    """--role-arn x2 --trust CI: each role's account, trust (CI, ecsdeploy-* sessions) and
    permissions; the caller may assume exactly those roles."""
    argv = ["iam-policy", "--role-arn", ROLE_A, "--role-arn", ROLE_B, "--trust", CI]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    setup = json.loads(result.stdout)
    assert setup["caller"]["principal"] == CI
    (assume,) = setup["caller"]["policy"]["Statement"]
    assert (assume["Action"], assume["Resource"]) == ("sts:AssumeRole", [ROLE_A, ROLE_B])
    assert [(r["role_arn"], r["account"]) for r in setup["roles"]] == [
        (ROLE_A, "210987654321"),
        (ROLE_B, "345678901234"),
    ]
    for role in setup["roles"]:
        (trust,) = role["trust_policy"]["Statement"]
        assert trust["Principal"] == {"AWS": CI}
        assert trust["Action"] == "sts:AssumeRole"
        assert trust["Condition"] == {"StringLike": {"sts:RoleSessionName": "ecsdeploy-*"}}
        assert role["permission_policy"] == iam_policy()


def test_roles_and_external_ids_come_from_a_release_file(tmp_path: Path) -> None:
    """--release FILE: its roles, each trusting the CI only with the file's external id."""
    path = tmp_path / "release.toml"
    path.write_text(
        release_text(
            stage(
                org_service("web"),
                org_service("api", role_arn=ROLE_B),
            ),
            defaults={"cluster": "prod", "role_arn": ROLE_A, "external_id": "release-ext-id"},
        )
    )
    result = CliRunner().invoke(main, ["iam-policy", "--release", str(path), "--trust", CI])
    assert result.exit_code == 0, result.output
    roles = {r["role_arn"]: r for r in json.loads(result.stdout)["roles"]}
    (trust,) = roles[ROLE_A]["trust_policy"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"sts:ExternalId": "release-ext-id"}


def test_deploy_roles_without_a_principal_to_trust_is_a_usage_error() -> None:
    """--role-arn without --trust: exit 2 saying what is missing."""
    result = CliRunner().invoke(main, ["iam-policy", "--role-arn", ROLE_A])
    assert result.exit_code == 2
    assert "--trust" in result.output
