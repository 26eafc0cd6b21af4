"""One service's deployment as an explicit state machine.

PREFLIGHT → REGISTER → UPDATE → WATCH → SUCCEEDED
                                  WATCH → ROLLBACK → ROLLED_BACK | ROLLBACK_FAILED
                                  WATCH → FAILED (rollback disabled) | SUPERSEDED
PREFLIGHT | REGISTER | UPDATE → FAILED (nothing was changed)

Every transition is one structured log event and one entry in the result's history. The machine
watches the deployment id that UpdateService returned, never `deployments[0]`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import structlog

from ecsdeploy._gateway import EcsGateway
from ecsdeploy._models import (
    Observation,
    Phase,
    ServiceEvent,
    Status,
    StoppedTask,
    Target,
    Transition,
    Verdict,
)
from ecsdeploy._observer import ClusterObserver
from ecsdeploy._registrar import Registrar
from ecsdeploy._result import DeployEvent, DeployPlan, DeployResult, RolledBackBy
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef import build_revision, diff_revisions, to_register_input
from ecsdeploy.checks import (
    CircuitBreakerCheck,
    HealthCheck,
    RolloutStateCheck,
    SteadyStateCheck,
    circuit_breaker_threshold,
    combine,
    evaluate_checks,
)
from ecsdeploy.exceptions import (
    EcsDeployError,
    InputError,
    ServiceNotFoundError,
    TaskDefinitionNotFoundError,
    UnsupportedServiceError,
)

__all__ = ["TRANSITIONS", "DeploymentMachine", "IllegalTransitionError"]

TRANSITIONS: Mapping[Phase, frozenset[Phase]] = {
    Phase.PREFLIGHT: frozenset({Phase.REGISTER, Phase.FAILED}),
    Phase.REGISTER: frozenset({Phase.UPDATE, Phase.FAILED}),
    Phase.UPDATE: frozenset({Phase.WATCH, Phase.FAILED}),
    Phase.WATCH: frozenset({Phase.SUCCEEDED, Phase.ROLLBACK, Phase.FAILED, Phase.SUPERSEDED}),
    Phase.ROLLBACK: frozenset({Phase.ROLLED_BACK, Phase.ROLLBACK_FAILED}),
}

logger = structlog.get_logger("ecsdeploy")

#: Seconds allowed for deregistering the revision of a deployment that did not land.
DEREGISTER_TIMEOUT = 30.0

Listener = Callable[[DeployEvent], None]


class IllegalTransitionError(RuntimeError):
    """A bug: the machine tried a transition its table does not allow."""


class _Finished(Exception):  # noqa: N818 - control flow, never escapes the machine
    def __init__(self, phase: Phase, reason: str) -> None:
        super().__init__(reason)
        self.phase = phase
        self.reason = reason


class DeploymentMachine:
    """Drives one Target through the phases; `await machine.run()` returns its DeployResult."""

    def __init__(
        self,
        target: Target,
        settings: DeploySettings,
        *,
        gateway: EcsGateway,
        observer: ClusterObserver,
        registrar: Registrar,
        emit: Listener,
    ) -> None:
        self.target = target
        self.settings = settings
        self._gateway = gateway
        self._observer = observer
        self._registrar = registrar
        self._emit_event = emit
        self.phase = Phase.PREFLIGHT
        self._history: list[Transition] = [Transition(Phase.PREFLIGHT, time.time())]
        self._log = logger.bind(cluster=target.cluster, service=target.service)
        self._started_at = time.time()
        self._reason = ""
        self._input_error = False
        self._changed = False
        self._state_unknown = False
        self._rolled_back_by: RolledBackBy | None = None
        self._deployment_id: str | None = None
        self._new_arn: str | None = None
        self._previous_arn: str | None = None
        self._rollback_deployment_id: str | None = None
        self._known_event_ids: set[str] = set()
        self._events: list[ServiceEvent] = []
        self._stopped: dict[str, StoppedTask] = {}
        self._diff: tuple[str, ...] = ()
        self._verdict: Verdict | None = None
        self._check_verdicts: tuple[Verdict, ...] = ()
        self._register_input: dict[str, Any] = {}
        self.result: DeployResult | None = None

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> DeployResult:
        """Drive the deployment to a terminal phase.

        If the caller is cancelled, the deployment still ends properly before the cancellation
        propagates: during WATCH the rollback completes (shielded); before UPDATE nothing was
        changed and a registered revision is deregistered. `self.result` is set either way.
        """
        self._log.info("ecsdeploy.deploy.started", changes=[repr(c) for c in self.target.changes])
        try:
            await self._run_phases()
        except anyio.get_cancelled_exc_class():
            if not self.phase.is_terminal:
                self._reason = f"cancelled during {self.phase.value}; nothing was changed"
                with anyio.CancelScope(shield=True):
                    await self.forget_revision()
                self._transition(Phase.FAILED, reason=self._reason)
            self._finish()
            raise
        return self._finish()

    async def plan(self) -> DeployPlan:
        """Validate the target and compute the new revision's diff, changing nothing."""
        try:
            await self._inspect(wait=False)
        except _Finished as finished:
            raise InputError(f"{self.target}: {finished.reason}") from None
        return DeployPlan(
            target=self.target,
            current_task_definition_arn=self._previous_arn or "",
            registers_new_revision=bool(self._register_input),
            task_definition_arn=self._new_arn,
            diff=self._diff,
        )

    async def _run_phases(self) -> None:
        try:
            await self._inspect(wait=True)
            self._transition(Phase.REGISTER)
            await self._register()
            self._transition(Phase.UPDATE)
            # Once UpdateService is on its way it must be followed through (watched, or rolled
            # back), so a cancellation waits for its answer and then lands in WATCH's guard.
            with anyio.CancelScope(shield=True):
                await self._update()
            self._transition(Phase.WATCH, deployment_id=self._deployment_id)
            await self._watch_guarded()
        except _Finished as finished:
            self._reason = finished.reason
            if self.phase is not finished.phase:
                self._transition(finished.phase, reason=finished.reason)
        except EcsDeployError as exc:
            # Errors before WATCH: nothing was changed (UPDATE re-checks before raising).
            self._input_error = isinstance(exc, InputError)
            self._reason = str(exc)
            await self.forget_revision()
            self._transition(Phase.FAILED, reason=self._reason)

    def _finish(self) -> DeployResult:
        result = DeployResult(
            target=self.target,
            outcome=self.phase.outcome,
            reason=self._reason,
            history=tuple(self._history),
            started_at=self._started_at,
            finished_at=time.time(),
            rolled_back_by=self._rolled_back_by,
            deployment_id=self._deployment_id,
            task_definition_arn=self._new_arn,
            previous_task_definition_arn=self._previous_arn,
            rollback_deployment_id=self._rollback_deployment_id,
            changed=self._changed,
            input_error=self._input_error,
            state_unknown=self._state_unknown,
            stopped_tasks=tuple(self._stopped.values()),
            events=tuple(self._events),
            diff=self._diff,
            checks=self._check_verdicts,
        )
        self.result = result
        self._log.info(
            "ecsdeploy.deploy.finished",
            outcome=result.outcome.value,
            reason=result.reason,
            rolled_back_by=result.rolled_back_by,
            deployment_id=result.deployment_id,
            duration=round(result.duration, 3),
        )
        return result

    def _transition(self, phase: Phase, *, reason: str = "", **details: Any) -> None:
        if phase not in TRANSITIONS.get(self.phase, frozenset()):
            raise IllegalTransitionError(f"{self.phase.name} → {phase.name} is not allowed")
        previous, self.phase = self.phase, phase
        self._history.append(Transition(phase, time.time(), reason, details))
        self._log.info(
            "ecsdeploy.phase", phase=phase.value, previous=previous.value, reason=reason, **details
        )
        self._emit("phase", reason or phase.value, previous=previous.value, **details)

    def _emit(self, kind: str, message: str, **data: Any) -> None:
        self._emit_event(DeployEvent(kind, self.target, self.phase, message, time.time(), data))

    # -- PREFLIGHT ----------------------------------------------------------------------------

    async def _inspect(self, *, wait: bool) -> None:
        """PREFLIGHT: everything that can be checked is checked before anything is changed."""
        service = await self._settled_service(wait=wait)
        self._known_event_ids = {str(e.get("id", "")) for e in service.get("events", [])}
        primary = _primary(service)
        if primary is None:
            raise _Finished(Phase.FAILED, "the service has no PRIMARY deployment")
        self._previous_arn = str(primary["taskDefinition"])
        current = await self._gateway.describe_task_definition(self._previous_arn)
        if current["taskDefinition"].get("status") == "INACTIVE" and self.settings.rollback:
            raise TaskDefinitionNotFoundError(
                f"{self.target}: the service runs {self._previous_arn}, which was deregistered, "
                "so a rollback to it would fail; re-register it first, or deploy with rollback "
                "disabled"
            )
        described = current
        if self.target.task_definition is not None:
            described = await self._gateway.describe_task_definition(self.target.task_definition)
            if described["taskDefinition"].get("status") == "INACTIVE":
                raise TaskDefinitionNotFoundError(
                    f"{self.target}: {self.target.task_definition} was deregistered; "
                    "ECS cannot deploy an INACTIVE revision"
                )
        if self.target.changes or self.target.task_definition is None:
            # Validates every change (containers, images, contradictions) before any mutation.
            self._register_input = build_revision(described, self.target.changes)
        else:
            self._new_arn = str(described["taskDefinition"]["taskDefinitionArn"])
        new_input = self._register_input or to_register_input(described)
        self._diff = tuple(str(entry) for entry in diff_revisions(current, new_input))
        self._log.info(
            "ecsdeploy.preflight.passed", rollback_to=self._previous_arn, diff=self._diff
        )

    async def _settled_service(self, *, wait: bool) -> dict[str, Any]:
        target = self.target
        deadline = anyio.current_time() + self.settings.timeout
        while True:
            service = await self._observer.describe_service(target.service)
            status = service.get("status")
            if status != "ACTIVE":
                raise ServiceNotFoundError(f"{target}: the service is {status}, not ACTIVE")
            controller = (service.get("deploymentController") or {}).get("type", "ECS")
            if controller != "ECS":
                raise UnsupportedServiceError(
                    f"{target}: the service uses the {controller} deployment controller; ecsdeploy "
                    "drives ECS rolling updates only"
                    + (
                        " (deploy CODE_DEPLOY services with AWS CodeDeploy)"
                        if controller == "CODE_DEPLOY"
                        else " (EXTERNAL services are deployed through task sets)"
                    )
                )
            busy = _in_progress(service)
            if busy is None or not wait:
                return service
            if not self.settings.wait_for_in_progress:
                raise _Finished(
                    Phase.FAILED, f"another deployment ({busy}) is still in progress; not waiting"
                )
            if anyio.current_time() >= deadline:
                raise _Finished(
                    Phase.FAILED,
                    f"another deployment ({busy}) was still in progress at the timeout",
                )
            self._log.info("ecsdeploy.preflight.waiting", in_progress=busy)
            self._emit("progress", f"waiting for deployment {busy} to finish")
            await anyio.sleep(self.settings.poll_interval)

    # -- REGISTER / UPDATE --------------------------------------------------------------------

    async def _register(self) -> None:
        if not self._register_input:
            self._log.info("ecsdeploy.register.skipped", task_definition=self._new_arn)
            return
        self._new_arn = await self._registrar.register(
            self._gateway, self._register_input, user=self
        )
        self._log.info("ecsdeploy.register.done", task_definition=self._new_arn)

    async def _update(self) -> None:
        assert self._new_arn is not None
        try:
            service = await self._gateway.update_service(
                self.target.cluster, self.target.service, taskDefinition=self._new_arn
            )
        except EcsDeployError as exc:
            # The call may have landed before the error: look before deciding nothing changed.
            try:
                service = await self._observer.describe_service(self.target.service)
            except EcsDeployError as again:
                self._state_unknown = True
                raise _Finished(
                    Phase.FAILED,
                    f"UpdateService failed ({exc}) and the service could not be read back "
                    f"({again}): it may or may not be deploying {self._new_arn}",
                ) from again
            primary = _primary(service)
            if primary is None or primary.get("taskDefinition") != self._new_arn:
                raise
        self._changed = True
        primary = _primary(service)
        if primary is None or primary.get("taskDefinition") != self._new_arn:
            raise _Finished(Phase.FAILED, "UpdateService answered without our deployment")
        self._deployment_id = str(primary["id"])

    # -- WATCH --------------------------------------------------------------------------------

    async def _watch_guarded(self) -> None:
        """Watch; on failure, timeout or cancellation, roll back — shielded from cancellation."""
        try:
            failure = await self._watch()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._fail("cancelled during WATCH", ecs_rolling_back=False)
            raise
        except _Finished:
            raise
        except Exception as exc:
            # A bug (ours or a listener's) must not leave the service half deployed.
            with anyio.CancelScope(shield=True):
                await self._fail(f"internal error during WATCH: {exc!r}", ecs_rolling_back=False)
            raise
        if failure is not None:
            reason, ecs_rolling_back = failure
            with anyio.CancelScope(shield=True):
                await self._fail(reason, ecs_rolling_back=ecs_rolling_back)

    async def _watch(self) -> tuple[str, bool] | None:
        """None on success (the machine is then SUCCEEDED); else (reason, ECS is rolling back)."""
        assert self._deployment_id is not None
        settings = self.settings
        watch = self._observer.watch(
            self.target,
            self._deployment_id,
            poll_interval=settings.poll_interval,
            known_event_ids=self._known_event_ids,
        )
        checks = settings.effective_checks
        healthy_since: float | None = None
        ticks = 0
        try:
            with anyio.move_on_after(settings.timeout):
                while True:
                    observation = await watch.next()
                    ticks += 1
                    self._absorb(observation)
                    status = observation.service.get("status")
                    if status is not None and status != "ACTIVE":
                        # Deleted under us: nothing left to watch or to roll back.
                        raise _Finished(Phase.FAILED, f"the service became {status} during WATCH")
                    if not observation.is_ours_primary:
                        return await self._lost_primary(observation)
                    verdict = await self._judge(checks, observation)
                    if verdict.status is Status.FAILED:
                        return verdict.reason, self._ecs_will_roll_back(observation)
                    if verdict.status is Status.HEALTHY:
                        healthy_since = healthy_since or observation.observed_at
                        if observation.observed_at - healthy_since >= settings.bake:
                            self._reason = _success_reason(observation, settings.bake)
                            self._transition(
                                Phase.SUCCEEDED, reason=self._reason, checks=verdict.reason
                            )
                            return None
                    else:
                        healthy_since = None
                    if settings.max_checks is not None and ticks >= settings.max_checks:
                        return f"not healthy after {ticks} checks: {verdict.reason}", False
            return f"timed out after {settings.timeout:g}s: {self._last_reason()}", False
        finally:
            self._observer.unwatch(watch)

    async def _judge(self, checks: Sequence[HealthCheck], observation: Observation) -> Verdict:
        self._check_verdicts = tuple(await evaluate_checks(checks, observation))
        verdict = combine(self._check_verdicts)
        if verdict != self._verdict:
            self._verdict = verdict
            self._log.info(
                "ecsdeploy.watch.verdict",
                deployment_id=self._deployment_id,
                status=verdict.status.value,
                check=verdict.check,
                reason=verdict.reason,
            )
            self._emit("verdict", verdict.reason, status=verdict.status.value, check=verdict.check)
        return verdict

    def _last_reason(self) -> str:
        return self._verdict.reason if self._verdict else "no observation arrived"

    def _absorb(self, observation: Observation) -> None:
        """Keep new service events and stopped tasks, and tell the listeners about them."""
        for event in observation.events:
            if event.id not in self._known_event_ids:
                self._known_event_ids.add(event.id)
                self._events.append(event)
                self._log.info("ecsdeploy.service_event", message=event.message)
                self._emit("service_event", event.message)
        for task in observation.stopped_tasks:
            if task.task_arn not in self._stopped:
                self._stopped[task.task_arn] = task
                self._emit("stopped_task", task.describe(), stop_code=task.stop_code)
        deployment = observation.deployment or {}
        self._emit(
            "progress",
            str(deployment.get("rolloutState") or ""),
            rollout_state=deployment.get("rolloutState"),
            running=deployment.get("runningCount"),
            desired=deployment.get("desiredCount"),
            pending=deployment.get("pendingCount"),
            failed=deployment.get("failedTasks"),
        )

    async def _lost_primary(self, observation: Observation) -> tuple[str, bool] | None:
        """Our deployment is gone or no longer PRIMARY: ECS rolled it back, or someone else
        deployed over it. Never success, and never our rollback over someone else's work."""
        if self._ecs_rolled_back(observation):
            return "ECS rolled the deployment back (deployment circuit breaker)", True
        primary = observation.primary or {}
        reason = (
            f"superseded by deployment {primary.get('id', '?')} "
            f"({primary.get('taskDefinition', '?')})"
        )
        self._reason = reason
        self._transition(Phase.SUPERSEDED, reason=reason)
        return None

    def _ecs_rolled_back(self, observation: Observation) -> bool:
        """ECS's circuit breaker failed our deployment and went back to our rollback target.

        Anything else that replaced our deployment is someone else's deployment.
        """
        primary = observation.primary or {}
        if primary.get("taskDefinition") != self._previous_arn:
            return False
        if (observation.deployment or {}).get("rolloutState") == "FAILED":
            return True
        ours = f"(deployment {self._deployment_id})"
        return any(
            ours in e.message and "deployment failed" in e.message.lower()
            for e in observation.events
        )

    def _ecs_will_roll_back(self, observation: Observation) -> bool:
        """ECS's circuit breaker has failed our deployment and will roll it back itself."""
        breaker = (observation.service.get("deploymentConfiguration") or {}).get(
            "deploymentCircuitBreaker"
        ) or {}
        return (
            bool(breaker.get("enable") and breaker.get("rollback"))
            and (observation.deployment or {}).get("rolloutState") == "FAILED"
        )

    # -- ROLLBACK -----------------------------------------------------------------------------

    async def _fail(self, reason: str, *, ecs_rolling_back: bool) -> None:
        """The deployment failed after the service was changed: roll back (or let ECS)."""
        if self.phase.is_terminal:
            return
        self._reason = reason
        if not ecs_rolling_back and not self.settings.rollback:
            self._transition(Phase.FAILED, reason=f"{reason}; rollback disabled")
            self._reason = f"{reason}; rollback disabled"
            return
        self._rolled_back_by = "ecs" if ecs_rolling_back else "ecsdeploy"
        self._transition(Phase.ROLLBACK, reason=reason, by=self._rolled_back_by)
        with anyio.move_on_after(self.settings.effective_rollback_timeout) as scope:
            try:
                problem = await self._roll_back(ecs_rolling_back=ecs_rolling_back)
            except EcsDeployError as exc:
                problem = f"rollback call failed: {exc}"
        if scope.cancelled_caught:
            problem = (
                f"rollback did not reach a steady state within "
                f"{self.settings.effective_rollback_timeout:g}s"
            )
        if problem is None:
            await self.forget_revision()
            self._transition(Phase.ROLLED_BACK, reason=reason, by=self._rolled_back_by)
        else:
            self._reason = (
                f"{reason}; ROLLBACK FAILED: {problem}. The service may still run "
                f"{self._new_arn}; roll it back to {self._previous_arn} by hand "
                f"(aws ecs update-service --cluster {self.target.cluster} "
                f"--service {self.target.service} --task-definition {self._previous_arn})"
            )
            self._transition(Phase.ROLLBACK_FAILED, reason=self._reason)

    async def _roll_back(self, *, ecs_rolling_back: bool) -> str | None:
        """Return None once the service is steady on the previous revision, else the problem."""
        assert self._previous_arn is not None
        target = self.target
        if not ecs_rolling_back:
            current = _primary(await self._read_service())
            if current is not None and current.get("taskDefinition") == self._previous_arn:
                # ECS's circuit breaker got there first; a second rollback would race it.
                self._rolled_back_by = "ecs"
                self._log.info("ecsdeploy.rollback.ecs_first", deployment_id=current.get("id"))
            elif current is not None and current.get("id") != self._deployment_id:
                return f"someone else deployed {current.get('taskDefinition')} meanwhile"
            else:
                service = await self._gateway.update_service(
                    target.cluster, target.service, taskDefinition=self._previous_arn
                )
                primary = _primary(service)
                self._rollback_deployment_id = str(primary["id"]) if primary else None
        checks: list[HealthCheck] = [RolloutStateCheck(), CircuitBreakerCheck(), SteadyStateCheck()]
        while True:
            service = await self._read_service()
            primary = _primary(service)
            if primary is not None and primary.get("id") != self._deployment_id:
                if self._rollback_deployment_id is None:
                    self._rollback_deployment_id = str(primary["id"])
                if primary["id"] == self._rollback_deployment_id:
                    observation = _observation_of(target, service, primary, self._started_at)
                    self._absorb(observation)
                    verdict = combine(await evaluate_checks(checks, observation))
                    failed_tasks = int(primary.get("failedTasks", 0) or 0)
                    limit = circuit_breaker_threshold(int(primary.get("desiredCount", 0) or 0))
                    if failed_tasks >= limit:
                        return f"the rollback deployment had {failed_tasks} failed tasks"
                    if verdict.status is Status.HEALTHY:
                        if primary.get("taskDefinition") != self._previous_arn:
                            return f"the service settled on {primary.get('taskDefinition')}"
                        return None
                    if verdict.status is Status.FAILED:
                        return verdict.reason
                else:
                    return f"someone else deployed {primary.get('taskDefinition')} meanwhile"
            await anyio.sleep(self.settings.poll_interval)

    async def _read_service(self) -> dict[str, Any]:
        """Read the service during ROLLBACK. A failed read is retried until the rollback's own
        deadline (the caller's scope): one 500 must not abandon a rollback."""
        while True:
            try:
                return await self._observer.describe_service(self.target.service)
            except ServiceNotFoundError:
                raise
            except EcsDeployError as exc:
                self._log.warning("ecsdeploy.rollback.read_failed", error=str(exc))
                await anyio.sleep(self.settings.poll_interval)

    async def forget_revision(self) -> None:
        """Deregister the revision we registered for a deployment that did not land."""
        registered_by_us = bool(self._register_input)
        if self._new_arn is None or not registered_by_us or not self.settings.deregister_failed:
            return
        # Tidying up is worth a bounded wait, never a hang: a revision left ACTIVE is harmless.
        with anyio.move_on_after(DEREGISTER_TIMEOUT, shield=True):
            await self._registrar.release(self._gateway, self._new_arn, user=self)


