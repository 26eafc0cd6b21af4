"""CreateService, UpdateService, DescribeServices, ListServices, DeleteService.

Only the `ECS` deployment controller is simulated, with its ROLLING strategy and the
BLUE_GREEN, LINEAR and CANARY lifecycles (`sim._dynamics.traffic_shift`). CODE_DEPLOY and
EXTERNAL services are created, described and deleted like any other, but no task set is ever
created for them, so they run no tasks and never change on their own.
"""

from __future__ import annotations

import copy
from typing import Any

from ecsdeploy.sim._api.errors import (
    client_error,
    invalid_parameter,
    service_not_active,
    service_not_found,
)
from ecsdeploy.sim._api.load_balancer_checks import check_load_balancers
from ecsdeploy.sim._api.network_checks import check_network_configuration, check_platform_version
from ecsdeploy.sim._api.operation import (
    Operation,
    Params,
    Response,
    cluster_param,
    describe_in_cluster,
    max_results,
    tags_from,
    with_token,
)
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._api.render import service_view
from ecsdeploy.sim._api.taskdef_ops import lookup_taskdef
from ecsdeploy.sim._dynamics import traffic_shift
from ecsdeploy.sim._dynamics.circuit_breaker import check_threshold
from ecsdeploy.sim._dynamics.deployments import failure_threshold, start_deployment
from ecsdeploy.sim._dynamics.ids import arn, name_of
from ecsdeploy.sim._dynamics.state import Cluster, Region, Service, TaskDefinition
from ecsdeploy.sim._dynamics.world import World

MAX_DESCRIBE_SERVICES = 10

_SPEC_DEFAULTS: dict[str, Any] = {
    "loadBalancers": [],
    "serviceRegistries": [],
    "placementConstraints": [],
    "placementStrategy": [],
    "schedulingStrategy": "REPLICA",
    "deploymentController": {"type": "ECS"},
    "enableECSManagedTags": False,
    "propagateTags": "NONE",
    "enableExecuteCommand": False,
}
_COPIED_KEYS = (
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
)
_UPDATABLE_KEYS = tuple(
    key for key in _COPIED_KEYS if key not in ("launchType", "schedulingStrategy")
)
_REDEPLOYING_KEYS = frozenset(
    {
        "capacityProviderStrategy",
        "platformVersion",
        "networkConfiguration",
        "loadBalancers",
        "serviceRegistries",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
    }
)
"""UpdateService members whose change starts a new deployment, as a new task definition does."""


def lookup_service(cluster: Cluster, name_or_arn: str) -> Service:
    service = cluster.services.get(name_of(name_or_arn))
    if service is None:
        raise service_not_found()
    return service


