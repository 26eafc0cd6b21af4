"""How long each simulated ECS step takes, in simulated seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timings:
    """Durations of the simulated task lifecycle and deployment bookkeeping.

    Defaults follow what a small Fargate task does on real ECS: a task is RUNNING 10 s after
    launch and, without health checks, counts as healthy 40 s later, so a one-task rollout
    completes in about a minute of simulated time. See "Amazon ECS task lifecycle"
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
    """

    provisioning: float = 2.0
    """PROVISIONING → PENDING: network interface attachment."""
    pending: float = 8.0
    """PENDING → RUNNING: image pull and container start (`pullStartedAt` .. `startedAt`)."""
    time_to_healthy: float | None = None
    """RUNNING → HEALTHY for tasks whose essential containers define a `healthCheck`. None: the
    longest `interval` among those checks (ECS default 30 s), as Docker runs the first check
    `interval` seconds after the container starts."""
    time_to_unhealthy: float | None = None
    """RUNNING → UNHEALTHY for images under an `unhealthy` container rule. None: `interval *
    retries` of the container's health check (ECS defaults: 30 s * 3)."""
    no_health_check_wait: float = 40.0
    """How long after RUNNING a task without container health checks starts counting as healthy.
    ECS documents 40 s for minimumHealthyPercent ("DeploymentConfiguration",
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html);
    the simulator uses the same moment for rollout completion and the circuit breaker."""
    deactivating: float = 1.0
    """DEACTIVATING → STOPPING: load balancer deregistration and network detach."""
    deregistration_delay: float = 30.0
    """DEACTIVATING duration for tasks of services behind a load balancer: the target group's
    deregistration delay while connections drain (ELB's default is 300 s; 30 s keeps demos
    brisk)."""
    stopping: float = 4.0
    """STOPPING → STOPPED: SIGTERM until the containers exit."""
    stopped_task_retention: float = 3600.0
    """How long STOPPED tasks stay visible to ListTasks/DescribeTasks (ECS: at least one hour)."""
    deployment_pending: float = 1.0
    """How long a new service-deployment record stays PENDING before IN_PROGRESS (AWS
    documents the state, not its length)."""
    rollback_delay: float = 5.0
    """How long a deployment the circuit breaker failed stays PRIMARY and FAILED before ECS's
    rollback starts, how long StopServiceDeployment's ROLLBACK_REQUESTED / STOP_REQUESTED
    last, and the least time a rollback stays IN_PROGRESS (AWS documents no figure; long enough
    for a watcher to see each state)."""
    alarm_bake_time: float = 60.0
    """How long a steady deployment with `deploymentConfiguration.alarms` enabled stays
    IN_PROGRESS while ECS keeps watching its alarms ("How CloudWatch alarms detect Amazon ECS
    deployment failures": ECS computes the bake time from the alarms' configuration)."""
    lifecycle_stage: float = 2.0
    """How long a BLUE_GREEN / LINEAR / CANARY lifecycle stage without hooks and without work
    of its own (waiting for tasks, a bake time) lasts (AWS documents the stages, not their
    length)."""
    lifecycle_hook: float = 5.0
    """How long a lifecycle hook's Lambda takes to answer (the simulator runs no Lambda: the
    answer is SUCCEEDED unless a hook rule makes it FAILED)."""
    drained_deployment_retention: float = 5.0
    """How long a drained deployment stays in the service's `deployments` as INACTIVE once the
    PRIMARY deployment is no longer IN_PROGRESS (until then it stays ACTIVE)."""

    jitter: float = 0.0
    """Stretch each provisioning and pending duration by a random factor in [1, 1 + jitter]
    (drawn from the seeded generator), so that tasks launched together do not all change state
    at the same instant. 0 keeps every duration exact."""

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Timings.{name} must be >= 0, not {value}")
        if self.provisioning + self.pending <= 0:
            # A launch that takes no time would let a crash loop spin forever at one instant.
            raise ValueError("Timings.provisioning + Timings.pending must be > 0")
