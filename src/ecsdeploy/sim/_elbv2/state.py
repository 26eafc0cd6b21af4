"""ELBv2 resources of one region, as plain records (compared by identity, like ECS's).

Only what deployments read or steer is kept: load balancers, listeners with their default
actions and rules (forwarding, weighted for blue/green), target groups with their health-check
settings and attributes, and each registered target's health.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DEREGISTRATION_DELAY = 300
"""``deregistration_delay.timeout_seconds``'s default ("Target groups for your Application Load
Balancers": 300 seconds)."""


@dataclass(slots=True, eq=False)
class HealthCheck:
    """A target group's health-check settings (CreateTargetGroup's defaults for HTTP)."""

    protocol: str = "HTTP"
    port: str = "traffic-port"
    path: str = "/"
    enabled: bool = True
    interval: int = 30
    timeout: int = 5
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    matcher: dict[str, str] = field(default_factory=lambda: {"HttpCode": "200"})


@dataclass(slots=True, eq=False)
class Target:
    """One registered (id, port) and its health as DescribeTargetHealth reports it."""

    id: str
    port: int
    availability_zone: str | None
    state: str
    reason: str | None
    description: str | None
    failure: str | None = None
    """None: the target answers its health checks; else the TargetHealth reason it fails with
    (Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks)."""
    failure_code: int = 500
    failing_from: float | None = None
    """The simulated time from which a `failure` target fails its checks; None: from the start."""
    generation: int = 0
    """Bumped on every registration change, so that scheduled health steps of an older one
    do nothing."""
    on_change: Callable[[Any, Target], None] | None = None
    """Told (world, target) when the health state changes: how ECS learns about its tasks."""


@dataclass(slots=True, eq=False)
class TargetGroup:
    arn: str
    name: str
    protocol: str | None
    port: int | None
    vpc_id: str | None
    target_type: str
    protocol_version: str | None
    ip_address_type: str
    health: HealthCheck
    created_at: float
    attributes: dict[str, str] = field(default_factory=dict)
    targets: dict[tuple[str, int], Target] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def deregistration_delay(self) -> float:
        return float(
            self.attributes.get(
                "deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY
            )
        )


@dataclass(slots=True, eq=False)
class LoadBalancer:
    arn: str
    name: str
    type: str
    scheme: str
    dns_name: str
    vpc_id: str
    subnets: list[str]
    security_groups: list[str]
    ip_address_type: str
    created_at: float
    state: str = "provisioning"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Rule:
    arn: str
    priority: str
    """A number as a string, or ``default`` for the listener's default rule."""
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]

    @property
    def is_default(self) -> bool:
        return self.priority == "default"


@dataclass(slots=True, eq=False)
class Listener:
    arn: str
    load_balancer: LoadBalancer
    port: int | None
    protocol: str | None
    default_rule: Rule
    rules: list[Rule] = field(default_factory=list)
    """Non-default rules, in creation order."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other CreateListener members (SslPolicy, Certificates…) described back as given."""

    @property
    def all_rules(self) -> list[Rule]:
        return [*sorted(self.rules, key=lambda rule: int(rule.priority)), self.default_rule]


@dataclass(slots=True, eq=False)
class LoadBalancing:
    """Every ELBv2 resource of one region, by ARN."""

    load_balancers: dict[str, LoadBalancer] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)

    def rules(self) -> dict[str, tuple[Listener, Rule]]:
        return {
            rule.arn: (listener, rule)
            for listener in self.listeners.values()
            for rule in listener.all_rules
        }

    def load_balancers_of(self, target_group: TargetGroup) -> list[LoadBalancer]:
        """The load balancers whose listeners forward to `target_group` (its LoadBalancerArns)."""
        found: dict[str, LoadBalancer] = {}
        for listener in self.listeners.values():
            for rule in listener.all_rules:
                if target_group.arn in forwarded_target_groups(rule.actions):
                    found[listener.load_balancer.arn] = listener.load_balancer
        return list(found.values())


def forwarded_target_groups(actions: list[dict[str, Any]]) -> list[str]:
    """Target group ARNs `actions` forward to (TargetGroupArn or ForwardConfig's weighted ones)."""
    arns: list[str] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            arns.append(str(action["TargetGroupArn"]))
        for weighted in (action.get("ForwardConfig") or {}).get("TargetGroups") or ():
            if weighted.get("TargetGroupArn"):
                arns.append(str(weighted["TargetGroupArn"]))
    return list(dict.fromkeys(arns))
