"""TargetHealth: our deployment's load-balancer targets must be healthy in their target groups.

Only the targets of *our* deployment's tasks count: for awsvpc tasks the ENI's private IP and the
container port, for bridge/host tasks the container instance's EC2 id and the host port. Targets
of older deployments (draining, or failing for reasons of their own) are not ours to judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._gateway import concurrently
from ecsdeploy._models import Observation, Verdict, epoch
from ecsdeploy.checks._bind import CheckContext
from ecsdeploy.exceptions import AwsUnavailableError, InputError, ThrottledError

__all__ = [
    "OurTarget",
    "TargetHealth",
    "TargetLook",
    "aws_now",
    "look_at_targets",
    "targets_of_task",
]

JSON = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OurTarget:
    """A target our deployment's task should have in a target group."""

    target_group: str
    id: str
    port: int
    task_id: str
    #: When the task started (epoch seconds), for the grace period; None if not known.
    started_at: float | None

    def describe(self) -> str:
        return f"{self.id}:{self.port} (task {self.task_id}) in {_group_name(self.target_group)}"


@dataclass(frozen=True, slots=True)
class TargetLook:
    """One target of ours at one look: its ELB state, and whether the grace period covers it."""

    target: OurTarget
    #: ELBv2's TargetHealth.State, or None when the target is not registered (yet).
    state: str | None
    reason: str = ""
    description: str = ""
    in_grace: bool = False

    def describe(self) -> str:
        state = self.state or "not registered"
        why = ": ".join(p for p in (self.reason, self.description) if p)
        return f"{self.target.describe()} is {state}" + (f" ({why})" if why else "")


def _group_name(arn: str) -> str:
    """`web-tg` from `arn:aws:elasticloadbalancing:…:targetgroup/web-tg/73e2d6bc24d8a067`."""
    parts = arn.rsplit(":", maxsplit=1)[-1].split("/")
    return parts[1] if len(parts) >= 3 else arn


def targets_of_task(
    task: JSON,
    load_balancers: Sequence[JSON],
    instance_ids: Mapping[str, str],
) -> list[OurTarget]:
    """The targets ECS registers for one task: one per load balancer of the service."""
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
    started = epoch(task.get("startedAt"))
    ip = _private_ip(task)
    targets: list[OurTarget] = []
    for balancer in load_balancers:
        group = str(balancer.get("targetGroupArn") or "")
        if not group:
            continue
        container, port = balancer.get("containerName"), int(balancer.get("containerPort") or 0)
        if ip is not None:
            targets.append(OurTarget(group, ip, port, task_id, started))
            continue
        instance = instance_ids.get(str(task.get("containerInstanceArn", "")))
        host_port = _host_port(task, container, port)
        if instance is not None and host_port is not None:
            targets.append(OurTarget(group, instance, host_port, task_id, started))
    return targets


def _private_ip(task: JSON) -> str | None:
    for attachment in task.get("attachments", ()):
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        for detail in attachment.get("details", ()):
            if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                return str(detail["value"])
    return None


def _host_port(task: JSON, container: Any, container_port: int) -> int | None:
    for described in task.get("containers", ()):
        if described.get("name") != container:
            continue
        for binding in described.get("networkBindings", ()):
            if int(binding.get("containerPort") or 0) == container_port:
                return int(binding.get("hostPort") or container_port)
    return None


def aws_now(observation: Observation, tasks: Sequence[JSON]) -> float:
    """Now, for the grace period: our clock, or the newest time AWS itself reported if that is
    later (a clock behind AWS's, or the simulator's sped-up clock, must not stretch the grace
    period: it is counted in AWS's time, from the task's `startedAt`)."""
    stamps = [epoch(t.get("startedAt")) or 0.0 for t in tasks]
    stamps += [event.created_at for event in observation.events]
    stamps += [epoch(d.get("updatedAt")) or 0.0 for d in observation.service.get("deployments", ())]
    return max([observation.observed_at, *stamps])


def look_at_targets(
    ours: Iterable[OurTarget],
    health: Mapping[str, Sequence[JSON]],
    *,
    now: float,
    grace: float,
) -> list[TargetLook]:
    """Each of our targets as DescribeTargetHealth shows it (`health`: group → descriptions).

    A target inside the service's health-check grace period (counted from its task's start)
    is marked `in_grace`: ECS ignores its load balancer's verdict then, and so do we.
    """
    looks: list[TargetLook] = []
    for target in ours:
        found = next(
            (
                d
                for d in health.get(target.target_group, ())
                if str((d.get("Target") or {}).get("Id")) == target.id
                and int((d.get("Target") or {}).get("Port") or 0) == target.port
            ),
            None,
        )
        in_grace = grace > 0 and (target.started_at is None or now < target.started_at + grace)
        if found is None:
            looks.append(TargetLook(target, None, in_grace=in_grace))
            continue
        state = found.get("TargetHealth") or {}
        looks.append(
            TargetLook(
                target,
                str(state.get("State", "")),
                str(state.get("Reason", "")),
                str(state.get("Description", "")),
                in_grace,
            )
        )
    return looks


