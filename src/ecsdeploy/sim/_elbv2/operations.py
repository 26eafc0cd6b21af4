"""ELBv2 operations a blue/green or health-checked ECS deployment uses, per region.

Load balancers (Create/Describe/Delete), target groups (Create/Describe/Modify/Delete, their
attributes), listeners with default actions and rules (forward, weighted forward), target
registration and DescribeTargetHealth (`ecsdeploy.sim._elbv2.health`). Errors use ELBv2's codes
and wording ("Elastic Load Balancing API reference / Errors" of each action).

Not simulated: traffic, listener certificates and SSL policies (described back as given),
Gateway and Lambda targets, tags operations, capacity reservations, trust stores.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._dynamics.world import World
from ecsdeploy.sim._elbv2 import health
from ecsdeploy.sim._elbv2.state import (
    HealthCheck,
    Listener,
    LoadBalancer,
    LoadBalancing,
    Rule,
    Target,
    TargetGroup,
    forwarded_target_groups,
)

Params = dict[str, Any]
Response = dict[str, Any]
Operation = Callable[[World, LoadBalancing, str, str, Params], Response]
"""(world, the region's load balancing, region, account, params) → answer."""

DEFAULT_VPC = "vpc-0a1b2c3d4e5f60718"
HOSTED_ZONE = "Z35SXDOTRQ7X7K"
LOAD_BALANCER_PROVISIONING = 30.0
"""Seconds a new load balancer stays ``provisioning`` before ``active`` (AWS gives no figure)."""

DEFAULT_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin",
    "slow_start.duration_seconds": "0",
}


def _error(code: str, message: str) -> EcsApiError:
    return EcsApiError(code, message)


def validation_error(message: str) -> EcsApiError:
    return _error("ValidationError", message)


def _not_found(kind: str) -> EcsApiError:
    codes = {
        "load balancers": "LoadBalancerNotFound",
        "target groups": "TargetGroupNotFound",
        "listeners": "ListenerNotFound",
        "rules": "RuleNotFound",
    }
    return _error(codes[kind], f"One or more {kind} not found")


def _arn(region: str, account: str, resource: str) -> str:
    return f"arn:aws:elasticloadbalancing:{region}:{account}:{resource}"


def _hex_id(world: World) -> str:
    return world.ids.task_id()[:16]


def _paged(items: list[Any], params: Params) -> tuple[list[Any], str | None]:
    size = int(params.get("PageSize") or 400)
    return page(items, next_token=params.get("Marker"), size=size)


# -- load balancers -----------------------------------------------------------------------


