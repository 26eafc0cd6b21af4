"""A service behind an Application Load Balancer on the simulator, for the TargetHealth tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, offline_session

SUBNETS = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
VPC = "vpc-0123abcd"
PORT = 8080


@dataclass
class Balanced:
    """Clients to the simulator's ECS, ELBv2 and CloudWatch, and what `create` made."""

    sim: Simulator
    ecs: Any
    elbv2: Any
    cloudwatch: Any
    target_group: str = ""

    async def front(self, name: str, *, target_type: str) -> None:
        """An ALB `name`-alb whose listener forwards to a new target group `name`-tg of
        `target_type` targets on PORT (checked every 5 s, healthy or unhealthy after 2, a
        5 s deregistration delay), kept as `target_group`."""
        balancer = await self.elbv2.create_load_balancer(Name=f"{name}-alb", Subnets=SUBNETS)
        group = await self.elbv2.create_target_group(
            Name=f"{name}-tg",
            Protocol="HTTP",
            Port=PORT,
            VpcId=VPC,
            TargetType=target_type,
            HealthCheckIntervalSeconds=5,
            HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=2,
        )
        self.target_group = group["TargetGroups"][0]["TargetGroupArn"]
        await self.elbv2.modify_target_group_attributes(
            TargetGroupArn=self.target_group,
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
        )
        await self.elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.target_group}],
        )

    async def create(self, name: str = "webapp", *, grace: int = 0, desired: int = 2) -> str:
        """A steady awsvpc service on myorg/nginx:1.0, its targets in a target group that an
        ALB listener forwards to (checked every 5 s, healthy after 2); its revision's ARN."""
        await self.front(name, target_type="ip")
        await self.ecs.create_cluster(clusterName=CLUSTER)
        registered = await self.ecs.register_task_definition(
            family=name,
            networkMode="awsvpc",
            containerDefinitions=[
                {
                    "name": "nginx",
                    "image": "myorg/nginx:1.0",
                    "essential": True,
                    "memory": 128,
                    "portMappings": [{"containerPort": PORT}],
                }
            ],
        )
        arn = str(registered["taskDefinition"]["taskDefinitionArn"])
        await self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=arn,
            desiredCount=desired,
            loadBalancers=[
                {
                    "targetGroupArn": self.target_group,
                    "containerName": "nginx",
                    "containerPort": PORT,
                }
            ],
            healthCheckGracePeriodSeconds=grace,
            networkConfiguration={"awsvpcConfiguration": {"subnets": SUBNETS}},
            deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
        )
        await self.sim.advance(600)
        return arn

    async def task_definition(self, name: str = "webapp") -> str:
        described = await self.ecs.describe_services(cluster=CLUSTER, services=[name])
        return str(described["services"][0]["taskDefinition"])

    async def alarm(self, name: str, state: str = "OK", reason: str = "fine") -> None:
        """A metric alarm in `state` (CloudWatch's own PutMetricAlarm and SetAlarmState)."""
        await self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
        )
        await self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


@asynccontextmanager
async def balanced(sim: Simulator) -> AsyncIterator[Balanced]:
    session = offline_session()
    kwargs = {"endpoint_url": sim.endpoint_url, "region_name": REGION}
    async with (
        session.client("ecs", **kwargs) as ecs,
        session.client("elbv2", **kwargs) as elbv2,
        session.client("cloudwatch", **kwargs) as cloudwatch,
    ):
        yield Balanced(sim, ecs, elbv2, cloudwatch)
