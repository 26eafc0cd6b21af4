"""Blue/green, linear and canary traffic on the load balancer: the production and test listener
rules' weights between a service's two target groups.

"Application Load Balancer resources for blue/green, linear, and canary deployments"
(developer guide) and `AdvancedConfiguration` (API reference): a `loadBalancers` entry names its
production target group (`targetGroupArn`), an `alternateTargetGroupArn`, the
`productionListenerRule` and optionally a `testListenerRule`. The green revision's tasks are
registered with the target group that does not serve production now; ECS moves traffic by
rewriting the rules' forward actions into weighted ones (production and test separately). Once
the deployment succeeds, the green target group serves production, and the next deployment's
green tasks go to the other one: the two groups swap roles at every successful deployment
(`Service.production_groups`). A rollback puts all traffic back on the blue group.

Entries without `advancedConfiguration` keep registering with their `targetGroupArn`, and traffic
stays inside the service-deployment record (`sim._dynamics.traffic_shift`).
"""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics.state import Service, Task
from ecsdeploy.sim._dynamics.world import World
from ecsdeploy.sim._elbv2 import health


def _pair(service: Service, entry: dict[str, Any]) -> tuple[str, str] | None:
    """(production, alternate) target groups of an entry with an alternate target group."""
    configured = str(entry.get("targetGroupArn") or "")
    alternate = str((entry.get("advancedConfiguration") or {}).get("alternateTargetGroupArn") or "")
    if not configured or not alternate:
        return None
    production = service.production_groups.get(configured, configured)
    return production, (alternate if production == configured else configured)


def _green(task: Task) -> bool:
    """The task belongs to the green side of a blue/green, linear or canary deployment that has
    not completed yet."""
    deployment = task.deployment
    return (
        deployment is not None
        and deployment.record.shift is not None
        and not deployment.is_rollback
        and deployment.rollout_state != "COMPLETED"
    )


def target_group_for(task: Task, entry: dict[str, Any]) -> str:
    """The target group `task` registers with for this `loadBalancers` entry."""
    assert task.service is not None
    pair = _pair(task.service, entry)
    if pair is None:
        return str(entry.get("targetGroupArn") or "")
    production, alternate = pair
    return alternate if _green(task) else production


def set_weights(world: World, service: Service, *, production: float, test: float) -> None:
    """Point the production and test listener rules at blue and green with green getting
    `production` / `test` percent."""
    balancing = world.region(service.cluster.region).load_balancing
    rules = balancing.rules()
    for entry in service.spec.get("loadBalancers") or ():
        pair = _pair(service, entry)
        if pair is None:
            continue
        blue, green = pair
        advanced = entry.get("advancedConfiguration") or {}
        for rule_arn, weight in (
            (advanced.get("productionListenerRule"), production),
            (advanced.get("testListenerRule"), test),
        ):
            found = rules.get(str(rule_arn or ""))
            if found is None:
                continue
            _, rule = found
            others = [action for action in rule.actions if action.get("Type") != "forward"]
            rule.actions = [_forward(blue, green, weight), *others]
            for arn in (blue, green):
                group = balancing.target_groups.get(arn)
                if group is not None:
                    health.refresh_use(world, balancing, group)


def swap(service: Service) -> None:
    """The green target groups serve production from now on."""
    for entry in service.spec.get("loadBalancers") or ():
        pair = _pair(service, entry)
        if pair is not None:
            service.production_groups[str(entry["targetGroupArn"])] = pair[1]


def _forward(blue: str, green: str, green_percent: float) -> dict[str, Any]:
    green_weight = round(green_percent)
    return {
        "Type": "forward",
        "Order": 1,
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": blue, "Weight": 100 - green_weight},
                {"TargetGroupArn": green, "Weight": green_weight},
            ],
            "TargetGroupStickinessConfig": {"Enabled": False},
        },
    }