def _deployment_configuration(given: dict[str, Any] | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    for key, value in (given or {}).items():
        config[key] = copy.deepcopy(value)
    if not 0 <= config["minimumHealthyPercent"] <= 100:
        raise invalid_parameter("minimumHealthyPercent must be between 0 and 100.")
    if config["maximumPercent"] < 100 and config["minimumHealthyPercent"] > 0:
        raise invalid_parameter("maximumPercent must be at least 100.")
    return config


def _active_taskdef(region: Region, reference: str) -> TaskDefinition:
    taskdef = lookup_taskdef(region, reference)
    if taskdef is None:
        raise client_error("TaskDefinition not found.")
    if taskdef.status != "ACTIVE":
        raise client_error("TaskDefinition is inactive")
    return taskdef


def create_service(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    name = params["serviceName"]
    existing = cluster.services.get(name)
    if existing is not None and existing.status == "DRAINING":
        raise invalid_parameter("Unable to Start a service that is still Draining.")
    if existing is not None and existing.status != "INACTIVE":
        raise invalid_parameter("Creation of service was not idempotent.")
    spec: dict[str, Any] = {key: copy.deepcopy(value) for key, value in _SPEC_DEFAULTS.items()}
    spec.update({key: copy.deepcopy(params[key]) for key in _COPIED_KEYS if key in params})
    if "launchType" not in spec and "capacityProviderStrategy" not in spec:
        spec["launchType"] = "EC2"
    if spec.get("launchType") == "FARGATE":
        spec.setdefault("platformVersion", "LATEST")
    if "role" in params:
        spec["roleArn"] = params["role"]
    spec["deploymentConfiguration"] = _deployment_configuration(
        params.get("deploymentConfiguration")
    )
    controller = spec["deploymentController"].get("type", "ECS")
    reference = params.get("taskDefinition")
    if reference is None and controller != "EXTERNAL":
        raise invalid_parameter("TaskDefinition must be specified.")
    taskdef = _active_taskdef(region, reference) if reference is not None else None
    check_platform_version(spec)
    if taskdef is not None:
        check_network_configuration(taskdef, spec.get("networkConfiguration"), required=False)
    check_load_balancers(region, spec.get("loadBalancers"), taskdef)
    desired = params.get("desiredCount")
    if desired is None:
        if spec["schedulingStrategy"] == "REPLICA":
            raise invalid_parameter(
                "desiredCount must be specified for services using the REPLICA scheduling strategy."
            )
        desired = 0
    if int(desired) < 0:
        raise invalid_parameter("desiredCount must be greater than or equal to 0.")
    service = Service(
        name=name,
        arn=arn(region.name, f"service/{cluster.name}/{name}", region.account),
        cluster=cluster,
        spec=spec,
        desired_count=int(desired),
        taskdef_arn=taskdef.arn if taskdef is not None else "",
        created_at=world.now,
        tags=tags_from(params.get("tags")),
    )
    cluster.services[name] = service
    if controller == "ECS" and taskdef is not None:
        start_deployment(world, service, taskdef)
    return {"service": service_view(service)}


def update_service(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    service = lookup_service(cluster, params["service"])
    if service.status != "ACTIVE":
        raise service_not_active()
    controller = service.controller
    new_taskdef = None
    if params.get("taskDefinition") is not None:
        new_taskdef = _active_taskdef(region, params["taskDefinition"])
    redeploy = bool(params.get("forceNewDeployment")) or (
        new_taskdef is not None and new_taskdef.arn != service.taskdef_arn
    )
    if controller != "ECS" and (redeploy or new_taskdef is not None):
        raise invalid_parameter(
            f"Unable to update task definition on services with a {controller} deployment "
            f"controller. Use AWS CodeDeploy to trigger a new deployment."
            if controller == "CODE_DEPLOY"
            else f"Unable to update task definition on services with a {controller} "
            "deployment controller."
        )
    if params.get("desiredCount") is not None and int(params["desiredCount"]) < 0:
        raise invalid_parameter("desiredCount must be greater than or equal to 0.")
    if "networkConfiguration" in params or new_taskdef is not None:
        effective = new_taskdef or lookup_taskdef(region, service.taskdef_arn)
        if effective is not None:
            check_network_configuration(
                effective,
                params.get("networkConfiguration", service.spec.get("networkConfiguration")),
                required=False,
            )
    if "loadBalancers" in params or new_taskdef is not None:
        check_load_balancers(
            region,
            params.get("loadBalancers", service.spec.get("loadBalancers")),
            new_taskdef or lookup_taskdef(region, service.taskdef_arn),
        )
    if "deploymentConfiguration" in params:
        merged = dict(service.spec["deploymentConfiguration"])
        merged.update(params["deploymentConfiguration"] or {})
        service.spec["deploymentConfiguration"] = _deployment_configuration(merged)
    for key in _UPDATABLE_KEYS:
        if key in params:
            value = copy.deepcopy(params[key])
            if key in _REDEPLOYING_KEYS and service.spec.get(key) != value:
                redeploy = True
            service.spec[key] = value
    if params.get("desiredCount") is not None:
        service.desired_count = int(params["desiredCount"])
        primary = service.primary
        if primary is not None:
            primary.desired_count = service.desired_count
            if primary.rollout_state == "IN_PROGRESS":
                primary.circuit_breaker_threshold = failure_threshold(service)
                primary.record.threshold = primary.circuit_breaker_threshold
                if not redeploy:
                    check_threshold(world, primary)
        service.steady = False
    if redeploy and controller == "ECS":
        taskdef = new_taskdef or _current_taskdef(region, service)
        traffic_shift.begin(world, start_deployment(world, service, taskdef))
    world.touch(service)
    return {"service": service_view(service)}


def _current_taskdef(region: Region, service: Service) -> TaskDefinition:
    taskdef = lookup_taskdef(region, service.taskdef_arn)
    if taskdef is None:
        raise client_error("TaskDefinition not found.")
    return taskdef


def describe_services(world: World, region: Region, params: Params) -> Response:
    names = params["services"]
    if not names:
        raise invalid_parameter("Services cannot be empty.")
    if len(names) > MAX_DESCRIBE_SERVICES:
        raise invalid_parameter(f"service names can have at most {MAX_DESCRIBE_SERVICES} items.")
    cluster = cluster_param(region, params)
    include_tags = "TAGS" in (params.get("include") or ())
    services, failures = describe_in_cluster(
        region,
        cluster,
        names,
        kind="service",
        known=cluster.services,
        view=lambda service: service_view(service, include_tags=include_tags),
    )
    return {"services": services, "failures": failures}


def list_services(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    launch_type = params.get("launchType")
    strategy = params.get("schedulingStrategy")
    arns = [
        s.arn
        for s in cluster.services.values()
        if s.status != "INACTIVE"
        and (launch_type is None or s.spec.get("launchType") == launch_type)
        and (strategy is None or s.spec.get("schedulingStrategy") == strategy)
    ]
    size = max_results(params, limit=100, default=10)
    chunk, token = page(arns, next_token=params.get("nextToken"), size=size)
    return with_token({"serviceArns": chunk}, token)


def delete_service(world: World, region: Region, params: Params) -> Response:
    cluster = cluster_param(region, params)
    service = lookup_service(cluster, params["service"])
    if service.status == "INACTIVE":
        raise service_not_active()
    if service.desired_count > 0 and not params.get("force"):
        raise invalid_parameter("The service cannot be stopped while it is scaled above 0.")
    service.desired_count = 0
    for deployment in service.deployments:
        deployment.desired_count = 0
    service.status = "DRAINING"
    world.touch(service)
    return {"service": service_view(service)}


OPERATIONS: dict[str, Operation] = {
    "CreateService": create_service,
    "UpdateService": update_service,
    "DescribeServices": describe_services,
    "ListServices": list_services,
    "DeleteService": delete_service,
}
