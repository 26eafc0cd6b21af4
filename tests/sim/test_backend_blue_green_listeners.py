"""Blue/green behind an Application Load Balancer (`advancedConfiguration`): green tasks in the
alternate target group, the production and test listener rules' weights moving between the two
groups, and the groups swapping roles after a successful deployment."""

from __future__ import annotations

from typing import Any

from tests.sim.backend_fixtures import Sim

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
ROLE = "arn:aws:iam::123456789012:role/ecs-elb"


def _balanced(sim: Sim) -> dict[str, str]:
    """An ALB with two target groups, a production and a test listener rule: their ARNs."""
    balancer = sim.elb("CreateLoadBalancer", Name="web-alb", Subnets=["subnet-1", "subnet-2"])
    lb_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    arns: dict[str, str] = {}
    for name in ("blue", "green"):
        group = sim.elb(
            "CreateTargetGroup",
            Name=name,
            Protocol="HTTP",
            Port=8080,
            VpcId="vpc-1",
            TargetType="ip",
            HealthCheckIntervalSeconds=10,
            HealthCheckTimeoutSeconds=5,
            HealthyThresholdCount=2,
        )
        arns[name] = group["TargetGroups"][0]["TargetGroupArn"]
    both = {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": arns["blue"], "Weight": 100},
                {"TargetGroupArn": arns["green"], "Weight": 0},
            ]
        },
    }
    for port, kind in ((80, "production"), (8080, "test")):
        listener = sim.elb(
            "CreateListener",
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[both],
        )["Listeners"][0]["ListenerArn"]
        rule = sim.elb(
            "CreateRule",
            ListenerArn=listener,
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=[both],
        )
        arns[kind] = rule["Rules"][0]["RuleArn"]
    return arns


def _weights(sim: Sim, rule: str) -> dict[str, int]:
    described = sim.elb("DescribeRules", RuleArns=[rule])["Rules"][0]
    forward = next(a for a in described["Actions"] if a["Type"] == "forward")
    return {t["TargetGroupArn"]: t["Weight"] for t in forward["ForwardConfig"]["TargetGroups"]}


def _registered(sim: Sim, group: str) -> int:
    health = sim.elb("DescribeTargetHealth", TargetGroupArn=group)["TargetHealthDescriptions"]
    return sum(1 for d in health if d["TargetHealth"]["State"] != "draining")


def _service(sim: Sim, arns: dict[str, str]) -> None:
    entry: dict[str, Any] = {
        "targetGroupArn": arns["blue"],
        "containerName": "app",
        "containerPort": 8080,
        "advancedConfiguration": {
            "alternateTargetGroupArn": arns["green"],
            "productionListenerRule": arns["production"],
            "testListenerRule": arns["test"],
            "roleArn": ROLE,
        },
    }
    sim.create_service(
        sim.register("myorg/web:1", port=8080, networkMode="awsvpc"),
        desired=2,
        networkConfiguration=AWSVPC,
        loadBalancers=[entry],
    )
    sim.advance(300)
    sim.update(deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2})


def _stage(sim: Sim) -> str:
    brief = sim.call("ListServiceDeployments", cluster="prod", service="webapp")
    arn = brief["serviceDeployments"][0]["serviceDeploymentArn"]
    record = sim.call("DescribeServiceDeployments", serviceDeploymentArns=[arn])
    return str(record["serviceDeployments"][0].get("lifecycleStage", ""))


def _until(sim: Sim, stage: str) -> None:
    for _ in sim.steps(1800):
        if _stage(sim) == stage:
            return
    raise AssertionError(f"never reached {stage}")


def test_green_goes_to_the_alternate_group_and_the_rules_move_traffic() -> None:
    """Green registers with the alternate group; test traffic moves first, production at
    PRODUCTION_TRAFFIC_SHIFT; after success green's group keeps all production traffic."""
    sim = Sim()
    arns = _balanced(sim)
    _service(sim, arns)
    assert _registered(sim, arns["blue"]) == 2
    sim.update(taskDefinition=sim.register("myorg/web:2", port=8080, networkMode="awsvpc"))
    _until(sim, "POST_SCALE_UP")
    assert (_registered(sim, arns["blue"]), _registered(sim, arns["green"])) == (2, 2)
    assert _weights(sim, arns["production"]) == {arns["blue"]: 100, arns["green"]: 0}
    _until(sim, "POST_TEST_TRAFFIC_SHIFT")
    assert _weights(sim, arns["test"]) == {arns["blue"]: 0, arns["green"]: 100}
    assert _weights(sim, arns["production"]) == {arns["blue"]: 100, arns["green"]: 0}
    _until(sim, "BAKE_TIME")
    assert _weights(sim, arns["production"]) == {arns["blue"]: 0, arns["green"]: 100}
    assert _registered(sim, arns["blue"]) == 2  # blue kept through the bake time
    for _ in sim.steps(600):
        if _registered(sim, arns["blue"]) == 0:
            break
    assert _registered(sim, arns["green"]) == 2
    assert _weights(sim, arns["production"]) == {arns["green"]: 100, arns["blue"]: 0}


def test_the_next_deployment_goes_to_the_other_group() -> None:
    """After a successful deployment the groups swap roles: the next green registers with the
    group that was blue."""
    sim = Sim()
    arns = _balanced(sim)
    _service(sim, arns)
    sim.update(taskDefinition=sim.register("myorg/web:2", port=8080, networkMode="awsvpc"))
    for _ in sim.steps(1800):
        if sim.service()["deployments"][0].get("rolloutState") == "COMPLETED":
            break
    sim.advance(120)
    assert (_registered(sim, arns["blue"]), _registered(sim, arns["green"])) == (0, 2)
    sim.update(taskDefinition=sim.register("myorg/web:3", port=8080, networkMode="awsvpc"))
    _until(sim, "POST_SCALE_UP")
    assert (_registered(sim, arns["blue"]), _registered(sim, arns["green"])) == (2, 2)
    _until(sim, "BAKE_TIME")
    assert _weights(sim, arns["production"]) == {arns["green"]: 0, arns["blue"]: 100}


def test_a_rollback_puts_production_traffic_back_on_blue() -> None:
    """StopServiceDeployment(ROLLBACK) in BAKE_TIME: the production rule sends everything to
    blue again and green's targets drain."""
    sim = Sim()
    arns = _balanced(sim)
    _service(sim, arns)
    sim.update(taskDefinition=sim.register("myorg/web:2", port=8080, networkMode="awsvpc"))
    _until(sim, "BAKE_TIME")
    assert _weights(sim, arns["production"]) == {arns["blue"]: 0, arns["green"]: 100}
    brief = sim.call("ListServiceDeployments", cluster="prod", service="webapp")
    arn = brief["serviceDeployments"][0]["serviceDeploymentArn"]
    sim.call("StopServiceDeployment", serviceDeploymentArn=arn, stopType="ROLLBACK")
    sim.advance(30)
    assert _weights(sim, arns["production"]) == {arns["blue"]: 100, arns["green"]: 0}
    for _ in sim.steps(600):
        if _registered(sim, arns["green"]) == 0:
            break
    assert (_registered(sim, arns["blue"]), _registered(sim, arns["green"])) == (2, 0)
    assert sim.service()["taskDefinition"].endswith("web:1")