def _success_reason(observation: Observation, bake: float) -> str:
    deployment = observation.deployment or {}
    running = deployment.get("runningCount", "?")
    baked = f", healthy for {bake:g}s" if bake else ""
    revision = str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1]
    return f"{revision}: {running}/{deployment.get('desiredCount', '?')} tasks running{baked}"


def _primary(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for deployment in service.get("deployments", []):
        if deployment.get("status") == "PRIMARY":
            return dict(deployment)
    return None


def _in_progress(service: Mapping[str, Any]) -> str | None:
    """The id of a deployment still rolling out, if any."""
    deployments = [d for d in service.get("deployments", []) if d.get("status") != "INACTIVE"]
    for deployment in deployments:
        if deployment.get("rolloutState") == "IN_PROGRESS":
            return str(deployment.get("id"))
    if len(deployments) > 1:
        # Older deployments are still draining even though the primary's rollout is done.
        return str((_primary(service) or {}).get("id", "?"))
    return None


def _observation_of(
    target: Target,
    service: Mapping[str, Any],
    deployment: Mapping[str, Any],
    started_at: float,
) -> Observation:
    """What the rollback watch sees of the rollback deployment (no stopped tasks fetched)."""
    return Observation(
        target=target,
        deployment_id=str(deployment.get("id")),
        service=service,
        deployment=deployment,
        other_deployments=tuple(
            d for d in service.get("deployments", []) if d.get("id") != deployment.get("id")
        ),
        events=tuple(ServiceEvent.from_api(e) for e in reversed(service.get("events", []))),
        stopped_tasks=(),
        observed_at=time.time(),
        watch_started_at=started_at,
    )
