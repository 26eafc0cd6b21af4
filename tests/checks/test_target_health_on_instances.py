"""TargetHealth for a bridge-mode EC2 service behind an ALB on the simulator's container
instances: targets are (EC2 instance id, dynamic host port), found through DescribeTasks and
DescribeContainerInstances over the wire, as on ECS."""

from __future__ import annotations

import re

import pytest

from ecsdeploy import Deployer, DeployEvent, ExitCode, Outcome, Status
from ecsdeploy.checks import TargetHealth
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION
from tests._fixtures.scenario import to
from tests.checks.balanced import PORT, Balanced

pytestmark = pytest.mark.anyio

INSTANCE_TARGET = re.compile(
    r"i-[0-9a-f]{17}:(?P<port>\d+) \(task [0-9a-f]+\) in webapp-tg is unhealthy "
    r"\(Target\.ResponseCodeMismatch: Health checks failed with these codes: \[500\]\)"
)


async def bridge_service(lb: Balanced, *, grace: int = 0) -> str:
    """Two container instances and a steady bridge-mode EC2 service of two tasks on
    myorg/nginx:1.0 (container port 8080, dynamic host ports) behind an `instance` target
    group an ALB listener forwards to (checked every 5 s, healthy after 2); its revision."""
    await lb.front("webapp", target_type="instance")
    await lb.ecs.create_cluster(clusterName=CLUSTER)
    lb.sim.add_container_instances(CLUSTER, 2, cpu=2048, memory=1024, region_name=REGION)
    registered = await lb.ecs.register_task_definition(
        family="webapp",
        networkMode="bridge",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {
                "name": "nginx",
                "image": "myorg/nginx:1.0",
                "essential": True,
                "memory": 256,
                "portMappings": [{"containerPort": PORT, "hostPort": 0}],
            }
        ],
    )
    arn = str(registered["taskDefinition"]["taskDefinitionArn"])
    await lb.ecs.create_service(
        cluster=CLUSTER,
        serviceName="webapp",
        taskDefinition=arn,
        desiredCount=2,
        launchType="EC2",
        loadBalancers=[
            {"targetGroupArn": lb.target_group, "containerName": "nginx", "containerPort": PORT}
        ],
        healthCheckGracePeriodSeconds=grace,
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
    )
    await lb.sim.advance(600)
    return arn


async def test_a_bridge_service_on_container_instances_deploys_with_healthy_targets(
    ecs_deployer: Deployer, lb: Balanced
) -> None:
    """The new revision's tasks land on the instances with their own host ports and their
    (instance, port) targets turn healthy: SUCCEEDED with TargetHealth HEALTHY."""
    await bridge_service(lb)
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"),
        settings=ecs_deployer.settings.with_overrides(extra_checks=(TargetHealth(),)),
    )
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert result.exit_code is ExitCode.SUCCEEDED
    (verdict,) = [v for v in result.checks if v.check == "target-health"]
    assert verdict.status is Status.HEALTHY
    assert verdict.reason == "2 targets of 2 tasks healthy in 1 target group(s)"
    health = await lb.elbv2.describe_target_health(TargetGroupArn=lb.target_group)
    healthy = [
        d["Target"]
        for d in health["TargetHealthDescriptions"]
        if d["TargetHealth"]["State"] == "healthy"
    ]
    assert len(healthy) == 2
    assert all(t["Id"].startswith("i-") and 32768 <= t["Port"] <= 60999 for t in healthy)


async def test_unhealthy_instance_targets_roll_back_with_the_reason_code(
    ecs_deployer: Deployer, lb: Balanced, ecs_simulator: Simulator
) -> None:
    """The new version fails its ELB health checks: seen inside the grace period first, then
    ROLLED_BACK by ecsdeploy, the reason naming the instance target (i-…:host port), ELB's
    reason code and description; the service on its old revision."""
    # A long grace period (1.8 s of wall time at the test's speed): the check sees the targets
    # unhealthy inside it, and ECS's first stops come before the replacements' second round,
    # however loaded the machine.
    old = await bridge_service(lb, grace=1800)
    ecs_simulator.add_rule({"image": "myorg/nginx:2", "behavior": "elb_unhealthy"})
    verdicts: list[DeployEvent] = []
    ecs_deployer.subscribe(lambda e: verdicts.append(e) if e.kind == "verdict" else None)
    result = await ecs_deployer.deploy(
        to("myorg/nginx:2"),
        settings=ecs_deployer.settings.with_overrides(extra_checks=(TargetHealth(threshold=2),)),
    )
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert result.exit_code is ExitCode.FAILED
    named = INSTANCE_TARGET.search(result.reason)
    assert named is not None, result.reason
    assert 32768 <= int(named["port"]) <= 60999
    assert "ECS stopped the task; 2/2 unhealthy sightings" in result.reason
    assert any("(in the grace period)" in e.message for e in verdicts)
    described = await lb.ecs.describe_services(cluster=CLUSTER, services=["webapp"])
    assert described["services"][0]["taskDefinition"] == old
