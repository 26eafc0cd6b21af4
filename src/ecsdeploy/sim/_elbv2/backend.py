"""`ElbBackend`: the ELBv2 API over the same simulated world (and clock) as ECS, so that ECS
tasks register with target groups and target health runs on the one event heap."""

from __future__ import annotations

from typing import Any, Protocol

from ecsdeploy.sim._dynamics.world import World
from ecsdeploy.sim._elbv2.operations import OPERATIONS
from ecsdeploy.sim._wire.services import Caller, invalid_action


class WorldOwner(Protocol):
    """What owns the simulated world (``EcsBackend``)."""

    @property
    def world(self) -> World: ...
    def catch_up(self) -> None: ...


class ElbBackend:
    """ELBv2 operations in each region of `owner`'s world."""

    operations = frozenset(OPERATIONS)

    def __init__(self, owner: WorldOwner) -> None:
        self._owner = owner

    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]:
        implementation = OPERATIONS.get(operation)
        if implementation is None:
            raise invalid_action(operation)
        self._owner.catch_up()
        world = self._owner.world
        response = implementation(
            world,
            world.region(region, caller.account).load_balancing,
            region,
            caller.account,
            params,
        )
        # Listener changes may start or stop health checks; let ECS react at this instant.
        world.settle()
        return response

    def load_balanced_target_group(
        self,
        name: str,
        *,
        region: str,
        account: str,
        port: int = 80,
        target_type: str = "ip",
        health_check_interval: int = 30,
        healthy_threshold: int = 5,
        unhealthy_threshold: int = 2,
        deregistration_delay: int = 300,
    ) -> str:
        """A target group behind a new Application Load Balancer (``<name>-alb``, an HTTP
        listener on `port` forwarding to it), set up through the API operations themselves;
        returns the target group's ARN."""
        caller = Caller(access_key_id="", account=account)
        balancer = self.handle(
            region,
            "CreateLoadBalancer",
            {"Name": f"{name}-alb", "Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-1b2c3d4e"]},
            caller=caller,
        )["LoadBalancers"][0]["LoadBalancerArn"]
        group_arn: str = self.handle(
            region,
            "CreateTargetGroup",
            {
                "Name": name,
                "Protocol": "HTTP",
                "Port": port,
                "VpcId": "vpc-0a1b2c3d4e5f60718",
                "TargetType": target_type,
                "HealthCheckIntervalSeconds": health_check_interval,
                # ELB wants the timeout below the interval; 5 s is its default.
                "HealthCheckTimeoutSeconds": max(2, min(5, health_check_interval - 1)),
                "HealthyThresholdCount": healthy_threshold,
                "UnhealthyThresholdCount": unhealthy_threshold,
            },
            caller=caller,
        )["TargetGroups"][0]["TargetGroupArn"]
        self.handle(
            region,
            "ModifyTargetGroupAttributes",
            {
                "TargetGroupArn": group_arn,
                "Attributes": [
                    {
                        "Key": "deregistration_delay.timeout_seconds",
                        "Value": str(deregistration_delay),
                    }
                ],
            },
            caller=caller,
        )
        self.handle(
            region,
            "CreateListener",
            {
                "LoadBalancerArn": balancer,
                "Protocol": "HTTP",
                "Port": port,
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": group_arn}],
            },
            caller=caller,
        )
        return group_arn
