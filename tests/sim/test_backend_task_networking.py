"""awsvpc tasks carry their elastic network interface, as DescribeTasks reports it."""

from __future__ import annotations

from typing import Any

from tests.sim.backend_fixtures import Sim

SUBNETS = ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"]


def _fargate_task(sim: Sim) -> dict[str, Any]:
    taskdef = sim.register(
        "myorg/web:1",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
    )
    sim.create_service(
        taskdef,
        desired=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": SUBNETS}},
    )
    sim.advance(60)
    [task] = sim.tasks()
    return task


def _details(attachment: dict[str, Any]) -> dict[str, str]:
    return {d["name"]: d["value"] for d in attachment["details"]}


def test_awsvpc_task_has_its_eni_attachment() -> None:
    """ "Task" (API reference, attachments): the Elastic Network Adapter associated with the
    task if it uses the awsvpc network mode, with its subnet, ENI id and private IP."""
    task = _fargate_task(Sim())
    [attachment] = task["attachments"]
    assert (attachment["type"], attachment["status"]) == ("ElasticNetworkInterface", "ATTACHED")
    details = _details(attachment)
    assert details["subnetId"] in SUBNETS
    assert details["networkInterfaceId"].startswith("eni-")
    assert details["privateIPv4Address"].startswith("10.0.")
    [interface] = task["containers"][0]["networkInterfaces"]
    assert interface == {
        "attachmentId": attachment["id"],
        "privateIpv4Address": details["privateIPv4Address"],
    }


def test_stopped_awsvpc_task_reports_its_eni_detached() -> None:
    """The attachment outlives the task in DescribeTasks, DETACHED once the task STOPPED."""
    sim = Sim()
    task = _fargate_task(sim)
    sim.call("StopTask", cluster="prod", task=task["taskArn"])
    sim.advance(60)
    [stopped] = sim.call("DescribeTasks", cluster="prod", tasks=[task["taskArn"]])["tasks"]
    assert stopped["attachments"][0]["status"] == "DETACHED"


def test_bridge_mode_tasks_have_no_attachment() -> None:
    """Without awsvpc there is no ENI to report."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.advance(60)
    [task] = sim.tasks()
    assert task["attachments"] == []
    assert task["containers"][0]["networkInterfaces"] == []


def test_running_awsvpc_tasks_have_distinct_private_ips_and_enis() -> None:
    """Each task gets an ENI of its own with its own private IP (load-balancer targets of type
    ip are told apart by it); 150 tasks at once share none."""
    sim = Sim(seed=1)
    taskdef = sim.register(
        "myorg/web:1",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
    )
    sim.create_service(
        taskdef,
        desired=150,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": SUBNETS}},
    )
    sim.advance(120)
    details = [_details(task["attachments"][0]) for task in sim.tasks()]
    assert len(details) == 150
    assert len({d["privateIPv4Address"] for d in details}) == 150
    assert len({d["networkInterfaceId"] for d in details}) == 150
    assert len({d["macAddress"] for d in details}) == 150