def create_load_balancer(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    name = str(params["Name"])
    existing = next((lb for lb in balancing.load_balancers.values() if lb.name == name), None)
    if existing is not None:
        return {"LoadBalancers": [_load_balancer_view(existing)]}
    kind = str(params.get("Type") or "application")
    subnets = [str(s) for s in params.get("Subnets") or ()] + [
        str(m["SubnetId"]) for m in params.get("SubnetMappings") or () if m.get("SubnetId")
    ]
    if kind == "application" and len(subnets) < 2:
        raise validation_error(
            "At least two subnets in two different Availability Zones must be specified"
        )
    scheme = str(params.get("Scheme") or "internet-facing")
    lb_id = _hex_id(world)
    prefix = {"application": "app", "network": "net", "gateway": "gwy"}[kind]
    dns_prefix = "internal-" if scheme == "internal" else ""
    balancer = LoadBalancer(
        arn=_arn(region, account, f"loadbalancer/{prefix}/{name}/{lb_id}"),
        name=name,
        type=kind,
        scheme=scheme,
        dns_name=f"{dns_prefix}{name}-{int(lb_id, 16) % 10**10}.{region}.elb.amazonaws.com",
        vpc_id=DEFAULT_VPC,
        subnets=subnets,
        security_groups=[str(g) for g in params.get("SecurityGroups") or ()],
        ip_address_type=str(params.get("IpAddressType") or "ipv4"),
        created_at=world.now,
        tags={str(t["Key"]): str(t.get("Value", "")) for t in params.get("Tags") or ()},
    )
    balancing.load_balancers[balancer.arn] = balancer
    world.schedule(LOAD_BALANCER_PROVISIONING, _activate, balancer)
    return {"LoadBalancers": [_load_balancer_view(balancer)]}


def _activate(world: World, balancer: LoadBalancer) -> None:
    if balancer.state == "provisioning":
        balancer.state = "active"


def _load_balancer_view(balancer: LoadBalancer) -> dict[str, Any]:
    region = balancer.arn.split(":")[3]
    view: dict[str, Any] = {
        "LoadBalancerArn": balancer.arn,
        "DNSName": balancer.dns_name,
        "CanonicalHostedZoneId": HOSTED_ZONE,
        "CreatedTime": balancer.created_at,
        "LoadBalancerName": balancer.name,
        "Scheme": balancer.scheme,
        "VpcId": balancer.vpc_id,
        "State": {"Code": balancer.state},
        "Type": balancer.type,
        "AvailabilityZones": [
            {"ZoneName": f"{region}{'abcdef'[index % 6]}", "SubnetId": subnet}
            for index, subnet in enumerate(balancer.subnets)
        ],
        "IpAddressType": balancer.ip_address_type,
    }
    if balancer.type == "application":
        view["SecurityGroups"] = list(balancer.security_groups)
    return view


def _load_balancer(balancing: LoadBalancing, arn: str) -> LoadBalancer:
    balancer = balancing.load_balancers.get(arn)
    if balancer is None:
        raise _not_found("load balancers")
    return balancer


def describe_load_balancers(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    balancers = list(balancing.load_balancers.values())
    if params.get("LoadBalancerArns"):
        balancers = [_load_balancer(balancing, str(a)) for a in params["LoadBalancerArns"]]
    elif params.get("Names"):
        by_name = {lb.name: lb for lb in balancers}
        if any(name not in by_name for name in params["Names"]):
            raise _not_found("load balancers")
        balancers = [by_name[str(name)] for name in params["Names"]]
    chunk, marker = _paged(balancers, params)
    answer: Response = {"LoadBalancers": [_load_balancer_view(lb) for lb in chunk]}
    if marker is not None:
        answer["NextMarker"] = marker
    return answer


def delete_load_balancer(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    balancer = balancing.load_balancers.pop(str(params["LoadBalancerArn"]), None)
    if balancer is None:
        return {}  # DeleteLoadBalancer succeeds for a load balancer already deleted.
    listeners = [
        listener for listener in balancing.listeners.values() if listener.load_balancer is balancer
    ]
    groups = _groups_of_listeners(balancing, listeners)
    for listener in listeners:
        del balancing.listeners[listener.arn]
    _refresh(world, balancing, groups)
    return {}


# -- target groups --------------------------------------------------------------------------


def create_target_group(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    name = str(params["Name"])
    target_type = str(params.get("TargetType") or "instance")
    protocol = params.get("Protocol")
    if target_type != "lambda":
        for member, what in (("Protocol", "protocol"), ("Port", "port"), ("VpcId", "VPC ID")):
            if params.get(member) is None:
                raise validation_error(f"A {what} must be specified")
    existing = next((g for g in balancing.target_groups.values() if g.name == name), None)
    if existing is not None:
        if (existing.protocol, existing.port, existing.vpc_id) != (
            protocol,
            params.get("Port"),
            params.get("VpcId"),
        ):
            raise _error(
                "DuplicateTargetGroupName",
                f"A target group with the same name '{name}' exists, but with different settings",
            )
        return {"TargetGroups": [_target_group_view(balancing, existing)]}
    check = _health_check(str(protocol or "HTTP"))
    _apply_health_settings(check, params)
    group = TargetGroup(
        arn=_arn(region, account, f"targetgroup/{name}/{_hex_id(world)}"),
        name=name,
        protocol=None if protocol is None else str(protocol),
        port=None if params.get("Port") is None else int(params["Port"]),
        vpc_id=None if params.get("VpcId") is None else str(params["VpcId"]),
        target_type=target_type,
        protocol_version=(
            str(params.get("ProtocolVersion") or "HTTP1") if protocol in ("HTTP", "HTTPS") else None
        ),
        ip_address_type=str(params.get("IpAddressType") or "ipv4"),
        health=check,
        created_at=world.now,
        attributes=dict(DEFAULT_ATTRIBUTES),
        tags={str(t["Key"]): str(t.get("Value", "")) for t in params.get("Tags") or ()},
    )
    balancing.target_groups[group.arn] = group
    return {"TargetGroups": [_target_group_view(balancing, group)]}


def _health_check(protocol: str) -> HealthCheck:
    """CreateTargetGroup's defaults: HTTP(S) checks a path with matcher 200; TCP/UDP/TLS
    (Network Load Balancer) checks connections, with a 10 s timeout and no path."""
    if protocol in ("HTTP", "HTTPS"):
        return HealthCheck(protocol=protocol)
    return HealthCheck(protocol="TCP", path="", timeout=10, healthy_threshold=5, matcher={})


_HEALTH_SETTINGS = {
    "HealthCheckProtocol": "protocol",
    "HealthCheckPort": "port",
    "HealthCheckPath": "path",
    "HealthCheckEnabled": "enabled",
    "HealthCheckIntervalSeconds": "interval",
    "HealthCheckTimeoutSeconds": "timeout",
    "HealthyThresholdCount": "healthy_threshold",
    "UnhealthyThresholdCount": "unhealthy_threshold",
    "Matcher": "matcher",
}


def _apply_health_settings(check: HealthCheck, params: Params) -> None:
    """Set the request's health-check members on `check`, or none of them if they are refused."""
    given = {
        attribute: params[member]
        for member, attribute in _HEALTH_SETTINGS.items()
        if params.get(member) is not None
    }
    timeout = given.get("timeout", check.timeout)
    if timeout >= given.get("interval", check.interval):
        raise validation_error("Health check timeout must be smaller than the interval")
    for attribute, value in given.items():
        setattr(check, attribute, value)


def _target_group_view(balancing: LoadBalancing, group: TargetGroup) -> dict[str, Any]:
    check = group.health
    view: dict[str, Any] = {
        "TargetGroupArn": group.arn,
        "TargetGroupName": group.name,
        "HealthCheckProtocol": check.protocol,
        "HealthCheckPort": check.port,
        "HealthCheckEnabled": check.enabled,
        "HealthCheckIntervalSeconds": check.interval,
        "HealthCheckTimeoutSeconds": check.timeout,
        "HealthyThresholdCount": check.healthy_threshold,
        "UnhealthyThresholdCount": check.unhealthy_threshold,
        "LoadBalancerArns": [lb.arn for lb in balancing.load_balancers_of(group)],
        "TargetType": group.target_type,
        "IpAddressType": group.ip_address_type,
    }
    for member, value in (
        ("Protocol", group.protocol),
        ("Port", group.port),
        ("VpcId", group.vpc_id),
        ("ProtocolVersion", group.protocol_version),
        ("HealthCheckPath", check.path or None),
        ("Matcher", check.matcher or None),
    ):
        if value is not None:
            view[member] = value
    return view


def target_group(balancing: LoadBalancing, arn: str) -> TargetGroup:
    group = balancing.target_groups.get(arn)
    if group is None:
        raise _not_found("target groups")
    return group


def describe_target_groups(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    groups = list(balancing.target_groups.values())
    if params.get("LoadBalancerArn"):
        balancer = _load_balancer(balancing, str(params["LoadBalancerArn"]))
        groups = [g for g in groups if balancer in balancing.load_balancers_of(g)]
    if params.get("TargetGroupArns"):
        groups = [target_group(balancing, str(a)) for a in params["TargetGroupArns"]]
    elif params.get("Names"):
        by_name = {g.name: g for g in groups}
        if any(name not in by_name for name in params["Names"]):
            raise _not_found("target groups")
        groups = [by_name[str(name)] for name in params["Names"]]
    chunk, marker = _paged(groups, params)
    answer: Response = {"TargetGroups": [_target_group_view(balancing, g) for g in chunk]}
    if marker is not None:
        answer["NextMarker"] = marker
    return answer


def modify_target_group(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    group = target_group(balancing, str(params["TargetGroupArn"]))
    _apply_health_settings(group.health, params)
    return {"TargetGroups": [_target_group_view(balancing, group)]}


def delete_target_group(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    arn = str(params["TargetGroupArn"])
    group = balancing.target_groups.get(arn)
    if group is None:
        return {}
    if balancing.load_balancers_of(group):
        raise _error(
            "ResourceInUse", f"Target group '{arn}' is currently in use by a listener or a rule"
        )
    del balancing.target_groups[arn]
    return {}


def _attributes_view(group: TargetGroup) -> Response:
    return {"Attributes": [{"Key": k, "Value": v} for k, v in sorted(group.attributes.items())]}


def describe_target_group_attributes(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    return _attributes_view(target_group(balancing, str(params["TargetGroupArn"])))


def modify_target_group_attributes(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    group = target_group(balancing, str(params["TargetGroupArn"]))
    changes = {str(a["Key"]): str(a.get("Value", "")) for a in params["Attributes"]}
    for key, value in changes.items():
        if key == "deregistration_delay.timeout_seconds" and (
            not value.isdigit() or int(value) > 3600
        ):
            raise validation_error(
                f"'{value}' must be an integer between 0 and 3600 for attribute '{key}'"
            )
    group.attributes.update(changes)
    return _attributes_view(group)


# -- listeners and rules ------------------------------------------------------------------


def _normalized_actions(balancing: LoadBalancing, actions: list[Params]) -> list[Params]:
    """Actions as ELBv2 describes them back: a forward action always carries ForwardConfig
    (weight 1 unless given) and, with one target group, its TargetGroupArn."""
    normalized = []
    for order, given in enumerate(actions, start=1):
        action = dict(given)
        action.setdefault("Order", order)
        if action.get("Type") == "forward":
            weighted: list[dict[str, Any]] = [
                {"TargetGroupArn": str(t["TargetGroupArn"]), "Weight": int(t.get("Weight", 1))}
                for t in (action.get("ForwardConfig") or {}).get("TargetGroups") or ()
            ]
            if not weighted and action.get("TargetGroupArn"):
                weighted = [{"TargetGroupArn": str(action["TargetGroupArn"]), "Weight": 1}]
            if not weighted:
                raise validation_error("A target group ARN must be specified")
            for item in weighted:
                target_group(balancing, str(item["TargetGroupArn"]))
            config = dict(action.get("ForwardConfig") or {})
            config["TargetGroups"] = weighted
            config.setdefault("TargetGroupStickinessConfig", {"Enabled": False})
            action["ForwardConfig"] = config
            if len(weighted) == 1:
                action["TargetGroupArn"] = weighted[0]["TargetGroupArn"]
        normalized.append(action)
    return normalized


def _check_one_load_balancer(
    balancing: LoadBalancing, balancer: LoadBalancer, actions: list[Params]
) -> None:
    """A target group serves one Application Load Balancer only."""
    for arn in forwarded_target_groups(actions):
        others = [
            lb
            for lb in balancing.load_balancers_of(balancing.target_groups[arn])
            if lb is not balancer
        ]
        if others:
            raise _error(
                "TargetGroupAssociationLimit",
                "The following target groups cannot be associated with more than one load "
                f"balancer: {arn}",
            )


def _groups_of_listeners(balancing: LoadBalancing, listeners: list[Listener]) -> list[TargetGroup]:
    arns = {
        arn
        for listener in listeners
        for rule in listener.all_rules
        for arn in forwarded_target_groups(rule.actions)
    }
    return [balancing.target_groups[a] for a in sorted(arns) if a in balancing.target_groups]


def _refresh(world: World, balancing: LoadBalancing, groups: list[TargetGroup]) -> None:
    for group in groups:
        health.refresh_use(world, balancing, group)


def create_listener(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    balancer = _load_balancer(balancing, str(params["LoadBalancerArn"]))
    port = None if params.get("Port") is None else int(params["Port"])
    for listener in balancing.listeners.values():
        if listener.load_balancer is balancer and listener.port == port:
            raise _error(
                "DuplicateListener", "A listener already exists on this port for this load balancer"
            )
    actions = _normalized_actions(balancing, params["DefaultActions"])
    _check_one_load_balancer(balancing, balancer, actions)
    _, kind, lb_name, lb_id = balancer.arn.split(":")[5].split("/")
    listener_id = _hex_id(world)
    arn = _arn(region, account, f"listener/{kind}/{lb_name}/{lb_id}/{listener_id}")
    listener = Listener(
        arn=arn,
        load_balancer=balancer,
        port=port,
        protocol=None if params.get("Protocol") is None else str(params["Protocol"]),
        default_rule=Rule(
            arn=_arn(
                region,
                account,
                f"listener-rule/{kind}/{lb_name}/{lb_id}/{listener_id}/{_hex_id(world)}",
            ),
            priority="default",
            conditions=[],
            actions=actions,
        ),
        extra={
            key: params[key]
            for key in ("SslPolicy", "Certificates", "AlpnPolicy")
            if params.get(key) is not None
        },
    )
    balancing.listeners[arn] = listener
    _refresh(world, balancing, _groups_of_listeners(balancing, [listener]))
    return {"Listeners": [_listener_view(listener)]}


def _listener_view(listener: Listener) -> dict[str, Any]:
    view: dict[str, Any] = {
        "ListenerArn": listener.arn,
        "LoadBalancerArn": listener.load_balancer.arn,
        "DefaultActions": listener.default_rule.actions,
        **listener.extra,
    }
    if listener.port is not None:
        view["Port"] = listener.port
    if listener.protocol is not None:
        view["Protocol"] = listener.protocol
    return view


def _listener(balancing: LoadBalancing, arn: str) -> Listener:
    listener = balancing.listeners.get(arn)
    if listener is None:
        raise _not_found("listeners")
    return listener


def describe_listeners(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    if params.get("ListenerArns"):
        listeners = [_listener(balancing, str(a)) for a in params["ListenerArns"]]
    elif params.get("LoadBalancerArn"):
        balancer = _load_balancer(balancing, str(params["LoadBalancerArn"]))
        listeners = [
            listener
            for listener in balancing.listeners.values()
            if listener.load_balancer is balancer
        ]
    else:
        raise validation_error("You must specify either listener ARNs or a load balancer ARN")
    chunk, marker = _paged(listeners, params)
    answer: Response = {"Listeners": [_listener_view(listener) for listener in chunk]}
    if marker is not None:
        answer["NextMarker"] = marker
    return answer


def modify_listener(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    listener = _listener(balancing, str(params["ListenerArn"]))
    before = _groups_of_listeners(balancing, [listener])
    if params.get("DefaultActions") is not None:
        actions = _normalized_actions(balancing, params["DefaultActions"])
        _check_one_load_balancer(balancing, listener.load_balancer, actions)
        listener.default_rule.actions = actions
    if params.get("Port") is not None:
        listener.port = int(params["Port"])
    if params.get("Protocol") is not None:
        listener.protocol = str(params["Protocol"])
    for key in ("SslPolicy", "Certificates", "AlpnPolicy"):
        if params.get(key) is not None:
            listener.extra[key] = params[key]
    _refresh(world, balancing, [*before, *_groups_of_listeners(balancing, [listener])])
    return {"Listeners": [_listener_view(listener)]}


def delete_listener(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    listener = _listener(balancing, str(params["ListenerArn"]))
    groups = _groups_of_listeners(balancing, [listener])
    del balancing.listeners[listener.arn]
    _refresh(world, balancing, groups)
    return {}


def _rule_view(rule: Rule) -> dict[str, Any]:
    return {
        "RuleArn": rule.arn,
        "Priority": rule.priority,
        "Conditions": rule.conditions,
        "Actions": rule.actions,
        "IsDefault": rule.is_default,
    }


def create_rule(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    listener = _listener(balancing, str(params["ListenerArn"]))
    priority = str(int(params["Priority"]))
    if any(rule.priority == priority for rule in listener.rules):
        raise _error("PriorityInUse", f"Priority '{priority}' is currently in use")
    actions = _normalized_actions(balancing, params["Actions"])
    _check_one_load_balancer(balancing, listener.load_balancer, actions)
    listener_path = listener.arn.split(":")[5].removeprefix("listener/")
    rule = Rule(
        arn=_arn(region, account, f"listener-rule/{listener_path}/{_hex_id(world)}"),
        priority=priority,
        conditions=list(params["Conditions"]),
        actions=actions,
    )
    listener.rules.append(rule)
    _refresh(world, balancing, _groups_of_listeners(balancing, [listener]))
    return {"Rules": [_rule_view(rule)]}


def _rule(balancing: LoadBalancing, arn: str) -> tuple[Listener, Rule]:
    found = balancing.rules().get(arn)
    if found is None:
        raise _not_found("rules")
    return found


def describe_rules(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    if params.get("RuleArns"):
        rules = [_rule(balancing, str(a))[1] for a in params["RuleArns"]]
    elif params.get("ListenerArn"):
        rules = _listener(balancing, str(params["ListenerArn"])).all_rules
    else:
        raise validation_error("You must specify either listener ARN or rule ARNs")
    chunk, marker = _paged(rules, params)
    answer: Response = {"Rules": [_rule_view(rule) for rule in chunk]}
    if marker is not None:
        answer["NextMarker"] = marker
    return answer


def modify_rule(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    listener, rule = _rule(balancing, str(params["RuleArn"]))
    before = _groups_of_listeners(balancing, [listener])
    if params.get("Actions") is not None:
        actions = _normalized_actions(balancing, params["Actions"])
        _check_one_load_balancer(balancing, listener.load_balancer, actions)
        rule.actions = actions
    if params.get("Conditions") is not None:
        if rule.is_default:
            raise _error(
                "OperationNotPermitted", f"Conditions cannot be set on default rule '{rule.arn}'"
            )
        rule.conditions = list(params["Conditions"])
    _refresh(world, balancing, [*before, *_groups_of_listeners(balancing, [listener])])
    return {"Rules": [_rule_view(rule)]}


def delete_rule(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    listener, rule = _rule(balancing, str(params["RuleArn"]))
    if rule.is_default:
        raise _error("OperationNotPermitted", f"Default rule '{rule.arn}' cannot be deleted")
    groups = _groups_of_listeners(balancing, [listener])
    listener.rules.remove(rule)
    _refresh(world, balancing, groups)
    return {}


# -- targets ------------------------------------------------------------------------------


def _target_key(group: TargetGroup, given: Params) -> tuple[str, int]:
    target_id = str(given["Id"])
    port = given.get("Port", group.port)
    if group.target_type == "ip":
        try:
            ipaddress.ip_address(target_id)
        except ValueError:
            raise _error(
                "InvalidTarget", f"The IP address '{target_id}' is not a valid IPv4 address"
            ) from None
    if port is None:
        raise validation_error(f"A port must be specified for target '{target_id}'")
    return target_id, int(port)


def register_targets(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    group = target_group(balancing, str(params["TargetGroupArn"]))
    keys = [(_target_key(group, given), given) for given in params["Targets"]]
    for (target_id, port), given in keys:
        health.register(
            world,
            balancing,
            group,
            target_id,
            port,
            availability_zone=given.get("AvailabilityZone"),
        )
    return {}


def deregister_targets(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    group = target_group(balancing, str(params["TargetGroupArn"]))
    keys = [_target_key(group, given) for given in params["Targets"]]
    missing = [key for key in keys if key not in group.targets]
    if missing:
        listed = ", ".join(f"'Id={i},Port={p}'" for i, p in missing)
        raise _error(
            "InvalidTarget",
            f"The following targets are not registered in target group '{group.arn}': {listed}",
        )
    for key in keys:
        health.deregister(world, balancing, group, group.targets[key])
    return {}


def _target_health_view(group: TargetGroup, target: Target) -> dict[str, Any]:
    described: dict[str, Any] = {"Id": target.id, "Port": target.port}
    if target.availability_zone:
        described["AvailabilityZone"] = target.availability_zone
    state: dict[str, Any] = {"State": target.state}
    if target.reason:
        state["Reason"] = target.reason
    if target.description:
        state["Description"] = target.description
    port = group.health.port
    return {
        "Target": described,
        "HealthCheckPort": str(target.port) if port == "traffic-port" else port,
        "TargetHealth": state,
    }


def describe_target_health(
    world: World, balancing: LoadBalancing, region: str, account: str, params: Params
) -> Response:
    group = target_group(balancing, str(params["TargetGroupArn"]))
    if not params.get("Targets"):
        targets = list(group.targets.values())
    else:
        targets = []
        for given in params["Targets"]:
            key = _target_key(group, given)
            target = group.targets.get(key)
            if target is None:
                reason, description = health.NOT_REGISTERED
                target = Target(key[0], key[1], None, "unused", reason, description)
            targets.append(target)
    return {"TargetHealthDescriptions": [_target_health_view(group, t) for t in targets]}


OPERATIONS: dict[str, Operation] = {
    "CreateLoadBalancer": create_load_balancer,
    "DescribeLoadBalancers": describe_load_balancers,
    "DeleteLoadBalancer": delete_load_balancer,
    "CreateTargetGroup": create_target_group,
    "DescribeTargetGroups": describe_target_groups,
    "ModifyTargetGroup": modify_target_group,
    "DeleteTargetGroup": delete_target_group,
    "DescribeTargetGroupAttributes": describe_target_group_attributes,
    "ModifyTargetGroupAttributes": modify_target_group_attributes,
    "CreateListener": create_listener,
    "DescribeListeners": describe_listeners,
    "ModifyListener": modify_listener,
    "DeleteListener": delete_listener,
    "CreateRule": create_rule,
    "DescribeRules": describe_rules,
    "ModifyRule": modify_rule,
    "DeleteRule": delete_rule,
    "RegisterTargets": register_targets,
    "DeregisterTargets": deregister_targets,
    "DescribeTargetHealth": describe_target_health,
}
