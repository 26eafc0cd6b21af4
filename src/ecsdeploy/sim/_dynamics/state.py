"""The simulated ECS state of one region: clusters, container instances, services, deployments,
tasks, task definitions.

Plain slotted records compared by identity (`eq=False`): two tasks are the same task only if
they are the same object, and comparisons never walk the object graph. Behaviour lives in the
operation modules and the scheduler; these classes only keep data and the indexes that make the
hot paths cheap (a deployment knows its live tasks, a cluster knows every task it still lists).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID, NetworkInterface
from ecsdeploy.sim._dynamics.rules import ContainerRule
from ecsdeploy.sim._elbv2.state import LoadBalancing, Target, TargetGroup

MAX_SERVICE_EVENTS = 100
"""DescribeServices returns at most the 100 latest service events."""


@dataclass(slots=True, eq=False)
class TaskDefinition:
    arn: str
    family: str
    revision: int
    body: dict[str, Any]
    """The full DescribeTaskDefinition `taskDefinition` member, minus `status`/`deregisteredAt`."""
    status: str = "ACTIVE"
    deregistered_at: float | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def containers(self) -> list[dict[str, Any]]:
        containers: list[dict[str, Any]] = self.body.get("containerDefinitions", [])
        return containers


@dataclass(slots=True, eq=False)
class Container:
    name: str
    image: str
    arn: str
    essential: bool
    health_check: tuple[float, int, float] | None
    """(interval, retries, startPeriod) of the container's `healthCheck`, None without one."""
    last_status: str = "PENDING"
    exit_code: int | None = None
    reason: str | None = None
    health_status: str = "UNKNOWN"
    command: str = ""
    """The command it runs (RunTask's override, else the task definition's), words joined by
    spaces: what a container rule's `command` glob is matched against."""


@dataclass(slots=True, eq=False)
class Task:
    task_id: str
    arn: str
    cluster: Cluster
    taskdef: TaskDefinition
    containers: list[Container]
    created_at: float
    service: Service | None = None
    deployment: Deployment | None = None
    started_by: str | None = None
    group: str | None = None
    launch_type: str | None = None
    rule: ContainerRule | None = None
    """The container rule this task was launched under, decided once at launch."""
    last_status: str = "PROVISIONING"
    desired_status: str = "RUNNING"
    health_status: str = "UNKNOWN"
    healthy: bool = False
    """Counts as healthy: HEALTHY, or RUNNING for `Timings.no_health_check_wait` without checks."""
    registered: bool = False
    """Registered with the service's target groups (it reached RUNNING behind a load balancer)."""
    failed: bool = False
    """Stopped unexpectedly (failed to start, crashed, failed health checks)."""
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None
    execution_stopped_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    version: int = 1
    tags: dict[str, str] = field(default_factory=dict)
    eni: NetworkInterface | None = None
    """The task's elastic network interface when its task definition uses awsvpc."""
    overrides: dict[str, Any] | None = None
    """RunTask's `overrides`, reported back as given."""
    targets: list[tuple[TargetGroup, Target]] = field(default_factory=list)
    """The ELB targets it is registered as, one per load balancer of its service."""
    run_spec: dict[str, Any] | None = None
    """A standalone task's launch settings from RunTask (launch type, platform version...)."""
    instance: ContainerInstance | None = None
    """The container instance it is placed on (EC2 launch type in a cluster that has any)."""
    bindings: tuple[PortBinding, ...] = ()
    """Its host ports on that instance (bridge and host network modes)."""
    placement_attempt: int = 0
    """Bumped whenever placement is tried again, so only the newest scheduled retry runs."""


@dataclass(frozen=True, slots=True)
class PortBinding:
    """One port mapping of a placed task, as DescribeTasks' `networkBindings` report it."""

    container: str
    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass(slots=True, eq=False)
