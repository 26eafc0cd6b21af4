"""TargetHealth's pure parts: which targets are ours, and how looks at them become verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdeploy import Status
from ecsdeploy.checks import TargetHealth
from ecsdeploy.checks._target_health import (
    BoundTargetHealth,
    OurTarget,
    TargetLook,
    aws_now,
    look_at_targets,
    targets_of_task,
)
from ecsdeploy.exceptions import InputError
from ecsdeploy.testing import deployment, observation

TG = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/web-tg/73e2d6bc24d8a067"
API_TG = "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/api-tg/0123456789abcdef"
BALANCERS = [
    {"targetGroupArn": TG, "containerName": "web", "containerPort": 8080},
    {"targetGroupArn": API_TG, "containerName": "web", "containerPort": 9090},
    {"loadBalancerName": "classic", "containerName": "web", "containerPort": 80},
]


def awsvpc_task(ip: str, task_id: str = "t1", started: float = 1000.0) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:us-east-2:123456789012:task/prod/{task_id}",
        "startedAt": started,
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "details": [
                    {"name": "networkInterfaceId", "value": "eni-1"},
                    {"name": "privateIPv4Address", "value": ip},
                ],
            }
        ],
    }


def health(target_id: str, port: int, state: str, reason: str = "", text: str = "") -> Any:
    described: dict[str, Any] = {"State": state}
    if reason:
        described |= {"Reason": reason, "Description": text}
    return {"Target": {"Id": target_id, "Port": port}, "TargetHealth": described}


def test_an_awsvpc_task_has_its_eni_ip_and_container_port_in_each_target_group() -> None:
    """One target per target group; a Classic Load Balancer entry has none."""
    targets = targets_of_task(awsvpc_task("10.0.1.5"), BALANCERS, {})
    assert targets == [
        OurTarget(TG, "10.0.1.5", 8080, "t1", 1000.0),
        OurTarget(API_TG, "10.0.1.5", 9090, "t1", 1000.0),
    ]


def test_a_bridge_task_has_its_instance_id_and_host_port() -> None:
    """Bridge/host tasks register the EC2 instance and the port the container is bound to."""
    task = {
        "taskArn": "arn:aws:ecs:us-east-2:123456789012:task/prod/t2",
        "containerInstanceArn": "arn:ci/1",
        "containers": [
            {
                "name": "web",
                "networkBindings": [
                    {"containerPort": 8080, "hostPort": 32768},
                    {"containerPort": 9090, "hostPort": 32769},
                ],
            },
            {"name": "sidecar", "networkBindings": [{"containerPort": 8080, "hostPort": 1}]},
        ],
    }
    targets = targets_of_task(task, BALANCERS, {"arn:ci/1": "i-0abc"})
    assert [(t.id, t.port) for t in targets] == [("i-0abc", 32768), ("i-0abc", 32769)]


def test_only_our_targets_are_looked_at() -> None:
    """Other tasks' targets in the group (an old deployment's, draining) are not ours."""
    ours = [OurTarget(TG, "10.0.1.5", 8080, "t1", 1000.0)]
    described = {
        TG: [
            health("10.0.9.9", 8080, "unhealthy", "Target.Timeout", "old task"),
            health("10.0.1.5", 9999, "unhealthy", "Target.Timeout", "other port"),
            health("10.0.1.5", 8080, "healthy"),
        ]
    }
    (look,) = look_at_targets(ours, described, now=2000.0, grace=0)
    assert (look.state, look.in_grace) == ("healthy", False)


def test_the_grace_period_counts_from_the_tasks_start() -> None:
    """healthCheckGracePeriodSeconds covers a target until its task has run that long."""
    ours = [OurTarget(TG, "10.0.1.5", 8080, "t1", 1000.0)]
    described = {TG: [health("10.0.1.5", 8080, "unhealthy", "Target.Timeout", "slow")]}
    (inside,) = look_at_targets(ours, described, now=1059.0, grace=60)
    (after,) = look_at_targets(ours, described, now=1060.0, grace=60)
    assert (inside.in_grace, after.in_grace) == (True, False)


def test_an_unregistered_target_is_looked_at_as_missing() -> None:
    """A task whose target ECS has not registered yet has no state."""
    ours = [OurTarget(TG, "10.0.1.5", 8080, "t1", 1000.0)]
    (look,) = look_at_targets(ours, {TG: []}, now=2000.0, grace=0)
    assert look.state is None
    assert "is not registered" in look.describe()


def bound(threshold: int = 3) -> BoundTargetHealth:
    return BoundTargetHealth(
        TargetHealth(threshold=threshold),
        aws=None,  # type: ignore[arg-type]  # judge() makes no call
        cluster="prod",
        load_balancers=BALANCERS[:1],
        grace=0,
    )


def look(state: str | None, *, in_grace: bool = False, ip: str = "10.0.1.5") -> TargetLook:
    reason = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    if state != "unhealthy":
        reason = ("", "")
    return TargetLook(OurTarget(TG, ip, 8080, "t1", 1000.0), state, *reason, in_grace=in_grace)


def test_unhealthy_sightings_fail_at_the_threshold_with_reason_and_description() -> None:
    """Two sightings are progressing, the third fails naming the target, code and text."""
    check = bound(threshold=3)
    first = check.judge([look("unhealthy")], running=1, desired=1)
    second = check.judge([look("unhealthy")], running=1, desired=1)
    third = check.judge([look("unhealthy")], running=1, desired=1)
    assert [v.status for v in (first, second, third)] == [
        Status.PROGRESSING,
        Status.PROGRESSING,
        Status.FAILED,
    ]
    assert third.reason == (
        "10.0.1.5:8080 (task t1) in web-tg is unhealthy (Target.ResponseCodeMismatch: Health "
        "checks failed with these codes: [500]); 3/3 unhealthy sightings"
    )


def test_sightings_of_replaced_tasks_add_up() -> None:
    """ECS replaces unhealthy tasks: sightings of different targets count together."""
    check = bound(threshold=2)
    check.judge(
        [look("unhealthy", ip="10.0.1.5"), look("initial", ip="10.0.1.6")], running=2, desired=2
    )
    verdict = check.judge(
        [look("initial", ip="10.0.1.7"), look("unhealthy", ip="10.0.1.6")], running=2, desired=2
    )
    assert verdict.status is Status.FAILED


def test_initial_and_in_grace_targets_are_pending_never_failures() -> None:
    """`initial` and unhealthy-within-the-grace-period keep the check waiting."""
    check = bound(threshold=1)
    for _ in range(5):
        verdict = check.judge(
            [look("initial"), look("unhealthy", in_grace=True)], running=2, desired=2
        )
        assert verdict.status is Status.PROGRESSING
    assert "in the grace period" not in verdict.reason  # the first waiting target is shown
    assert "is initial" in verdict.reason


def test_all_targets_healthy_is_healthy_and_clears_the_sightings() -> None:
    """A look with every target healthy is HEALTHY and starts the count again."""
    check = bound(threshold=2)
    check.judge([look("unhealthy")], running=1, desired=1)
    healthy = check.judge([look("healthy")], running=1, desired=1)
    assert healthy.status is Status.HEALTHY
    assert healthy.reason == "1 targets of 1 tasks healthy in 1 target group(s)"
    assert check.judge([look("unhealthy")], running=1, desired=1).status is Status.PROGRESSING


def test_healthy_targets_of_too_few_tasks_are_not_yet_healthy() -> None:
    """While the deployment runs fewer tasks than desired, healthy targets are progress."""
    verdict = bound().judge([look("healthy")], running=1, desired=2)
    assert verdict.status is Status.PROGRESSING


def test_a_threshold_below_one_is_an_input_error() -> None:
    """TargetHealth(threshold=0) could never be met sensibly."""
    with pytest.raises(InputError, match="at least 1"):
        TargetHealth(threshold=0)


def test_the_grace_periods_now_is_the_newest_time_aws_reported_when_later() -> None:
    """A clock behind AWS's (or the simulator's fast one) does not stretch the grace period."""
    tick = observation(deployment(rollout="IN_PROGRESS"))
    assert aws_now(tick, [{"startedAt": tick.observed_at + 4000}]) == tick.observed_at + 4000
    assert aws_now(tick, [{"startedAt": 500.0}]) == tick.observed_at
