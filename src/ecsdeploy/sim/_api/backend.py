"""The simulated ECS backend: in-memory state per region, every operation's semantics and the
deployment dynamics on simulated time. Synchronous and free of I/O; the wire layer
(`ecsdeploy.sim._wire.server`) parses and validates requests, calls `EcsBackend.handle`, and
serializes what it returns or raises.

Simulated: clusters, task definitions (stored losslessly), services with the rolling-update
(`ECS`) controller, the task lifecycle (`_lifecycle`) with container health checks, grace
period and startPeriod, the rolling update within minimumHealthyPercent/maximumPercent
(`_rollout`), rolloutState, failedTasks with resetOnHealthyTask and thresholdConfiguration,
the deployment circuit breaker and ECS's rollback to the last COMPLETED deployment
(`_circuit_breaker`), the service throttle logic (`_launch_throttle`), service events in ECS's
wording (`_events`), stopped tasks with stop codes and exit codes, service-deployment records
and StopServiceDeployment (`_deployments`, `_service_deployment_ops`), RunTask/StopTask
(`_task_ops`), awsvpc ENI attachments, tasks registered as ELBv2 targets with their health
on the target group's timing, ELB-failed tasks stopped and draining for the deregistration
delay (`_load_balancers`, `ecsdeploy.sim._elbv2`),
tags, container rules that make images fail, stop them as Spot interruption or retirement
does, or leave them without capacity (`_rules`), and deployment failure detection by CloudWatch
alarms with ECS's alarm rollback (`_deployment_alarms`; alarm states set through
`EcsBackend.set_alarm`, kept in `_alarms`).

Container instances (`_container_instance_ops`) and the placement of EC2 tasks on them, with
host ports for bridge and host network modes (`_placement`); in a cluster without container
instances every task finds room unless a `no_capacity` rule says otherwise.

Not simulated: capacity providers, draining and deregistering container instances, StartTask,
task sets (CODE_DEPLOY and EXTERNAL services are stored but run nothing), classic load
balancers, Service Connect,
CloudWatch itself (alarms have no metrics: their state is set by hand) and the 6-hourly
repetition of steady-state events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsdeploy.sim._api import cluster_ops as _cluster_ops
from ecsdeploy.sim._api import container_instance_ops as _container_instance_ops
from ecsdeploy.sim._api import service_deployment_ops as _service_deployment_ops
from ecsdeploy.sim._api import service_ops as _service_ops
from ecsdeploy.sim._api import tag_ops as _tag_ops
from ecsdeploy.sim._api import task_ops as _task_ops
from ecsdeploy.sim._api import taskdef_ops as _taskdef_ops
from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._api.operation import Operation
from ecsdeploy.sim._dynamics.alarms import AlarmStore, parse_alarm_rule
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._dynamics.deployment_alarms import check as check_alarms
from ecsdeploy.sim._dynamics.deployment_alarms import names_alarm
from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID, IdFactory
from ecsdeploy.sim._dynamics.lifecycle import watch_for_interruption
from ecsdeploy.sim._dynamics.rollout import evaluate
from ecsdeploy.sim._dynamics.rules import Behavior, ContainerRules
from ecsdeploy.sim._dynamics.state import Service
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._dynamics.world import World

__all__ = ["EcsBackend", "Timings"]

_OPERATIONS: dict[str, Operation] = {
    **_cluster_ops.OPERATIONS,
    **_container_instance_ops.OPERATIONS,
    **_taskdef_ops.OPERATIONS,
    **_service_ops.OPERATIONS,
    **_task_ops.OPERATIONS,
    **_service_deployment_ops.OPERATIONS,
    **_tag_ops.OPERATIONS,
}


class EcsBackend:
    """Simulated ECS: one independent state per (account, region), one simulated clock.

    `seed` makes every generated id reproducible; `timings` sets how long lifecycle steps take.
    """

    def __init__(
        self, clock: SimClock, *, seed: int | None = None, timings: Timings | None = None
    ) -> None:
        self._clock = clock
        self._seed = seed
        self._timings = timings if timings is not None else Timings()
        self._rules = ContainerRules()
        self._alarms = AlarmStore()
        self._world = self._new_world()

    def _new_world(self) -> World:
        return World(
            now=self._clock.now(),
            ids=IdFactory(self._seed),
            timings=self._timings,
            rules=self._rules,
            evaluate=self._evaluate,
            seed=self._seed,
        )

    def _evaluate(self, world: World, service: Service) -> None:
        # Alarms first: a deployment they fail launches nothing more in the same evaluation.
        check_alarms(world, service, self._alarms)
        evaluate(world, service)

    @property
    def world(self) -> World:
        """The simulated state and its event heap (replaced on `reset`)."""
        return self._world

    @property
    def alarms(self) -> AlarmStore:
        """CloudWatch alarm states the services' deployment alarms read."""
        return self._alarms

    @property
    def clock(self) -> SimClock:
        return self._clock

    @property
    def timings(self) -> Timings:
        return self._timings

    @property
    def operations(self) -> frozenset[str]:
        """Names of the ECS operations this backend implements."""
        return frozenset(_OPERATIONS)

    def handle(
        self,
        region: str,
        operation: str,
        params: dict[str, Any],
        *,
        account: str = ACCOUNT_ID,
    ) -> dict[str, Any]:
        """Run one ECS API operation in `account`'s `region` (the account of the request's
        credentials: an STS role session's, else the default one); accounts share nothing.
        `params` is the parsed JSON request body, already validated against botocore's input
        shape. Returns the JSON response body (timestamps as float epoch seconds of simulated
        time). Raises `EcsApiError` as ECS would answer; an operation this backend does not
        implement raises `InvalidAction`, the code AWS uses for unknown actions.
        """
        implementation = _OPERATIONS.get(operation)
        if implementation is None:
            raise EcsApiError(
                "InvalidAction",
                f"The action {operation} is not valid for this web service.",
            )
        self.catch_up()
        response = implementation(self._world, self._world.region(region, account), params)
        # The operation may have touched services (new deployment, desired count); let the
        # scheduler react at this same instant so the next call already sees launched tasks.
        self._world.settle()
        return response

    def catch_up(self) -> None:
        """Run the dynamics up to the clock's current simulated time."""
        self._world.run_until(self._clock.now())

    def add_container_rule(self, rule: Mapping[str, Any]) -> None:
        """Validate `rule` (ValueError explains a bad one) and give it priority over older rules.

        Rules apply to tasks launched afterwards, except `interruption` rules, which also stop
        tasks already RUNNING; see `ecsdeploy.sim._dynamics.rules` for the semantics.
        """
        parsed = self._rules.add(rule)
        if parsed.behavior is Behavior.INTERRUPTION:
            self.catch_up()
            interruption = self._rules.interruptions[-1]
            for region in self._world.regions.values():
                for cluster in region.clusters.values():
                    for task in list(cluster.tasks.values()):
                        watch_for_interruption(self._world, task, interruption)

    def add_container_instances(self, request: Mapping[str, Any]) -> list[str]:
        """Register container instances with a cluster (see
        `ecsdeploy.sim._api.container_instance_ops.add_instances`); their ARNs."""
        self.catch_up()
        arns = _container_instance_ops.add_instances(self._world, request)
        self._world.settle()
        return arns

    def set_alarm(
        self, name: str, state: str, reason: str = "", *, reason_data: str | None = None
    ) -> None:
        """Set CloudWatch alarm `name` to `state` (OK, ALARM, INSUFFICIENT_DATA) now; the
        deployments it watches react at once (see `ecsdeploy.sim._dynamics.deployment_alarms`)."""
        self.catch_up()
        self._alarms.set(name, state, reason, now=self._world.now, reason_data=reason_data)
        for region in self._world.regions.values():
            for cluster in region.clusters.values():
                for service in cluster.services.values():
                    if names_alarm(service, name):
                        self._world.touch(service)
        self._world.settle()

    def add_alarm_rule(self, rule: Mapping[str, Any]) -> None:
        """A control-API alarm rule ``{"alarm": NAME, "state": ..., "reason": ...}``."""
        self.set_alarm(*parse_alarm_rule(rule))

    def clear_container_rules(self) -> None:
        self._rules.clear()

    def add_hook_rule(self, rule: Mapping[str, Any]) -> None:
        """A control-API hook rule ``{"hook_stage": STAGE, "hook": ARN, …}``: the lifecycle hooks
        it matches answer FAILED (see `ecsdeploy.sim._dynamics.hook_rules`)."""
        self.catch_up()
        self._world.hook_rules.add(rule)

    def clear_hook_rules(self) -> None:
        self._world.hook_rules.clear()

    def clear_alarms(self) -> None:
        """Every alarm back to INSUFFICIENT_DATA (no deployment fails on that)."""
        self._alarms.clear()

    def timeline(self) -> list[dict[str, Any]]:
        """Every service deployment's instants in simulated epoch seconds, oldest first: when
        it was asked for (`created_at`, the UpdateService), when its failed tasks reached the
        breaker's threshold, when ECS began rolling it back (and whether a client asked for that
        with StopServiceDeployment), and when it finished."""
        records = [
            record
            for region in self._world.regions.values()
            for cluster in region.clusters.values()
            for service in cluster.services.values()
            for record in service.records
        ]
        return [
            {
                "region": record.service.cluster.region,
                "cluster": record.service.cluster.name,
                "service": record.service.name,
                "serviceDeploymentArn": record.arn,
                "targetServiceRevisionArn": record.target_revision_arn,
                "taskDefinition": record.service.revisions[record.target_revision_arn].taskdef.arn
                if record.target_revision_arn in record.service.revisions
                else None,
                "status": record.status,
                "createdAt": record.created_at,
                "thresholdReachedAt": record.threshold_reached_at,
                "rollbackStartedAt": record.rollback_started_at,
                # StopServiceDeployment(ROLLBACK): a client's rollback, not ECS's own.
                "rollbackRequested": record.rollback_reason
                == _service_deployment_ops.STOP_REQUESTED_REASON,
                "finishedAt": record.finished_at,
            }
            for record in sorted(records, key=lambda r: r.created_at)
        ]

    def reset(self) -> None:
        """Forget every region's state, all container rules and alarms."""
        self._rules.clear()
        self._alarms.forget()
        self._world = self._new_world()
