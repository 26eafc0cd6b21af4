"""Describe* by ARN answers only the resource that ARN names."""

from __future__ import annotations

import json

from tests.sim.backend_fixtures import REGION, Sim

ACCOUNT = "123456789012"


def test_a_service_arn_of_another_cluster_is_missing_not_this_clusters_namesake() -> None:
    """A service ARN naming cluster `stage` asked of cluster `prod` is MISSING under the ARN
    given, never answered with prod's service of the same name (a different ARN)."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    elsewhere = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/stage/webapp"
    described = sim.call("DescribeServices", cluster="prod", services=[elsewhere])
    assert described["services"] == []
    assert described["failures"] == [{"arn": elsewhere, "reason": "MISSING"}]


def test_a_service_arn_of_another_account_or_region_is_not_answered_here() -> None:
    """Service ARNs of another account or region name other services: none is answered with
    this cluster's service of the same name."""
    sim = Sim()
    sim.create_service(sim.register("myorg/web:1"), desired=1)
    other_account = f"arn:aws:ecs:{REGION}:210987654321:service/prod/webapp"
    other_region = f"arn:aws:ecs:eu-west-3:{ACCOUNT}:service/prod/webapp"
    own = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/webapp"
    described = sim.call(
        "DescribeServices", cluster="prod", services=[other_account, own, other_region]
    )
    assert [s["serviceArn"] for s in described["services"]] == [own]
    assert described["failures"] == [
        {"arn": other_account, "reason": "MISSING"},
        {"arn": other_region, "reason": "MISSING"},
    ]


def test_a_container_instance_arn_of_another_cluster_is_missing() -> None:
    """A container-instance ARN naming another cluster, with the id of one of this cluster's
    instances, is MISSING under the ARN given."""
    sim = Sim()
    sim.call("CreateCluster", clusterName="prod")
    document = {"instanceId": "i-0123456789abcdef0", "availabilityZone": f"{REGION}b"}
    registered = sim.call(
        "RegisterContainerInstance",
        cluster="prod",
        instanceIdentityDocument=json.dumps({**document, "region": REGION}),
        totalResources=[
            {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048},
        ],
    )
    own: str = registered["containerInstance"]["containerInstanceArn"]
    elsewhere = own.replace("/prod/", "/stage/")
    described = sim.call(
        "DescribeContainerInstances", cluster="prod", containerInstances=[elsewhere, own]
    )
    assert [i["containerInstanceArn"] for i in described["containerInstances"]] == [own]
    assert described["failures"] == [{"arn": elsewhere, "reason": "MISSING"}]