class ContainerInstance:
    """An EC2 instance registered with a cluster ("Amazon ECS Linux container instances"):
    what it offers (CPU units, MiB of memory, reserved ports) and the tasks placed on it."""

    container_instance_id: str
    arn: str
    cluster: Cluster
    ec2_instance_id: str
    availability_zone: str
    cpu: int
    memory: int
    reserved_ports: tuple[int, ...]
    """TCP ports the instance keeps for itself (the agent's defaults: SSH, Docker, the agent)."""
    registered_at: float
    instance_type: str = "t3.medium"
    status: str = "ACTIVE"
    version: int = 1
    attributes: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    """Tasks placed here that are not STOPPED yet: they hold its CPU, memory and ports."""
    next_port: int = 0
    """Where the search for the next dynamic host port starts (0: the range's start)."""
    used_cpu: int = 0
    """CPU units its `tasks` hold (kept as tasks come and go, so placement does not sum them)."""
    used_memory: int = 0
    """MiB of memory its `tasks` hold."""


@dataclass(slots=True, eq=False)
class ServiceRevision:
    """What a service ran at one point: its task definition and deployment-relevant settings.

    "Amazon ECS service revisions"
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-revision.html).
    """

    arn: str
    taskdef: TaskDefinition
    created_at: float
    spec: dict[str, Any]


@dataclass(slots=True, eq=False)
class TrafficShift:
    """A BLUE_GREEN, LINEAR or CANARY deployment's lifecycle (`sim._dynamics.traffic_shift`).

    Weights are the green (target) revision's share in percent; the blue (source) revisions
    have the rest.
    """

    strategy: str
    steps: list[float]
    """Green's production weight after each PRODUCTION_TRAFFIC_SHIFT step; the last is 100."""
    step_bake: float
    """Seconds between two production traffic steps (LINEAR, CANARY)."""
    bake: float
    """Seconds of BAKE_TIME once all production traffic went to green."""
    hooks: list[dict[str, Any]]
    """`deploymentConfiguration.lifecycleHooks` as the deployment started."""
    stage: str = "PRE_SCALE_UP"
    step: int = 0
    production_weight: float = 0.0
    test_weight: float = 0.0
    token: int = 0
    """Bumped at every stage change: an action scheduled for an earlier stage does nothing."""


@dataclass(slots=True, eq=False)
class ServiceDeploymentRecord:
    """What ListServiceDeployments/DescribeServiceDeployments report for one service deployment.

    One record per CreateService/UpdateService that started a deployment; an ECS rollback
    (circuit breaker, deployment alarms or StopServiceDeployment) belongs to the record it
    rolls back.
    """

    arn: str
    service: Service
    created_at: float
    target_revision_arn: str
    source_revision_arns: list[str]
    deployment_configuration: dict[str, Any]
    status: str = "PENDING"
    status_reason: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stopped_at: float | None = None
    updated_at: float = 0.0
    rollback_reason: str | None = None
    rollback_started_at: float | None = None
    rollback_revision_arn: str | None = None
    circuit_breaker_status: str = "DISABLED"
    failure_count: int = 0
    threshold: int = 0
    threshold_reached_at: float | None = None
    """When failedTasks first reached the breaker's threshold, whether or not the breaker is on:
    the instant a failure is visible in ECS (benchmarks measure detection from it)."""
    triggered_alarm_names: list[str] = field(default_factory=list)
    """Deployment alarms that were in ALARM and failed the deployment."""
    shift: TrafficShift | None = None
    """The lifecycle of a BLUE_GREEN, LINEAR or CANARY deployment; None for a rolling one."""


@dataclass(slots=True, eq=False)
class Deployment:
    id: str
    service: Service
    taskdef: TaskDefinition
    revision_arn: str
    created_at: float
    desired_count: int
    record: ServiceDeploymentRecord
    status: str = "PRIMARY"
    updated_at: float = 0.0
    rollout_state: str = "IN_PROGRESS"
    rollout_state_reason: str = ""
    failed_tasks: int = 0
    """Consecutive failed tasks, as the circuit breaker counts them."""
    circuit_breaker_threshold: int = 3
    completes_not_before: float = 0.0
    """A rollback stays IN_PROGRESS at least until then, even if nothing is left to do."""
    failures_settled: bool = False
    """A task ran successfully and `resetOnHealthyTask` is on: failures are no longer counted."""
    is_rollback: bool = False
    """PRIMARY again because ECS rolled back to it (circuit breaker, deployment alarms or
    StopServiceDeployment); never rolled back itself, nor failed by alarms."""
    bake_ends_at: float | None = None
    """When ECS stops watching the deployment's alarms once the service is steady (bake time)."""
    tasks: dict[str, Task] = field(default_factory=dict)
    """Tasks of this deployment that are not STOPPED yet."""
    spec: dict[str, Any] = field(default_factory=dict)
    """launchType, platformVersion, networkConfiguration … as the service had them."""