@dataclass(frozen=True, slots=True)
class TargetHealth:
    """Every target of our deployment's tasks is healthy in each of the service's target groups.

    - An `unhealthy` target outside the service's `healthCheckGracePeriodSeconds` is one
      unhealthy sighting; `threshold` sightings (over targets and looks, counted until a look
      finds all our targets healthy) fail the deployment with the target's reason code and
      description. ECS replaces tasks that fail their health checks, so the sightings of
      replaced tasks add up.
    - `initial`, not-yet-registered and in-grace targets are pending, never a failure.
    - A service without target groups (or behind a Classic Load Balancer) gets no opinion, and
      so do running tasks whose targets cannot be identified (no ENI address, no container
      instance).
    """

    threshold: int = 3
    name: str = "target-health"

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or self.threshold < 1:
            raise InputError(f"TargetHealth's threshold must be at least 1, not {self.threshold}")

    async def bind(self, context: CheckContext) -> BoundTargetHealth:
        """Probe DescribeTargetHealth on each target group (and, for bridge/host tasks,
        DescribeContainerInstances): a missing permission fails PREFLIGHT."""
        service = context.service
        balancers = [lb for lb in service.get("loadBalancers", ()) if lb.get("targetGroupArn")]
        aws = context.aws
        groups = dict.fromkeys(str(lb["targetGroupArn"]) for lb in balancers)
        await concurrently([partial(aws.describe_target_health, arn) for arn in groups])
        awsvpc = bool((service.get("networkConfiguration") or {}).get("awsvpcConfiguration"))
        if balancers and not awsvpc:
            await _probe_instances(aws, context.target.cluster, str(service.get("serviceName")))
        return BoundTargetHealth(
            self,
            aws=aws,
            cluster=context.target.cluster,
            load_balancers=tuple(balancers),
            grace=float(service.get("healthCheckGracePeriodSeconds") or 0),
        )

    async def evaluate(self, observation: Observation) -> Verdict:
        raise RuntimeError(
            "TargetHealth judges a deployment once bound to it: the Deployer binds it in "
            "PREFLIGHT (or call `await check.bind(context)`)"
        )


async def _probe_instances(aws: AwsReads, cluster: str, service: str) -> None:
    """DescribeContainerInstances on one running task's instance, a harmless read."""
    arns = await aws.ecs.list_tasks(cluster, service_name=service)
    tasks = await aws.ecs.describe_tasks(cluster, arns[:1]) if arns else []
    instances = [str(t["containerInstanceArn"]) for t in tasks if t.get("containerInstanceArn")]
    await aws.instance_ids(cluster, instances)


