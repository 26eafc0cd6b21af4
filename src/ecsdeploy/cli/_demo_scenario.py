"""The demo's story: five services on a local simulator; one new image crashes, and one behind a
load balancer fails its target health checks.

Kept apart from the command so the scenario (what is created, what is deployed, what counts as
"behaved as designed") reads in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3

from ecsdeploy._aws_session import new_session
from ecsdeploy._models import Target
from ecsdeploy._release.model import Release, ReleaseResult, Stage
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import ImageChange
from ecsdeploy.checks import TargetHealth

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

__all__ = [
    "ALL_SERVICES",
    "BALANCED",
    "CLUSTER",
    "CRASH_RULE",
    "ELB_UNHEALTHY_RULE",
    "REGION",
    "SERVICES",
    "DemoService",
    "behaved",
    "create_balanced_service",
    "create_services",
    "demo_release",
    "demo_session",
]

CLUSTER = "demo"
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class DemoService:
    name: str
    old_image: str
    new_image: str
    desired: int
    #: The state the demo expects this service to end in.
    expected: str


SERVICES: tuple[DemoService, ...] = (
    DemoService("api", "demo/api:1.0", "demo/api:1.1", 3, "SUCCEEDED"),
    DemoService("worker", "demo/worker:1.0", "demo/worker:1.1", 2, "SUCCEEDED"),
    DemoService("web", "demo/web:1.0", "demo/web:1.1", 2, "SUCCEEDED"),
    DemoService("payments", "demo/payments:1.0", "demo/payments:2.0", 2, "ROLLED_BACK"),
)

#: The fifth service: behind an Application Load Balancer, deployed with the TargetHealth check.
BALANCED = DemoService("storefront", "demo/storefront:1.0", "demo/storefront:1.1", 2, "ROLLED_BACK")
ALL_SERVICES: tuple[DemoService, ...] = (*SERVICES, BALANCED)

#: storefront 1.1 runs, but answers its load balancer's health checks with 500.
ELB_UNHEALTHY_RULE: Mapping[str, Any] = {
    "image": "demo/storefront:1.1",
    "behavior": "elb_unhealthy",
}

_PORT = 8080
#: ECS ignores storefront's failing health checks this long after a task starts; so does
#: TargetHealth, which then fails once two of its targets were unhealthy past it.
_GRACE_SECONDS = 20
_UNHEALTHY_SIGHTINGS = 2
_SUBNETS = ["subnet-0demo0a", "subnet-0demo0b"]

#: payments 2.0 exits 1 five seconds after it starts, every time.
CRASH_RULE: Mapping[str, Any] = {
    "image": "demo/payments:2.0",
    "behavior": "crash",
    "exit_code": 1,
    "after": 5,
}


def demo_session() -> aioboto3.Session:
    """Credentials the simulator accepts; nothing here can reach AWS."""
    return new_session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)


async def create_services(ecs: ECSClient) -> None:
    """A cluster with the demo's services, each steady on its old image."""
    await ecs.create_cluster(clusterName=CLUSTER)
    for service in SERVICES:
        registered = await ecs.register_task_definition(
            family=service.name,
            containerDefinitions=[
                {"name": service.name, "image": service.old_image, "essential": True, "memory": 256}
            ],
        )
        await ecs.create_service(
            cluster=CLUSTER,
            serviceName=service.name,
            taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
            desiredCount=service.desired,
            deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
        )


async def create_balanced_service(ecs: ECSClient, elbv2: Any) -> None:
    """storefront: an awsvpc service whose tasks are targets of an ALB's target group (checked
    every 5 s, healthy after 2 passes, unhealthy after 2 failures), steady on its old image."""
    balancer = await elbv2.create_load_balancer(Name="storefront-alb", Subnets=_SUBNETS)
    created = await elbv2.create_target_group(
        Name="storefront-tg",
        Protocol="HTTP",
        Port=_PORT,
        VpcId="vpc-0demo",
        TargetType="ip",
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )
    group = created["TargetGroups"][0]["TargetGroupArn"]
    await elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}],
    )
    await elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    registered = await ecs.register_task_definition(
        family=BALANCED.name,
        networkMode="awsvpc",
        containerDefinitions=[
            {
                "name": BALANCED.name,
                "image": BALANCED.old_image,
                "essential": True,
                "memory": 256,
                "portMappings": [{"containerPort": _PORT}],
            }
        ],
    )
    await ecs.create_service(
        cluster=CLUSTER,
        serviceName=BALANCED.name,
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=BALANCED.desired,
        loadBalancers=[
            {"targetGroupArn": group, "containerName": BALANCED.name, "containerPort": _PORT}
        ],
        networkConfiguration={"awsvpcConfiguration": {"subnets": _SUBNETS}},
        healthCheckGracePeriodSeconds=_GRACE_SECONDS,
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
    )


def demo_release(settings: DeploySettings | None = None) -> Release:
    """Every service in one stage, deployed at once. Not atomic: a service that fails is rolled
    back on its own and the ones that succeeded keep their new version. storefront also runs
    the TargetHealth check, on top of `settings`."""
    base = settings or DeploySettings()
    health = TargetHealth(threshold=_UNHEALTHY_SIGHTINGS)
    checked = base.with_overrides(extra_checks=(*base.extra_checks, health))
    targets = [
        Target(
            CLUSTER,
            s.name,
            [ImageChange(s.name, s.new_image)],
            settings=checked if s is BALANCED else None,
        )
        for s in ALL_SERVICES
    ]
    return Release([Stage("all services", targets)], atomic=False, name="demo")


def behaved(result: ReleaseResult) -> list[str]:
    """How the release strayed from the story; empty when it behaved as designed."""
    states = {s.target.service: s.state for s in result.services}
    problems = [
        f"{s.name} ended {states.get(s.name, 'missing')}, expected {s.expected}"
        for s in ALL_SERVICES
        if states.get(s.name) != s.expected
    ]
    reasons = {s.target.service: s.reason for s in result.services}
    balanced = reasons.get(BALANCED.name, "")
    if "health check" not in balanced.lower():
        problems.append(f"{BALANCED.name} did not fail its health checks: {balanced}")
    return problems