@dataclass(slots=True, eq=False)
class Service:
    name: str
    arn: str
    cluster: Cluster
    spec: dict[str, Any]
    """Every CreateService/UpdateService member that DescribeServices returns as given."""
    desired_count: int
    taskdef_arn: str
    created_at: float
    status: str = "ACTIVE"
    deployments: list[Deployment] = field(default_factory=list)
    """PRIMARY first, then ACTIVE (draining) and INACTIVE (drained, about to disappear)."""
    events: deque[tuple[str, float, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_SERVICE_EVENTS)
    )
    """(id, createdAt, message), newest first."""
    records: list[ServiceDeploymentRecord] = field(default_factory=list)
    revisions: dict[str, ServiceRevision] = field(default_factory=dict)
    """Every revision the service had, by ARN."""
    last_completed: Deployment | None = None
    """The deployment a circuit-breaker rollback returns to."""
    steady: bool = False
    """Whether "has reached a steady state" was said since the service last changed."""
    start_failures: int = 0
    """Tasks in a row that stopped before RUNNING (the service throttle logic counts them)."""
    launch_not_before: float = 0.0
    """The throttled scheduler launches no task before this instant."""
    tags: dict[str, str] = field(default_factory=dict)
    production_groups: dict[str, str] = field(default_factory=dict)
    """Blue/green with an alternate target group: the configured `targetGroupArn` → the group
    serving production now (they swap at every successful deployment; `listener_weights`)."""

    @property
    def controller(self) -> str:
        controller: dict[str, Any] = self.spec.get("deploymentController") or {}
        return str(controller.get("type", "ECS"))

    @property
    def primary(self) -> Deployment | None:
        return self.deployments[0] if self.deployments else None


@dataclass(slots=True, eq=False)
class Cluster:
    name: str
    arn: str
    region: str
    spec: dict[str, Any]
    status: str = "ACTIVE"
    services: dict[str, Service] = field(default_factory=dict)
    """Services by name, including INACTIVE ones ECS still describes."""
    tasks: dict[str, Task] = field(default_factory=dict)
    """Every task ListTasks can still return, by task id (STOPPED ones until they expire)."""
    tags: dict[str, str] = field(default_factory=dict)
    run_task_tokens: dict[str, RunTaskToken] = field(default_factory=dict)
    """RunTask's client tokens in this cluster (ECS scopes them per cluster)."""
    instances: dict[str, ContainerInstance] = field(default_factory=dict)
    """Registered container instances by id, in registration order."""
    unplaced: dict[str, Task] = field(default_factory=dict)
    """Tasks by id that no container instance had room for yet (they wait in PROVISIONING)."""

    account: str = ACCOUNT_ID


@dataclass(slots=True, eq=False)
class RunTaskToken:
    """What one RunTask with a client token did, to answer its retries the same way."""

    fingerprint: str
    """The request without its token: a retry must send the same parameters."""
    at: float
    tasks: list[Task]
    failures: list[dict[str, Any]]


@dataclass(slots=True, eq=False)
class Region:
    """One account's ECS state in one region: accounts, like regions, share nothing."""

    name: str
    account: str = ACCOUNT_ID
    clusters: dict[str, Cluster] = field(default_factory=dict)
    families: dict[str, list[TaskDefinition]] = field(default_factory=dict)
    """Revisions by family; index `revision - 1`."""
    load_balancing: LoadBalancing = field(default_factory=LoadBalancing)
    """The region's ELBv2 load balancers, listeners and target groups."""
