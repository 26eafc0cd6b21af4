"""Bridge-mode EC2 services behind `instance` target groups: each task is registered as its
container instance's EC2 id and its host port, turns healthy on the target group's timing,
drains when it stops, and is stopped by ECS when ELB's health checks fail."""

from __future__ import annotations

from typing import Any

from tests.sim.backend_fixtures import Sim, bridge_web
from tests.sim.test_backend_load_balancers import target_health

CLUSTER = "prod"
INTERVAL = 10


def bridge_service_behind_instances(sim: Sim, *, desired: int = 2, **service: Any) -> str:
    """Two container instances and a bridge service (dynamic host ports) behind a fresh
    `instance` target group; the group's ARN."""
    sim.call("CreateCluster", clusterName=CLUSTER)
    sim.backend.add_container_instances({"cluster": CLUSTER, "count": 2, "region": sim.region})
    group = sim.target_group(
        target_type="instance",
        health_check_interval=INTERVAL,
        healthy_threshold=3,
        unhealthy_threshold=2,
        deregistration_delay=30,
    )
    taskdef = sim.call(
        "RegisterTaskDefinition",
        **bridge_web(),
    )["taskDefinition"]["taskDefinitionArn"]
    sim.create_service(
        taskdef,
        desired=desired,
        loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": 8080}],
        **service,
    )
    return str(group)


def instance_targets(sim: Sim) -> set[tuple[str, int]]:
    """(EC2 instance id, host port) of each RUNNING task, from DescribeTasks and
    DescribeContainerInstances, as a client finds its targets."""
    tasks = [t for t in sim.tasks() if t["lastStatus"] == "RUNNING"]
    arns = sorted({t["containerInstanceArn"] for t in tasks})
    described = sim.call("DescribeContainerInstances", cluster=CLUSTER, containerInstances=arns)
    ec2 = {i["containerInstanceArn"]: i["ec2InstanceId"] for i in described["containerInstances"]}
    return {
        (ec2[task["containerInstanceArn"]], binding["hostPort"])
        for task in tasks
        for container in task["containers"]
        for binding in container["networkBindings"]
    }


def test_running_tasks_are_registered_as_instance_id_and_host_port() -> None:
    """Once RUNNING, each task is a target (its instance's i-… id, its dynamic host port),
    initial while its checks run, healthy after HealthyThresholdCount intervals."""
    sim = Sim()
    group = bridge_service_behind_instances(sim)
    sim.advance(10)
    expected = instance_targets(sim)
    assert len(expected) == 2
    assert all(target_id.startswith("i-") for target_id, _ in expected)
    health = target_health(sim, group)
    assert {(target_id, port) for target_id, port, _, _ in health} == expected
    assert {state for _, _, state, _ in health} == {"initial"}
    sim.advance(3 * INTERVAL)
    assert {state for _, _, state, _ in target_health(sim, group)} == {"healthy"}


def test_a_stopping_task_is_deregistered_and_drains() -> None:
    """Scaled in, a task's instance target drains (Target.DeregistrationInProgress) for the
    deregistration delay, then is gone."""
    sim = Sim()
    group = bridge_service_behind_instances(sim)
    sim.advance(60)
    sim.call("UpdateService", cluster=CLUSTER, service="webapp", desiredCount=1)
    sim.advance(1)
    states = sorted(state for _, _, state, _ in target_health(sim, group))
    assert states == ["draining", "healthy"]
    sim.advance(31)
    assert len(target_health(sim, group)) == 1


def test_elb_unhealthy_instance_targets_get_their_task_stopped() -> None:
    """Under an elb_unhealthy rule, the target turns unhealthy; ECS names the instance and
    port in its event and stops the task for failed ELB health checks."""
    sim = Sim()
    sim.backend.add_container_rule({"image": "myorg/web:1", "behavior": "elb_unhealthy"})
    group = bridge_service_behind_instances(sim, desired=1)
    sim.advance(10)
    ((ec2_id, port),) = instance_targets(sim)
    sim.advance(2 * INTERVAL + 1)
    event = (
        f"(service webapp) (instance {ec2_id}) (port {port}) is unhealthy in (target-group "
        f"{group}) due to (reason Health checks failed with these codes: [500])."
    )
    assert event in sim.messages()
    (stopped,) = sim.tasks(desired="STOPPED")
    assert stopped["stoppedReason"] == f"Task failed ELB health checks in (target-group {group})"
