"""CreateCluster, DescribeClusters, ListClusters, DeleteCluster."""

from __future__ import annotations

from ecsdeploy.sim._api.errors import EcsApiError, cluster_not_found
from ecsdeploy.sim._api.operation import (
    DEFAULT_CLUSTER,
    Operation,
    Params,
    Response,
    max_results,
    tags_from,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._api.render import cluster_view
from ecsdeploy.sim._dynamics.ids import arn, name_of
from ecsdeploy.sim._dynamics.state import Cluster, Region
from ecsdeploy.sim._dynamics.world import World

_SPEC_KEYS = (
    "settings",
    "configuration",
    "capacityProviders",
    "defaultCapacityProviderStrategy",
    "serviceConnectDefaults",
)


def create_cluster(world: World, region: Region, params: Params) -> Response:
    """Idempotent, as in ECS: creating an existing ACTIVE cluster returns it unchanged."""
    name = params.get("clusterName") or DEFAULT_CLUSTER
    existing = region.clusters.get(name)
    if existing is None or existing.status != "ACTIVE":
        existing = region.clusters[name] = Cluster(
            name=name,
            arn=arn(region.name, f"cluster/{name}", region.account),
            region=region.name,
            account=region.account,
            spec={key: params[key] for key in _SPEC_KEYS if key in params},
            tags=tags_from(params.get("tags")),
        )
    return {"cluster": cluster_view(existing, include=frozenset({"TAGS"}))}


def describe_clusters(world: World, region: Region, params: Params) -> Response:
    names = params.get("clusters") or [DEFAULT_CLUSTER]
    include = frozenset(params.get("include") or ())
    clusters = []
    failures = []
    for given in names:
        cluster = region.clusters.get(name_of(given))
        if cluster is None:
            failures.append(
                {
                    "arn": arn(region.name, f"cluster/{name_of(given)}", region.account),
                    "reason": "MISSING",
                }
            )
        else:
            clusters.append(cluster_view(cluster, include=include))
    return {"clusters": clusters, "failures": failures}


def list_clusters(world: World, region: Region, params: Params) -> Response:
    arns = sorted(c.arn for c in region.clusters.values() if c.status == "ACTIVE")
    size = max_results(params, limit=100, default=100)
    chunk, token = page(arns, next_token=params.get("nextToken"), size=size)
    return with_token({"clusterArns": chunk}, token)


def delete_cluster(world: World, region: Region, params: Params) -> Response:
    cluster = region.clusters.get(name_of(params["cluster"]))
    if cluster is None or cluster.status != "ACTIVE":
        raise cluster_not_found()
    if any(s.status != "INACTIVE" for s in cluster.services.values()):
        raise EcsApiError(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        )
    if any(i.status in ("ACTIVE", "DRAINING") for i in cluster.instances.values()):
        # ECS keeps a cluster while container instances are registered with it; the simulator
        # does not deregister instances, so a cluster that has some stays.
        raise EcsApiError(
            "ClusterContainsContainerInstancesException",
            "The Cluster cannot be deleted while Container Instances are active or draining.",
        )
    if any(t.last_status != "STOPPED" for t in cluster.tasks.values()):
        raise EcsApiError(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        )
    cluster.status = "INACTIVE"
    return {"cluster": cluster_view(cluster)}


OPERATIONS: dict[str, Operation] = {
    "CreateCluster": create_cluster,
    "DescribeClusters": describe_clusters,
    "ListClusters": list_clusters,
    "DeleteCluster": delete_cluster,
}
