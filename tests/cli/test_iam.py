"""`ecsdeploy iam-policy` and the policy builder."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecsdeploy._aws_reads import IAM_ACTIONS
from ecsdeploy._iam import iam_policy
from ecsdeploy.cli import main


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
