"""The least-privilege IAM policy ecsdeploy needs, built from the calls it actually makes.

Kept next to the code (not only in the README) so `ecsdeploy iam-policy` prints what this version
of the library uses: a call added to the gateway is added here, and a test pins the list.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALARMS_ACTIONS",
    "ECS_ACTIONS",
    "RUN_TASK_ACTIONS",
    "SERVICE_DEPLOYMENT_ACTIONS",
    "TARGET_HEALTH_ACTIONS",
    "iam_policy",
    "run_task_statement",
]

#: Every ECS action the Deployer's gateway calls. RegisterTaskDefinition copies the current
#: revision's tags, and tagging on create is authorized as ecs:TagResource.
ECS_ACTIONS: tuple[str, ...] = (
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListTasks",
    "ecs:RegisterTaskDefinition",
    "ecs:TagResource",
    "ecs:UpdateService",
)

#: What the TargetHealth check reads: its targets' health, and for bridge/host tasks the EC2 id
#: of their container instance (tasks are already read with ECS_ACTIONS).
TARGET_HEALTH_ACTIONS: tuple[str, ...] = (
    "ecs:DescribeContainerInstances",
    "elasticloadbalancing:DescribeTargetHealth",
)
#: What the Alarms check reads.
ALARMS_ACTIONS: tuple[str, ...] = ("cloudwatch:DescribeAlarms",)

#: ECS's service-deployment API: ListServiceDeployments finds our deployment's record,
#: DescribeServiceDeployments follows it (lifecycle stages of BLUE_GREEN / LINEAR / CANARY, the
#: circuit breaker's count, alarms, ECS's rollback), StopServiceDeployment(ROLLBACK) is our
#: rollback. Without them a deployment still works: it is watched through DescribeServices and
#: rolled back with UpdateService.
SERVICE_DEPLOYMENT_ACTIONS: tuple[str, ...] = (
    "ecs:DescribeServiceDeployments",
    "ecs:ListServiceDeployments",
    "ecs:StopServiceDeployment",
)


def iam_policy(
    *,
    assume_role_arn: str | None = None,
    run_tasks: bool = False,
    target_health: bool = False,
    alarms: bool = False,
) -> dict[str, Any]:
    """An IAM policy document granting what a deployment needs, and nothing else.

    Task-definition actions do not support resource-level permissions, hence `"*"`. PassRole is
    needed because registering a revision re-passes its task and execution roles; the condition
    lets those roles be passed to ECS tasks only. With `assume_role_arn`, the caller may also
    assume that role (cross-account deploys, the Drone plugin's `aws_role_arn`). With
    `run_tasks`, it may also run and stop a release's one-off tasks (see `run_task_statement`).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EcsDeploy",
            "Effect": "Allow",
            "Action": list(ECS_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "EcsServiceDeployments",
            "Effect": "Allow",
            "Action": list(SERVICE_DEPLOYMENT_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "PassTaskRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
    ]
    if run_tasks:
        statements.insert(1, run_task_statement())
    checks = [
        *(TARGET_HEALTH_ACTIONS if target_health else ()),
        *(ALARMS_ACTIONS if alarms else ()),
    ]
    if checks:
        statements.append(
            {"Sid": "HealthCheckReads", "Effect": "Allow", "Action": checks, "Resource": "*"}
        )
    if assume_role_arn is not None:
        statements.append(
            {
                "Sid": "AssumeDeployRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": assume_role_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# -- one-off tasks of releases ([[stage.task]]) -------------------------------------------------

#: What running a release's one-off tasks adds: RunTask (tagged on create, which the base
#: statement's ecs:TagResource covers) and StopTask for a task that times out or is cancelled.
#: DescribeTasks, and iam:PassRole for the task and execution roles RunTask passes to ECS tasks,
#: are in the base policy already.
RUN_TASK_ACTIONS: tuple[str, ...] = ("ecs:RunTask", "ecs:StopTask")


def run_task_statement() -> dict[str, Any]:
    return {
        "Sid": "RunReleaseTasks",
        "Effect": "Allow",
        "Action": list(RUN_TASK_ACTIONS),
        "Resource": "*",
    }
