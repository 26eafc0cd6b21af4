"""Helpers for backend-level simulator tests: a backend on a stopped clock, and a strict check
that every response matches the output shape (of the simulator's own, newest ECS model) for its
operation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ecsdeploy.sim._api.backend import EcsBackend
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._elbv2.backend import ElbBackend
from ecsdeploy.sim._wire.services import Caller
from ecsdeploy.sim._wire.validation import load_ecs_model

REGION = "us-east-1"
START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: simulated time starts here in every backend test."""


def bridge_web() -> dict[str, Any]:
    """RegisterTaskDefinition's input for a bridge-mode `web`: port 8080 on a dynamic host port
    (a new dict each call: the backend keeps what it is given)."""
    return {
        "family": "web",
        "networkMode": "bridge",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "myorg/web:1",
                "memory": 256,
                "portMappings": [{"containerPort": 8080, "hostPort": 0}],
            }
        ],
    }


_MODEL = load_ecs_model()


def check_shape(value: Any, shape: Shape, path: str = "$") -> None:
    """Fail on any member botocore does not know, or a value of the wrong JSON type."""
    if isinstance(shape, StructureShape):
        assert isinstance(value, dict), f"{path}: expected object, got {value!r}"
        for key, item in value.items():
            assert key in shape.members, f"{path}: {key!r} is not a member of {shape.name}"
            check_shape(item, shape.members[key], f"{path}.{key}")
    elif isinstance(shape, ListShape):
        assert isinstance(value, list), f"{path}: expected list, got {value!r}"
        for index, item in enumerate(value):
            check_shape(item, shape.member, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        assert isinstance(value, dict), f"{path}: expected map, got {value!r}"
        for key, item in value.items():
            check_shape(key, shape.key, f"{path}<key>")
            check_shape(item, shape.value, f"{path}[{key!r}]")
    else:
        expected: dict[str, tuple[type, ...]] = {
            "string": (str,),
            "integer": (int,),
            "long": (int,),
            "boolean": (bool,),
            "timestamp": (int, float),
            "double": (int, float),
            "float": (int, float),
            "blob": (str,),
        }
        types = expected[shape.type_name]
        ok = isinstance(value, types) and not (
            shape.type_name != "boolean" and isinstance(value, bool)
        )
        assert ok, f"{path}: {value!r} is not a {shape.type_name}"
        enum = getattr(shape, "enum", None)
        if enum:
            assert value in enum, f"{path}: {value!r} not in {enum}"


class Sim:
    """An EcsBackend on a clock that only moves when the test advances it."""

    def __init__(
        self, *, seed: int = 7, timings: Timings | None = None, region: str = REGION
    ) -> None:
        self.clock = SimClock(speed=0, start=START)
        self.backend = EcsBackend(self.clock, seed=seed, timings=timings)
        self.region = region

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        response = self.backend.handle(self.region, operation, params)
        output = _MODEL.operation_model(operation).output_shape
        if output is not None:
            check_shape(response, output)
        return response

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.backend.catch_up()

    def steps(self, seconds: float, *, step: float = 1.0) -> Iterator[float]:
        """Advance `seconds` in `step`s, yielding the elapsed time after each."""
        elapsed = 0.0
        while elapsed < seconds:
            self.advance(step)
            elapsed += step
            yield elapsed

    # Shortcuts for the common setup --------------------------------------------------------

    def register(
        self,
        image: str,
        *,
        family: str = "web",
        health_check: bool = False,
        port: int | None = None,
        **extra: Any,
    ) -> str:
        container: dict[str, Any] = {"name": "app", "image": image, "memory": 256}
        if port is not None:
            container["portMappings"] = [{"containerPort": port}]
        if health_check:
            container["healthCheck"] = {"command": ["CMD-SHELL", "curl -f localhost || exit 1"]}
        response = self.call(
            "RegisterTaskDefinition", family=family, containerDefinitions=[container], **extra
        )
        arn: str = response["taskDefinition"]["taskDefinitionArn"]
        return arn

    def create_service(
        self,
        taskdef: str,
        *,
        name: str = "webapp",
        desired: int = 2,
        circuit_breaker: bool | None = None,
        rollback: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
        cluster: str = "prod",
        deployment: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """CreateService (and its cluster, if new); `deployment`: more deploymentConfiguration
        keys (a strategy, a breaker's own settings) than the shortcuts above."""
        if cluster not in {c.rsplit("/", 1)[-1] for c in self.call("ListClusters")["clusterArns"]}:
            self.call("CreateCluster", clusterName=cluster)
        config: dict[str, Any] = {}
        if circuit_breaker is not None:
            config["deploymentCircuitBreaker"] = {"enable": circuit_breaker, "rollback": rollback}
        if minimum is not None:
            config["minimumHealthyPercent"] = minimum
        if maximum is not None:
            config["maximumPercent"] = maximum
        config.update(deployment or {})
        service: dict[str, Any] = self.call(
            "CreateService",
            cluster=cluster,
            serviceName=name,
            taskDefinition=taskdef,
            desiredCount=desired,
            deploymentConfiguration=config,
            **extra,
        )["service"]
        return service

    def target_group(self, name: str = "web", **settings: Any) -> str:
        """A target group behind a load balancer (see `ElbBackend.load_balanced_target_group`)."""
        return ElbBackend(self.backend).load_balanced_target_group(
            name, region=self.region, account="123456789012", **settings
        )

    def elb(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an ELBv2 operation of the same world."""
        return ElbBackend(self.backend).handle(
            self.region, operation, params, caller=Caller("", "123456789012")
        )

    def service(self, name: str = "webapp", *, cluster: str = "prod") -> dict[str, Any]:
        services = self.call("DescribeServices", cluster=cluster, services=[name])["services"]
        assert len(services) == 1
        service: dict[str, Any] = services[0]
        return service

    def update(self, name: str = "webapp", *, cluster: str = "prod", **params: Any) -> str:
        """UpdateService; returns the id of the PRIMARY deployment afterwards."""
        service = self.call("UpdateService", cluster=cluster, service=name, **params)["service"]
        primary: str = service["deployments"][0]["id"]
        return primary

    def deployment(self, deployment_id: str, name: str = "webapp") -> dict[str, Any] | None:
        for deployment in self.service(name)["deployments"]:
            if deployment["id"] == deployment_id:
                found: dict[str, Any] = deployment
                return found
        return None

    def tasks(
        self, *, name: str = "webapp", desired: str = "RUNNING", cluster: str = "prod"
    ) -> list[dict[str, Any]]:
        arns: list[str] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "cluster": cluster,
                "serviceName": name,
                "desiredStatus": desired,
            }
            if token:
                params["nextToken"] = token
            page = self.call("ListTasks", **params)
            arns += page["taskArns"]
            token = page.get("nextToken")
            if not token:
                break
        described: list[dict[str, Any]] = []
        for start in range(0, len(arns), 100):
            described += self.call(
                "DescribeTasks", cluster=cluster, tasks=arns[start : start + 100]
            )["tasks"]
        return described

    def messages(self, name: str = "webapp") -> list[str]:
        """Service event messages, oldest first."""
        return [event["message"] for event in reversed(self.service(name)["events"])]

    def run_until_settled(
        self, deployment_id: str, *, name: str = "webapp", limit: float = 3600.0
    ) -> dict[str, Any]:
        """Advance until the deployment is no longer IN_PROGRESS; return it."""
        for _ in self.steps(limit, step=5.0):
            deployment = self.deployment(deployment_id, name)
            if deployment is not None and deployment["rolloutState"] != "IN_PROGRESS":
                return deployment
        raise AssertionError(f"{deployment_id} still in progress after {limit} s")
