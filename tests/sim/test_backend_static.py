"""The static API: clusters, task definitions, services, tasks and tags, their errors and
pagination, with every response checked against botocore's output shape."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from ecsdeploy.sim._api.errors import EcsApiError
from tests.sim.backend_fixtures import Sim

_MODEL = botocore.session.get_session().get_service_model("ecs")


def _error(sim: Sim, operation: str, **params: Any) -> EcsApiError:
    with pytest.raises(EcsApiError) as caught:
        sim.call(operation, **params)
    return caught.value


def _sample(shape: Shape, depth: int = 0) -> Any:
    """A value for every member of `shape`, the way a lossless copy would send it."""
    if isinstance(shape, StructureShape):
        return {name: _sample(member, depth + 1) for name, member in shape.members.items()}
    if isinstance(shape, ListShape):
        return [_sample(shape.member, depth + 1)]
    if isinstance(shape, MapShape):
        return {"k1": _sample(shape.value, depth + 1)}
    enum = getattr(shape, "enum", None)
    if enum:
        return enum[0]
    return {"string": "x1", "integer": 1, "long": 1, "boolean": True, "double": 1.5}[
        shape.type_name
    ]


# Clusters -------------------------------------------------------------------------------------


def test_clusters_create_describe_list_delete() -> None:
    """Clusters are created idempotently, described with tags, listed and deleted."""
    sim = Sim()
    created = sim.call("CreateCluster", clusterName="prod", tags=[{"key": "team", "value": "a"}])
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
    assert created["cluster"]["clusterArn"] == arn
    assert sim.call("CreateCluster", clusterName="prod")["cluster"]["clusterArn"] == arn
    described = sim.call("DescribeClusters", clusters=[arn, "nope"], include=["TAGS"])
    assert [c["clusterName"] for c in described["clusters"]] == ["prod"]
    assert described["clusters"][0]["tags"] == [{"key": "team", "value": "a"}]
    assert described["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/nope", "reason": "MISSING"}
    ]
    assert sim.call("ListClusters")["clusterArns"] == [arn]
    sim.create_service(sim.register("myorg/web:1"), desired=2)
    sim.advance(60)
    cluster = sim.call("DescribeClusters", clusters=["prod"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["activeServicesCount"]) == (2, 1)
    assert _error(sim, "DeleteCluster", cluster="prod").code == "ClusterContainsServicesException"
    sim.call("DeleteService", cluster="prod", service="webapp", force=True)
    sim.advance(60)
    assert sim.call("DeleteCluster", cluster=arn)["cluster"]["status"] == "INACTIVE"
    assert sim.call("ListClusters")["clusterArns"] == []
    assert _error(sim, "ListServices", cluster="prod").code == "ClusterNotFoundException"


def test_default_cluster_is_used_when_omitted() -> None:
    """Calls without a cluster use `default`, which must exist as on ECS."""
    sim = Sim()
    assert _error(sim, "ListServices").code == "ClusterNotFoundException"
    sim.call("CreateCluster")
    taskdef = sim.register("myorg/web:1")
    sim.call("CreateService", serviceName="s", taskDefinition=taskdef, desiredCount=1)
    [arn] = sim.call("ListServices")["serviceArns"]
    assert arn == "arn:aws:ecs:us-east-1:123456789012:service/default/s"


def test_regions_are_independent() -> None:
    """Each region has its own state."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    sim.region = "eu-west-1"
    assert sim.call("ListClusters")["clusterArns"] == []


# Task definitions -----------------------------------------------------------------------------