class BoundTargetHealth:
    """`TargetHealth` for one deployment: it keeps the unhealthy sightings and task details."""

    def __init__(
        self,
        check: TargetHealth,
        *,
        aws: AwsReads,
        cluster: str,
        load_balancers: Sequence[JSON],
        grace: float,
    ) -> None:
        self.check = check
        self.name = check.name
        self.grace = grace
        self.sightings = 0
        self._aws = aws
        self._cluster = cluster
        self._balancers = load_balancers
        self._groups = tuple(dict.fromkeys(str(lb["targetGroupArn"]) for lb in load_balancers))
        self._instances: dict[str, str] = {}
        self._running: dict[str, JSON] = {}
        #: The last look at each task's target that found it unhealthy (by task id).
        self._last_unhealthy: dict[str, TargetLook] = {}
        #: Tasks of ours whose stop for failed ELB health checks was counted.
        self._stops_counted: set[str] = set()

    async def evaluate(self, observation: Observation) -> Verdict:
        if not self._groups:
            return Verdict.unknown("the service has no target group")
        try:
            tasks, ours, health = await self._read(observation.deployment_id)
        except (AwsUnavailableError, ThrottledError) as exc:
            # An outage of ELBv2 (or ECS) is no verdict on the deployment: keep waiting, and
            # let the watch's deadline decide if it lasts.
            return Verdict.progressing(f"target health could not be read: {exc}")
        stopped = self._stopped_by_elb(observation)
        desired = int((observation.deployment or {}).get("desiredCount", 0) or 0)
        if not ours:
            if stopped:
                return self.judge([], running=len(tasks), desired=desired, stopped=stopped)
            if desired == 0:
                return Verdict.unknown("our deployment runs no task")
            if tasks:
                # Running, but with no ENI address and no container instance to name their
                # targets by: this check cannot judge them, and waiting would only run into the
                # timeout and roll back what ECS may well have completed.
                return Verdict.unknown(
                    f"{len(tasks)} running task(s) of our deployment have no target this check "
                    "can identify (no ENI address, no container instance)"
                )
            return Verdict.progressing("no task of our deployment runs yet")
        now = aws_now(observation, tasks)
        looks = look_at_targets(ours, health, now=now, grace=self.grace)
        for look in looks:
            if look.state == "unhealthy":
                self._last_unhealthy[look.target.task_id] = look
        return self.judge(looks, running=len(tasks), desired=desired, stopped=stopped)

    async def _read(
        self, deployment_id: str
    ) -> tuple[list[JSON], list[OurTarget], dict[str, list[dict[str, Any]]]]:
        """Our RUNNING tasks, their targets, and each target group's target health."""
        listed = await self._aws.running_tasks(self._cluster, deployment_id, known=self._running)
        tasks = [t for t in listed if t.get("lastStatus") == "RUNNING"]
        # A RUNNING task's address and ports do not change: it is not described again.
        self._running = {str(t["taskArn"]): t for t in tasks}
        unknown_instances = [
            str(t["containerInstanceArn"])
            for t in tasks
            if t.get("containerInstanceArn") and t["containerInstanceArn"] not in self._instances
        ]
        if unknown_instances:
            self._instances.update(await self._aws.instance_ids(self._cluster, unknown_instances))
        ours = [
            target
            for task in tasks
            for target in targets_of_task(task, self._balancers, self._instances)
        ]
        if not ours:
            return tasks, ours, {}
        described = await concurrently(
            [partial(self._aws.describe_target_health, arn) for arn in self._groups]
        )
        return tasks, ours, dict(zip(self._groups, described, strict=True))

    def _stopped_by_elb(self, observation: Observation) -> list[str]:
        """Our tasks ECS stopped for failing their ELB health checks since the last look.

        ECS stops such a task once the grace period is over, possibly between two looks: each
        stop is a sighting, described with what the last look at its target saw (or, if no
        look caught it unhealthy, with ECS's own event about it).
        """
        found: list[str] = []
        for task in observation.stopped_tasks:
            if task.task_id in self._stops_counted:
                continue
            if "elb health checks" not in task.stopped_reason.lower():
                continue
            self._stops_counted.add(task.task_id)
            look = self._last_unhealthy.get(task.task_id)
            if look is not None:
                found.append(f"{look.describe()}; ECS stopped the task")
                continue
            said = next(
                (
                    e.message
                    for e in reversed(observation.events)
                    if f"(task {task.task_id})" in e.message and "is unhealthy in" in e.message
                ),
                task.stopped_reason,
            )
            found.append(f"task {task.task_id} failed its ELB health checks: {said}")
        return found

    def judge(
        self,
        looks: Sequence[TargetLook],
        *,
        running: int,
        desired: int,
        stopped: Sequence[str] = (),
    ) -> Verdict:
        """The verdict on one look, counting unhealthy sightings towards the threshold:
        unhealthy targets past the grace period, and tasks ECS stopped for failing (`stopped`,
        as `_stopped_by_elb` describes them)."""
        threshold = self.check.threshold
        failing = [k for k in looks if k.state == "unhealthy" and not k.in_grace]
        healthy = [k for k in looks if k.state == "healthy"]
        if failing or stopped:
            self.sightings += len(failing) + len(stopped)
            worst = failing[-1].describe() if failing else stopped[-1]
            said = f"{worst}; {self.sightings}/{threshold} unhealthy sightings"
            if self.sightings >= threshold:
                return Verdict.failed(said)
            return Verdict.progressing(said)
        if looks and len(healthy) == len(looks) and running >= desired:
            self.sightings = 0
            return Verdict.healthy(
                f"{len(healthy)} targets of {running} tasks healthy in "
                f"{len(self._groups)} target group(s)"
            )
        waiting = next((k for k in looks if k.state != "healthy"), None)
        if waiting is None:
            return Verdict.progressing(f"{running}/{desired} tasks of our deployment run")
        grace = " (in the grace period)" if waiting.in_grace else ""
        return Verdict.progressing(
            f"{len(healthy)}/{len(looks)} targets healthy; {waiting.describe()}{grace}"
        )