def test_register_then_describe_returns_every_member_given() -> None:
    """Every RegisterTaskDefinition input member comes back from DescribeTaskDefinition."""
    sim = Sim()
    input_shape = _MODEL.operation_model("RegisterTaskDefinition").input_shape
    assert input_shape is not None
    given = _sample(input_shape)
    given["family"] = "full"
    given["containerDefinitions"][0]["image"] = "myorg/web:1"
    tags = given.pop("tags")
    registered = sim.call("RegisterTaskDefinition", **given, tags=tags)
    assert registered["tags"] == tags
    described = sim.call("DescribeTaskDefinition", taskDefinition="full", include=["TAGS"])
    assert registered["taskDefinition"] == described["taskDefinition"]
    assert described["tags"] == tags
    body = described["taskDefinition"]
    for key, value in given.items():
        if key == "containerDefinitions":
            for field, field_value in value[0].items():
                assert body[key][0][field] == field_value, field
        else:
            assert body[key] == value, key
    assert body["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/full:1"
    assert (body["revision"], body["status"]) == (1, "ACTIVE")
    assert body["registeredBy"] == "arn:aws:iam::123456789012:root"
    assert body["compatibilities"]
    assert body["requiresAttributes"]


def test_describe_resolves_family_revision_and_arn() -> None:
    """A task definition is found by family, family:revision or ARN."""
    sim = Sim()
    first = sim.register("myorg/web:1")
    second = sim.register("myorg/web:2")
    assert first.endswith("web:1")
    assert second.endswith("web:2")

    def describe(reference: str) -> str:
        body = sim.call("DescribeTaskDefinition", taskDefinition=reference)["taskDefinition"]
        arn: str = body["taskDefinitionArn"]
        return arn

    assert describe("web") == second
    assert describe("web:1") == first
    assert describe(first) == first
    deregistered = sim.call("DeregisterTaskDefinition", taskDefinition="web:2")["taskDefinition"]
    assert deregistered["status"] == "INACTIVE"
    assert "deregisteredAt" in deregistered
    assert describe("web") == first  # bare family: latest ACTIVE
    assert describe(second) == second  # INACTIVE revisions stay describable
    error = _error(sim, "DescribeTaskDefinition", taskDefinition="web:9")
    assert (error.code, error.message) == ("ClientException", "Unable to describe task definition.")
    assert _error(sim, "DescribeTaskDefinition", taskDefinition="nope").code == "ClientException"
    error = _error(sim, "CreateService", serviceName="s", taskDefinition="web:2", desiredCount=1)
    assert error.code == "ClusterNotFoundException"
    sim.call("CreateCluster")
    error = _error(sim, "CreateService", serviceName="s", taskDefinition="web:2", desiredCount=1)
    assert (error.code, error.message) == ("ClientException", "TaskDefinition is inactive")


def test_register_refuses_what_ecs_refuses() -> None:
    """RegisterTaskDefinition refuses what ECS refuses, with ECS's error."""
    sim = Sim()
    assert _error(sim, "RegisterTaskDefinition", family="f", containerDefinitions=[]).code == (
        "ClientException"
    )
    error = _error(
        sim,
        "RegisterTaskDefinition",
        family="f",
        containerDefinitions=[{"name": "a", "image": "i"}],
        requiresCompatibilities=["FARGATE"],
        networkMode="bridge",
    )
    assert error.code == "ClientException"
    assert "awsvpc" in error.message
    error = _error(sim, "RegisterTaskDefinition", family="f", containerDefinitions=[{"image": "i"}])
    assert (error.code, error.message) == (
        "ClientException",
        "Container.name should not be null or empty.",
    )
    error = _error(
        sim,
        "RegisterTaskDefinition",
        family="f",
        containerDefinitions=[{"name": "a", "image": "i"}],
        tags=[{"value": "no key"}],
    )
    assert error.code == "InvalidParameterException"
    assert sim.call("ListTaskDefinitionFamilies", status="ALL")["families"] == []


def test_list_task_definitions_filters_sorts_and_pages() -> None:
    """ListTaskDefinitions filters by family and status, sorts and pages."""
    sim = Sim()
    for revision in range(1, 6):
        sim.register(f"myorg/web:{revision}")
    sim.register("myorg/api:1", family="api")
    sim.call("DeregisterTaskDefinition", taskDefinition="web:1")
    listed = sim.call("ListTaskDefinitions", familyPrefix="web")["taskDefinitionArns"]
    assert [a.rsplit("/", 1)[-1] for a in listed] == ["web:2", "web:3", "web:4", "web:5"]
    newest = sim.call("ListTaskDefinitions", sort="DESC", maxResults=2)
    assert [a.rsplit("/", 1)[-1] for a in newest["taskDefinitionArns"]] == ["web:5", "web:4"]
    rest = sim.call("ListTaskDefinitions", sort="DESC", nextToken=newest["nextToken"])
    assert [a.rsplit("/", 1)[-1] for a in rest["taskDefinitionArns"]] == [
        "web:3",
        "web:2",
        "api:1",
    ]
    inactive = sim.call("ListTaskDefinitions", status="INACTIVE")["taskDefinitionArns"]
    assert [a.rsplit("/", 1)[-1] for a in inactive] == ["web:1"]
    assert sim.call("ListTaskDefinitionFamilies")["families"] == ["api", "web"]
    assert sim.call("ListTaskDefinitionFamilies", familyPrefix="w")["families"] == ["web"]
    assert _error(sim, "ListTaskDefinitions", nextToken="garbage").code == (
        "InvalidParameterException"
    )


# Services -------------------------------------------------------------------------------------


def test_describe_services_reports_missing_and_refuses_more_than_10() -> None:
    """DescribeServices reports unknown services as MISSING and refuses more than 10."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1, tags=[{"key": "a", "value": "b"}])
    service_arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/webapp"
    described = sim.call(
        "DescribeServices",
        cluster="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        services=[service_arn, "ghost"],
        include=["TAGS"],
    )
    assert [s["serviceArn"] for s in described["services"]] == [service_arn]
    assert described["services"][0]["tags"] == [{"key": "a", "value": "b"}]
    assert described["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:service/prod/ghost", "reason": "MISSING"}
    ]
    error = _error(sim, "DescribeServices", cluster="prod", services=[f"s{i}" for i in range(11)])
    assert (error.code, error.message) == (
        "InvalidParameterException",
        "service names can have at most 10 items.",
    )
    assert _error(sim, "DescribeServices", cluster="prod", services=[]).message == (
        "Services cannot be empty."
    )


def test_create_service_stores_configuration() -> None:
    """CreateService keeps the configuration it was given and describes it back."""
    sim = Sim()
    service = sim.create_service(
        sim.register("myorg/web:1", port=80, networkMode="awsvpc"),
        desired=1,
        launchType="FARGATE",
        loadBalancers=[
            {"targetGroupArn": sim.target_group(), "containerName": "app", "containerPort": 80}
        ],
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
        enableExecuteCommand=True,
    )
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert service["deploymentController"] == {"type": "ECS"}
    assert service["launchType"] == "FARGATE"
    assert service["loadBalancers"][0]["containerPort"] == 80
    assert service["enableExecuteCommand"] is True
    assert service["deployments"][0]["launchType"] == "FARGATE"
    assert service["platformVersion"] == "LATEST"
    assert service["deployments"][0]["platformVersion"] == "1.4.0"
    [task] = sim.call(
        "DescribeTasks", cluster="prod", tasks=sim.call("ListTasks", cluster="prod")["taskArns"]
    )["tasks"]
    assert (task["launchType"], task["platformVersion"], task["platformFamily"]) == (
        "FARGATE",
        "1.4.0",
        "Linux",
    )
    assert service["deployments"][0]["networkConfiguration"] == service["networkConfiguration"]


def test_service_errors() -> None:
    """Service operations fail with ECS's exceptions for unknown or invalid services."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    sim.create_service(taskdef, desired=1)
    assert _error(sim, "UpdateService", cluster="prod", service="ghost").code == (
        "ServiceNotFoundException"
    )
    error = _error(
        sim,
        "CreateService",
        cluster="prod",
        serviceName="webapp",
        taskDefinition=taskdef,
        desiredCount=1,
    )
    assert error.code == "InvalidParameterException"
    error = _error(sim, "DeleteService", cluster="prod", service="webapp")
    assert (error.code, error.message) == (
        "InvalidParameterException",
        "The service cannot be stopped while it is scaled above 0.",
    )
    assert _error(sim, "UpdateService", cluster="prod", service="webapp", desiredCount=-1).code == (
        "InvalidParameterException"
    )
    sim.call("UpdateService", cluster="prod", service="webapp", desiredCount=0)
    sim.call("DeleteService", cluster="prod", service="webapp")
    error = _error(
        sim,
        "CreateService",
        cluster="prod",
        serviceName="webapp",
        taskDefinition=taskdef,
        desiredCount=1,
    )
    assert error.message == "Unable to Start a service that is still Draining."
    sim.advance(30)
    assert _error(sim, "UpdateService", cluster="prod", service="webapp").code == (
        "ServiceNotActiveException"
    )
    error = _error(sim, "CreateService", cluster="prod", serviceName="x", desiredCount=1)
    assert error.code == "InvalidParameterException"


def test_list_services_pages_by_10_by_default() -> None:
    """ListServices pages by 10 by default."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    for index in range(12):
        sim.create_service(taskdef, name=f"svc{index:02}", desired=0)
    first = sim.call("ListServices", cluster="prod")
    assert len(first["serviceArns"]) == 10
    second = sim.call("ListServices", cluster="prod", nextToken=first["nextToken"])
    assert len(second["serviceArns"]) == 2
    assert "nextToken" not in second


# Tasks ----------------------------------------------------------------------------------------


def test_list_and_describe_tasks() -> None:
    """ListTasks pages and filters by startedBy; DescribeTasks describes them."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=3)
    deployment_id = sim.service()["deployments"][0]["id"]
    page = sim.call("ListTasks", cluster="prod", maxResults=2)
    assert len(page["taskArns"]) == 2
    rest = sim.call("ListTasks", cluster="prod", nextToken=page["nextToken"])
    assert len(rest["taskArns"]) == 1
    assert len(sim.call("ListTasks", cluster="prod", startedBy=deployment_id)["taskArns"]) == 3
    assert len(sim.call("ListTasks", cluster="prod", family="web")["taskArns"]) == 3
    assert sim.call("ListTasks", cluster="prod", family="api")["taskArns"] == []
    assert sim.call("ListTasks", cluster="prod", desiredStatus="STOPPED")["taskArns"] == []
    error = _error(sim, "ListTasks", cluster="prod", startedBy="x", serviceName="webapp")
    assert error.code == "InvalidParameterException"
    assert _error(sim, "ListTasks", cluster="prod", serviceName="ghost").code == (
        "ServiceNotFoundException"
    )
    assert _error(sim, "ListTasks", cluster="prod", maxResults=101).code == (
        "InvalidParameterException"
    )
    task_id = page["taskArns"][0].rsplit("/", 1)[-1]
    [task] = sim.call("DescribeTasks", cluster="prod", tasks=[task_id])["tasks"]
    assert task["taskArn"] == page["taskArns"][0]
    error = _error(sim, "DescribeTasks", cluster="prod", tasks=[f"t{i}" for i in range(101)])
    assert error.code == "InvalidParameterException"
    assert _error(sim, "StopTask", cluster="prod", task="ghost").code == (
        "InvalidParameterException"
    )


# Tags, unknown operations, determinism --------------------------------------------------------


def test_tags_on_every_taggable_resource() -> None:
    """Clusters, services, task definitions and tasks can be tagged and untagged."""
    sim = Sim()
    taskdef = sim.register("myorg/web:1")
    service = sim.create_service(taskdef, desired=1)
    task_arn = sim.call("ListTasks", cluster="prod")["taskArns"][0]
    for arn in (service["clusterArn"], service["serviceArn"], taskdef, task_arn):
        sim.call("TagResource", resourceArn=arn, tags=[{"key": "k", "value": "v"}, {"key": "j"}])
        sim.call("UntagResource", resourceArn=arn, tagKeys=["j"])
        assert sim.call("ListTagsForResource", resourceArn=arn)["tags"] == [
            {"key": "k", "value": "v"}
        ], arn
    ghost = "arn:aws:ecs:us-east-1:123456789012:service/prod/ghost"
    assert _error(sim, "ListTagsForResource", resourceArn="not-an-arn").code == (
        "InvalidParameterException"
    )
    assert _error(sim, "ListTagsForResource", resourceArn=ghost).code == (
        "ResourceNotFoundException"
    )


def test_unimplemented_operation_is_invalid_action() -> None:
    """An operation the simulator does not implement is ECS's InvalidAction (400)."""
    sim = Sim()
    assert "StartTask" not in sim.backend.operations
    with pytest.raises(EcsApiError) as caught:
        sim.backend.handle("us-east-1", "StartTask", {})
    assert (caught.value.code, caught.value.status) == ("InvalidAction", 400)


def test_same_seed_same_ids_and_reset_forgets() -> None:
    """The same seed gives the same ids; another seed gives others."""

    def run(seed: int) -> list[str]:
        sim = Sim(seed=seed)
        sim.create_service(sim.register("myorg/web:1"), desired=2)
        sim.advance(30)
        return [*sorted(t["taskArn"] for t in sim.tasks()), sim.service()["deployments"][0]["id"]]

    assert run(1) == run(1)
    assert run(1) != run(2)
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.backend.add_container_rule({"image": "*", "behavior": "pull_error"})
    sim.backend.reset()
    assert sim.call("ListClusters")["clusterArns"] == []
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    sim.advance(60)
    assert sim.service()["runningCount"] == 1


def test_tasks_get_propagated_and_managed_tags() -> None:
    """propagateTags SERVICE copies the service's tags; enableECSManagedTags adds aws:ecs:*."""
    sim = Sim()
    sim.create_service(
        sim.register("myorg/web:1"),
        desired=1,
        tags=[{"key": "team", "value": "web"}],
        propagateTags="SERVICE",
        enableECSManagedTags=True,
    )
    arn = sim.call("ListTasks", cluster="prod")["taskArns"][0]
    [task] = sim.call("DescribeTasks", cluster="prod", tasks=[arn], include=["TAGS"])["tasks"]
    assert {t["key"]: t["value"] for t in task["tags"]} == {
        "team": "web",
        "aws:ecs:clusterName": "prod",
        "aws:ecs:serviceName": "webapp",
    }
