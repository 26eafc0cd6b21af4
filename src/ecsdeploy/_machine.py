"""One service's deployment as an explicit state machine.

PREFLIGHT → REGISTER → UPDATE → WATCH → SUCCEEDED
                                  WATCH → ROLLBACK → ROLLED_BACK | ROLLBACK_FAILED
                                  WATCH → FAILED (rollback disabled) | SUPERSEDED
                                  ROLLBACK → SUPERSEDED (someone else deployed meanwhile)
PREFLIGHT | REGISTER | UPDATE → FAILED (nothing was changed)

Every transition is one structured log event and one entry in the result's history. The machine
watches the deployment id that UpdateService returned, never `deployments[0]`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._gateway import EcsGateway
from ecsdeploy._history import History
from ecsdeploy._models import (
    Observation,
    Phase,
    ServiceEvent,
    Status,
    Target,
    Transition,
    Verdict,
    classify_stop,
    epoch,
)
from ecsdeploy._observer import ClusterObserver
from ecsdeploy._preflight import (
    PREFLIGHT_READ_INTERVAL,
    RollbackTarget,
    as_of,
    in_progress,
    primary_of,
    roll_room_problem,
    rollback_target,
)
from ecsdeploy._registrar import Registrar
from ecsdeploy._result import (
    DeployEvent,
    DeployPlan,
    DeployResult,
    EventKind,
    Listener,
    RollbackMethod,
    RolledBackBy,
)
from ecsdeploy._service_deployments import RecordTracker, lifecycle_stage, refresh_records
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.revision import build_revision, diff_revisions, to_register_input
from ecsdeploy._watch import (
    CONFIRM_POLLS,
    CONFIRM_READS,
    EndKind,
    WatchContext,
    WatchEnd,
    WatchState,
    assess,
    conclude,
    ecs_rolls_back,
    is_stale,
    newest_update,
    out_of_checks,
    suspected,
    timed_out,
)
from ecsdeploy.checks import (
    CheckContext,
    CircuitBreakerCheck,
    HealthCheck,
    RolloutStateCheck,
    SteadyStateCheck,
    bind_checks,
    circuit_breaker_threshold,
    combine,
    evaluate_checks,
)
from ecsdeploy.exceptions import (
    AwsError,
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
    # Someone else deployed while we rolled back: their work is left alone.
    Phase.ROLLBACK: frozenset({Phase.ROLLED_BACK, Phase.ROLLBACK_FAILED, Phase.SUPERSEDED}),
}

logger = structlog.get_logger("ecsdeploy")

#: Seconds allowed for deregistering the revision of a deployment that did not land.
DEREGISTER_TIMEOUT = 30.0


class IllegalTransitionError(RuntimeError):
    """A bug: the machine tried a transition its table does not allow."""


class _NotChanged(Exception):  # noqa: N818 - control flow, never escapes the machine
    """PREFLIGHT/REGISTER/UPDATE ended the deployment before the service was changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _SomeoneElse(Exception):  # noqa: N818 - control flow, never escapes the machine
    """Someone else's deployment replaced ours during ROLLBACK: never roll back over it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _RollbackLog:
    """What a rollback attempted, for a ROLLBACK_FAILED reason a human can act on."""

    sent: bool = False
    #: The call that sent the rollback.
    method: str = "UpdateService"
    send_errors: list[str] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)
    problem: str = ""

    def describe(self) -> str:
        parts = []
        if self.sent and self.method == "StopServiceDeployment":
            parts.append("StopServiceDeployment(ROLLBACK) of our service deployment was accepted")
        elif self.sent:
            parts.append("UpdateService to the rollback target was accepted")
        elif self.send_errors:
            parts.append(
                f"UpdateService to the rollback target failed {len(self.send_errors)} times "
                f"(last: {self.send_errors[-1]})"
            )
        if self.read_errors:
            parts.append(
                f"{len(self.read_errors)} reads of the service failed "
                f"(last: {self.read_errors[-1]})"
            )
        if self.problem:
            parts.append(self.problem)
        return "; ".join(parts) or "no answer from ECS"


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
        only_over: str | None = None,
        aws: AwsReads,
    ) -> None:
        self.target = target
        self.settings = settings
        #: Deploy only while the service's PRIMARY runs this revision (a release's rollback of
        #: what it deployed must never land on someone else's later deployment).
        self.only_over = only_over
        #: Set when PREFLIGHT found the PRIMARY on another revision than `only_over`.
        self.found_instead: str | None = None
        self._gateway = gateway
        self._observer = observer
        self._registrar = registrar
        self._emit_event = emit
        self._aws = aws
        #: The checks bound to this deployment in PREFLIGHT (see `ecsdeploy.checks.bind_checks`).
        self._checks: list[HealthCheck] | None = None
        self.phase = Phase.PREFLIGHT
        self._transitions: list[Transition] = [Transition(Phase.PREFLIGHT, time.time())]
        self._log = logger.bind(cluster=target.cluster, service=target.service)
        self._started_at = time.time()
        self._reason = ""
        self._input_error = False
        self._changed = False
        self._state_unknown = False
        self._rolled_back_by: RolledBackBy | None = None
        self._trigger: str | None = None
        self._deployment_id: str | None = None
        self._created_at: float | None = None
        self._new_arn: str | None = None
        self._previous_arn: str | None = None
        self._rollback: RollbackTarget | None = None
        #: The deregistered revision whose lossless copy we register as the rollback target.
        self._copy_of: dict[str, Any] | None = None
        #: Deregistered revisions whose copies stand in for them.
        self._copied_arns: set[str] = set()
        #: The copy we registered as the rollback target, if any.
        self._copy_arn: str | None = None
        self._rollback_deployment_id: str | None = None
        #: How our rollback went back: "stop-service-deployment", "update-service" or "ecs".
        self._rollback_method: RollbackMethod | None = None
        #: Our deployment's service-deployment record, followed where the API answers.
        self._records: RecordTracker | None = None
        #: The record's latest lifecycle stage (BLUE_GREEN, LINEAR, CANARY).
        self._stage: str | None = None
        #: Rollback deployments of ours that a later one of ours replaced.
        self._left_behind: set[str] = set()
        #: WATCH's latest fresh reads showed someone else's deployment, not yet confirmed.
        self._someone_else_suspected = False
        self._notes: list[str] = []
        self._history = History()
        self._emitted_events = 0
        self._emitted_stopped: set[str] = set()
        self._diff: tuple[str, ...] = ()
        self._verdict: Verdict | None = None
        self._check_verdicts: tuple[Verdict, ...] = ()
        self._register_input: dict[str, Any] = {}
        self.result: DeployResult | None = None

    # -- the run: the only place phases change ------------------------------------------------

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
                with anyio.CancelScope(shield=True):
                    await self._forget_unchanged()
                self._end(Phase.FAILED, f"cancelled during {self.phase.value}; nothing was changed")
            self._finish()
            raise
        return self._finish()

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
        except _NotChanged as stop:
            await self._forget_unchanged()
            self._end(Phase.FAILED, stop.reason)
            return
        except EcsDeployError as exc:
            # Errors before WATCH: nothing was changed (UPDATE re-checks before raising).
            self._input_error = isinstance(exc, InputError)
            await self._forget_unchanged()
            self._end(Phase.FAILED, str(exc) if self._input_error else f"{exc}; nothing changed")
            return
        self._transition(Phase.WATCH, deployment_id=self._deployment_id)
        try:
            end = await self._watch()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._settle(WatchEnd(EndKind.FAILED, "cancelled during WATCH"))
            raise
        except Exception as exc:
            # A bug (ours or a listener's) must not leave the service half deployed.
            with anyio.CancelScope(shield=True):
                await self._settle(
                    WatchEnd(EndKind.FAILED, f"internal error during WATCH: {exc!r}")
                )
            raise
        with anyio.CancelScope(shield=True):
            await self._settle(end)

    async def _settle(self, end: WatchEnd) -> None:
        """Turn WATCH's one value into the final phases (and the rollback it may need)."""
        if end.kind is EndKind.SUCCEEDED:
            self._end(Phase.SUCCEEDED, end.reason)
        elif end.kind is EndKind.SUPERSEDED:
            self._end(Phase.SUPERSEDED, end.reason)
        elif end.kind is EndKind.GONE:
            self._end(Phase.FAILED, f"{end.reason}; nothing left to watch or roll back")
        elif not end.ecs_rolling_back and not self.settings.rollback:
            self._end(Phase.FAILED, f"{end.reason}; rollback disabled")
        else:
            self._rolled_back_by = "ecs" if end.ecs_rolling_back else "ecsdeploy"
            if end.ecs_rolling_back:
                self._rollback_method = "ecs"
            self._trigger = end.trigger
            self._transition(Phase.ROLLBACK, reason=end.reason, by=self._rolled_back_by)
            try:
                problem = await self._roll_back_within_deadline(
                    ecs_rolling_back=end.ecs_rolling_back
                )
            except _SomeoneElse as other:
                self._rolled_back_by = None
                self._rollback_method = None
                self._end(Phase.SUPERSEDED, f"{end.reason}; {other.reason}; left alone")
                return
            if problem is None:
                await self.forget_revision()
                self._end(Phase.ROLLED_BACK, end.reason, by=self._rolled_back_by)
            else:
                self._end(Phase.ROLLBACK_FAILED, self._rollback_failed_reason(end, problem))

    def _end(self, phase: Phase, reason: str, **details: Any) -> None:
        self._reason = reason
        self._transition(phase, reason=reason, **details)

    def _rollback_failed_reason(self, end: WatchEnd, problem: str) -> str:
        target = self._rollback_arn
        return (
            f"{end.reason}; ROLLBACK FAILED: {problem}. The service may still run "
            f"{self._new_arn}; roll it back by hand: aws ecs update-service "
            f"--region {self._gateway.region} "
            f"--cluster {self.target.cluster} --service {self.target.service} "
            f"--task-definition {target}"
        )

    async def plan(self) -> DeployPlan:
        """Validate the target and compute the new revision's diff, changing nothing."""
        try:
            await self._inspect(wait=False)
        except _NotChanged as stop:
            raise InputError(f"{self.target}: {stop.reason}") from None
        return DeployPlan(
            target=self.target,
            current_task_definition_arn=self._previous_arn or "",
            registers_new_revision=bool(self._register_input),
            task_definition_arn=self._new_arn,
            diff=self._diff,
        )

    async def register_ahead(self, *, user: object) -> tuple[str, bool]:
        """PREFLIGHT, then the revision this deployment will deploy, registered now for `user`
        (a release's migration runs the new code before the service deploys it): the
        deployment's own REGISTER builds the same input and shares the revision through the
        registrar. Returns (ARN, whether it was registered for `user`); raises InputError."""
        try:
            await self._inspect(wait=False)
        except _NotChanged as stop:
            raise InputError(f"{self.target}: {stop.reason}") from None
        if not self._register_input:
            assert self._new_arn is not None
            return self._new_arn, False
        arn = await self._registrar.register(self._gateway, self._register_input, user=user)
        return arn, True

    def _finish(self) -> DeployResult:
        result = DeployResult(
            target=self.target,
            outcome=self.phase.outcome,
            reason=self._reason,
            history=tuple(self._transitions),
            started_at=self._started_at,
            finished_at=time.time(),
            rolled_back_by=self._rolled_back_by,
            rollback_trigger=self._trigger,
            deployment_id=self._deployment_id,
            task_definition_arn=self._new_arn,
            previous_task_definition_arn=self._previous_arn,
            rollback_task_definition_arn=self._rollback_arn if self._rollback else None,
            rollback_deployment_id=self._rollback_deployment_id,
            rollback_method=self._rollback_method,
            service_deployment_arn=self._records.arn if self._records is not None else None,
            lifecycle_stage=self._stage,
            changed=self._changed,
            input_error=self._input_error,
            state_unknown=self._state_unknown,
            stopped_tasks=self._history.stopped_tasks(),
            events=tuple(self._history.events),
            diff=self._diff,
            checks=self._check_verdicts,
            notes=tuple(self._notes),
        )
        self.result = result
        self._log.info(
            "ecsdeploy.deploy.finished",
            outcome=result.outcome.value,
            reason=result.reason,
            rolled_back_by=result.rolled_back_by,
            rollback_method=result.rollback_method,
            deployment_id=result.deployment_id,
            duration=round(result.duration, 3),
        )
        return result

    def _transition(self, phase: Phase, *, reason: str = "", **details: Any) -> None:
        if phase not in TRANSITIONS.get(self.phase, frozenset()):
            raise IllegalTransitionError(f"{self.phase.name} → {phase.name} is not allowed")
        previous, self.phase = self.phase, phase
        self._transitions.append(Transition(phase, time.time(), reason, details))
        self._log.info(
            "ecsdeploy.phase", phase=phase.value, previous=previous.value, reason=reason, **details
        )
        self._emit("phase", reason or phase.value, previous=previous.value, **details)

    def _emit(self, kind: str, message: str, **data: Any) -> None:
        self._emit_event(
            DeployEvent(EventKind(kind), self.target, self.phase, message, time.time(), data)
        )

    def _note(self, note: str) -> None:
        self._notes.append(note)
        self._log.warning("ecsdeploy.preflight.note", note=note)
        self._emit("progress", note)

    @property
    def _rollback_arn(self) -> str:
        assert self._rollback is not None
        return self._rollback.task_definition

    # -- PREFLIGHT ----------------------------------------------------------------------------

    async def _inspect(self, *, wait: bool) -> None:
        """PREFLIGHT: everything that can be checked is checked before anything is changed."""
        service = await self._settled_service(wait=wait)
        self._history = History(str(e.get("id", "")) for e in service.get("events", []))
        primary = primary_of(service)
        target = rollback_target(service)
        if primary is None or target is None:
            raise _NotChanged("the service has no PRIMARY deployment")
        self._previous_arn = str(primary["taskDefinition"])
        self._rollback = target
        self._notes = []
        if target.note:
            self._note(target.note)
        current = await self._gateway.describe_task_definition(self._previous_arn)
        going_back = current
        if target.task_definition != self._previous_arn:
            going_back = await self._gateway.describe_task_definition(target.task_definition)
        self._copy_of = None
        if going_back["taskDefinition"].get("status") == "INACTIVE" and self.settings.rollback:
            # ECS cannot deploy an INACTIVE revision, so a rollback to it would fail: a lossless
            # copy (registered in REGISTER) becomes the rollback target.
            self._copy_of = to_register_input(going_back)
            self._note(
                f"the rollback target {target.task_definition} was deregistered; a lossless copy "
                "of it will be registered as the rollback target"
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
        # Checks that read AWS make their first (harmless) reads here: a denied one is bad input.
        self._checks = await bind_checks(
            self.settings.effective_checks, CheckContext(self.target, service, self._aws)
        )
        self._log.info(
            "ecsdeploy.preflight.passed", rollback_to=target.task_definition, diff=self._diff
        )

    async def _settled_service(self, *, wait: bool) -> dict[str, Any]:
        target = self.target
        deadline = anyio.current_time() + self.settings.timeout
        while True:
            service = await self._confirmed_service()
            status = service.get("status")
            if status != "ACTIVE":
                raise ServiceNotFoundError(f"{target}: the service is {status}, not ACTIVE")
            controller = (service.get("deploymentController") or {}).get("type", "ECS")
            if controller != "ECS":
                raise UnsupportedServiceError(
                    f"{target}: the service uses the {controller} deployment controller; ecsdeploy "
                    "drives the ECS controller's deployments only (rolling, blue/green, linear, "
                    "canary)"
                    + (
                        " (deploy CODE_DEPLOY services with AWS CodeDeploy)"
                        if controller == "CODE_DEPLOY"
                        else " (EXTERNAL services are deployed through task sets)"
                    )
                )
            cannot_roll = roll_room_problem(service)
            if cannot_roll is not None:
                raise UnsupportedServiceError(f"{target}: {cannot_roll}")
            self._check_only_over(service)
            busy = in_progress(service)
            if busy is None or not wait:
                return service
            if not self.settings.wait_for_in_progress:
                raise _NotChanged(f"another deployment ({busy}) is still in progress; not waiting")
            if anyio.current_time() >= deadline:
                raise _NotChanged(
                    f"another deployment ({busy}) was still in progress at the timeout"
                )
            self._log.info("ecsdeploy.preflight.waiting", in_progress=busy)
            self._emit("progress", f"waiting for deployment {busy} to finish")
            await anyio.sleep(self.settings.poll_interval)

    def _check_only_over(self, service: Mapping[str, Any]) -> None:
        if self.only_over is None:
            return
        primary = primary_of(service) or {}
        running = str(primary.get("taskDefinition", ""))
        if running != self.only_over:
            self.found_instead = f"deployment {primary.get('id', '?')} ({running})"
            raise _NotChanged(
                f"the service runs {self.found_instead}, not {self.only_over}: someone deployed "
                "since; not changed"
            )

    async def _confirmed_service(self) -> dict[str, Any]:
        """The service as it is now, from agreeing reads (ECS is eventually consistent): the
        freshest of several answers, since the revision to build on and to roll back to must
        not come from a stale one; "not found" only when DescribeServices keeps saying so."""
        started = anyio.current_time()
        interval = min(self.settings.poll_interval, PREFLIGHT_READ_INTERVAL)
        reads = 0
        freshest: dict[str, Any] | None = None
        missing: ServiceNotFoundError | None = None
        while True:
            try:
                service = await self._observer.describe_service(self.target.service)
            except ServiceNotFoundError as exc:
                missing = exc
                self._log.info("ecsdeploy.preflight.missing", reads=reads + 1, error=str(exc))
            else:
                if freshest is None or as_of(service) > as_of(freshest):
                    freshest = service
            reads += 1
            waited = anyio.current_time() - started
            if reads >= CONFIRM_READS and waited >= CONFIRM_POLLS * interval:
                if freshest is not None:
                    return freshest
                assert missing is not None
                raise missing
            await anyio.sleep(interval)

    # -- REGISTER / UPDATE --------------------------------------------------------------------

    async def _register(self) -> None:
        if self._copy_of is not None:
            assert self._rollback is not None
            copy_arn = await self._registrar.register(self._gateway, self._copy_of, user=self)
            self._note(
                f"registered {copy_arn}, a copy of the deregistered {self._rollback_arn}, "
                "as the rollback target"
            )
            self._copied_arns.add(self._rollback_arn)
            self._copy_arn = copy_arn
            self._rollback = RollbackTarget(copy_arn, self._rollback.deployment_id, "")
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
            landed = await self._read_back(exc)
            if landed is None:
                raise
            service = landed
        self._changed = True
        primary = primary_of(service)
        if primary is None or primary.get("taskDefinition") != self._new_arn:
            raise _NotChanged("UpdateService answered without our deployment")
        self._deployment_id = str(primary["id"])
        self._created_at = epoch(primary.get("createdAt"))
        self._records = RecordTracker(self._created_at)

    async def _read_back(self, error: EcsDeployError) -> dict[str, Any] | None:
        """After a failed UpdateService: the service if our deployment is its PRIMARY, None
        when agreeing fresh reads say it is not (one stale answer decides nothing)."""
        interval = self.settings.poll_interval
        started = anyio.current_time()
        reads = 0
        read_error: EcsDeployError | None = None
        while True:
            try:
                service = await self._observer.describe_service(self.target.service)
            except EcsDeployError as again:
                read_error = again
            else:
                primary = primary_of(service)
                if primary is not None and primary.get("taskDefinition") == self._new_arn:
                    return service
                reads += 1
            waited = anyio.current_time() - started
            if waited >= CONFIRM_POLLS * interval:
                if reads >= CONFIRM_READS:
                    return None
                if reads == 0 and read_error is not None:
                    self._state_unknown = True
                    raise _NotChanged(
                        f"UpdateService failed ({error}) and the service could not be read back "
                        f"({read_error}): it may or may not be deploying {self._new_arn}"
                    ) from read_error
            await anyio.sleep(interval)

    # -- WATCH --------------------------------------------------------------------------------

    def _watch_context(self) -> WatchContext:
        assert self._deployment_id is not None
        assert self._rollback is not None
        # ECS's own rollback goes back to the revision it last completed, even when that one
        # was deregistered and our rollback target is its copy.
        arns = {self._rollback_arn, self._previous_arn or self._rollback_arn}
        arns.update(self._copied_arns)
        return WatchContext(
            deployment_id=self._deployment_id,
            created_at=self._created_at,
            rollback_arns=frozenset(arns),
            previous_deployment_id=self._rollback.deployment_id,
            poll_interval=self.settings.poll_interval,
            bake=self.settings.bake,
            max_checks=self.settings.max_checks,
        )

    async def _watch(self) -> WatchEnd:
        """Observe until the pure decisions over the observations produce one WatchEnd."""
        context = self._watch_context()
        watch = self._observer.watch(
            self.target,
            context.deployment_id,
            poll_interval=self.settings.poll_interval,
            history=self._history,
            records=self._records,
        )
        checks = self._checks if self._checks is not None else self.settings.effective_checks
        state = WatchState()
        try:
            with anyio.move_on_after(self.settings.timeout):
                while True:
                    observation = await watch.next()
                    self._publish(observation)
                    state, end, judge = assess(state, context, observation)
                    self._someone_else_suspected = suspected(state) is EndKind.SUPERSEDED
                    if end is None and judge:
                        verdict = await self._judge(checks, observation)
                        state, end = conclude(state, context, observation, verdict)
                    elif end is None:
                        end = out_of_checks(state, context)
                    if end is not None:
                        return end
            return timed_out(state, self.settings.timeout)
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

    def _publish(self, observation: Observation) -> None:
        """Tell the listeners what the history gained, and the deployment's progress."""
        for event in self._history.events[self._emitted_events :]:
            self._log.info("ecsdeploy.service_event", message=event.message)
            self._emit("service_event", event.message)
        self._emitted_events = len(self._history.events)
        for task in self._history.stopped_tasks():
            if task.task_arn not in self._emitted_stopped:
                self._emitted_stopped.add(task.task_arn)
                self._emit(
                    "stopped_task",
                    task.describe(),
                    stop_code=task.stop_code,
                    stop_kind=classify_stop(task),
                )
        self._publish_stage(observation)
        deployment = observation.deployment or {}
        record = observation.service_deployment or {}
        breaker = record.get("deploymentCircuitBreaker") or {}
        self._emit(
            "progress",
            str(deployment.get("rolloutState") or ""),
            rollout_state=deployment.get("rolloutState"),
            lifecycle_stage=self._stage,
            service_deployment_status=record.get("status"),
            breaker_failures=breaker.get("failureCount"),
            breaker_threshold=breaker.get("threshold"),
            running=deployment.get("runningCount"),
            desired=deployment.get("desiredCount"),
            pending=deployment.get("pendingCount"),
            failed=deployment.get("failedTasks"),
        )

    def _publish_stage(self, observation: Observation) -> None:
        """A BLUE_GREEN / LINEAR / CANARY deployment entered a new lifecycle stage."""
        record = observation.service_deployment
        stage = lifecycle_stage(record)
        if stage is None or stage == self._stage or record is None:
            return
        self._stage = stage
        green = record.get("targetServiceRevision") or {}
        weight = green.get("requestedProductionTrafficWeight")
        self._log.info(
            "ecsdeploy.watch.lifecycle_stage",
            deployment_id=self._deployment_id,
            lifecycle_stage=stage,
            status=record.get("status"),
            production_traffic=weight,
        )
        self._emit(
            "lifecycle_stage",
            f"lifecycle stage {stage}",
            lifecycle_stage=stage,
            status=record.get("status"),
            production_traffic=weight,
        )

    # -- ROLLBACK -----------------------------------------------------------------------------

    async def _roll_back_within_deadline(self, *, ecs_rolling_back: bool) -> str | None:
        """Keep at the rollback until it is steady or its own deadline passed; the problem."""
        log = _RollbackLog()
        timeout = self.settings.effective_rollback_timeout
        with anyio.move_on_after(timeout) as scope:
            problem = await self._roll_back(log, ecs_rolling_back=ecs_rolling_back)
        if scope.cancelled_caught:
            return f"not back on {self._rollback_arn} within {timeout:g}s: {log.describe()}"
        return problem

    async def _roll_back(self, log: _RollbackLog, *, ecs_rolling_back: bool) -> str | None:
        """Return None once the service is steady on the rollback target, else the problem."""
        target = self.target
        newest_seen = 0.0
        if not ecs_rolling_back:
            current = await self._first_read(log)
            primary = primary_of(current) if current is not None else None
            if primary is None or primary.get("id") == self._deployment_id:
                # A failed read does not stop the rollback: we know where to go back to.
                await self._request_rollback(log)
            elif self._is_ecs_rollback(primary, current or {}):
                # ECS got there first; a second rollback would race it.
                self._rolled_back_by = "ecs"
                self._rollback_method = "ecs"
                self._log.info("ecsdeploy.rollback.ecs_first", deployment_id=primary.get("id"))
            else:
                raise _SomeoneElse(
                    f"someone else deployed {primary.get('taskDefinition')} "
                    f"(deployment {primary.get('id')}) meanwhile"
                )
        checks: list[HealthCheck] = [RolloutStateCheck(), CircuitBreakerCheck(), SteadyStateCheck()]
        while True:
            service = await self._read_service(log)
            if is_stale(
                service,
                newest_seen=newest_seen,
                created_at=self._created_at,
                ours=self._deployment_id or "",
            ):
                await anyio.sleep(self.settings.poll_interval)
                continue
            newest_seen = max(newest_seen, newest_update(service))
            primary = primary_of(service)
            if primary is not None and primary["id"] in self._left_behind:
                pass  # a lagging answer: that deployment of ours was replaced since
            elif primary is not None and primary.get("id") != self._deployment_id:
                if primary["id"] != self._rollback_deployment_id:
                    ours_sent = (
                        log.sent
                        and self._rollback_deployment_id is None
                        and primary.get("taskDefinition") == self._rollback_arn
                    )
                    if not (ours_sent or self._is_ecs_rollback(primary, service)):
                        raise _SomeoneElse(
                            f"someone else deployed {primary.get('taskDefinition')} "
                            f"(deployment {primary.get('id')}) meanwhile"
                        )
                    # Ours, or ECS's rollback (also of our rollback deployment): follow it.
                    self._rollback_deployment_id = str(primary["id"])
                observation = _observation_of(target, service, primary, self._started_at)
                self._history.add_events(observation.events)
                self._publish(observation)
                verdict = combine(await evaluate_checks(checks, observation))
                if verdict.status is Status.HEALTHY:
                    if primary.get("taskDefinition") not in self._watch_context().rollback_arns:
                        return f"the service settled on {primary.get('taskDefinition')}"
                    return None
                failed_tasks = int(primary.get("failedTasks", 0) or 0)
                limit = circuit_breaker_threshold(int(primary.get("desiredCount", 0) or 0))
                if verdict.status is Status.FAILED or failed_tasks >= limit:
                    # Not the end: the failures may be transient (a registry's rate limit), and
                    # a rollback keeps trying until its own deadline.
                    detail = verdict.reason if verdict.status is Status.FAILED else "failing"
                    log.problem = (
                        f"the rollback deployment {primary['id']} had {failed_tasks} failed "
                        f"tasks ({detail})"
                    )
                    if primary.get("rolloutState") == "FAILED" and not self._ecs_takes_over(
                        primary, service
                    ):
                        # ECS stopped launching it: deploy the rollback target again.
                        await self._send_rollback(log, force=True)
                else:
                    log.problem = verdict.reason
            await anyio.sleep(self.settings.poll_interval)

    async def _first_read(self, log: _RollbackLog) -> dict[str, Any] | None:
        """The service before the rollback's UpdateService, or None when it cannot be read.

        Failed reads do not hold the rollback back (the revision to go back to is known),
        unless WATCH's latest reads showed someone else's deployment: then a blind rollback
        could go over it, so we keep reading until the rollback's deadline.
        """
        while True:
            if self._someone_else_suspected:
                # Said before reading: the deadline may strike while a read is still out, and the
                # reason must not then read as "roll back by hand" over the other deployment.
                log.problem = (
                    "the rollback was not sent: WATCH's last reads showed someone else's "
                    "deployment and the service could not be read to confirm it; check the "
                    "service before rolling back by hand"
                )
            current = await self._read_once(log)
            if current is not None and is_stale(
                current,
                newest_seen=0.0,
                created_at=self._created_at,
                ours=self._deployment_id or "",
            ):
                current = None  # an answer from before our deployment tells nothing
            if current is not None or not self._someone_else_suspected:
                log.problem = ""
                return current
            await anyio.sleep(self.settings.poll_interval)

    def _is_ecs_rollback(self, primary: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
        """This PRIMARY is ECS's rollback of ours: the previous deployment again (same id), or
        a deployment of the rollback target on a service ECS is configured to roll back.
        Anything else is someone else's deployment, never to be taken for our rollback."""
        previous = self._rollback.deployment_id if self._rollback else None
        if primary.get("id") is not None and primary.get("id") == previous:
            return True
        back = primary.get("taskDefinition") in self._watch_context().rollback_arns
        return back and ecs_rolls_back(service)

    def _ecs_takes_over(self, primary: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
        """ECS will roll this FAILED rollback deployment back by itself (it never rolls back
        its own rollback: the previous deployment made PRIMARY again)."""
        previous = self._rollback.deployment_id if self._rollback else None
        return ecs_rolls_back(service) and primary.get("id") != previous

    async def _request_rollback(self, log: _RollbackLog) -> None:
        """ECS's own rollback of our service deployment where it can be asked for
        (StopServiceDeployment with ROLLBACK), else UpdateService to the rollback target."""
        if await self._stop_service_deployment(log):
            self._rollback_method = "stop-service-deployment"
            return
        await self._send_rollback(log)
        self._rollback_method = "update-service"

    async def _stop_service_deployment(self, log: _RollbackLog) -> bool:
        """Ask ECS to roll our service deployment back; False when the API, the permission or
        the record is missing, or ECS refused (then UpdateService does it)."""
        records = self._records
        if records is None or not records.usable or self._copy_arn is not None:
            # ECS would go back to the deregistered revision, not to the copy we registered.
            return False
        if records.arn is None:
            try:
                await refresh_records(
                    self._gateway,
                    self.target.cluster,
                    {records: self.target.service},
                    find_all=True,
                )
            except EcsDeployError as exc:
                self._log.warning("ecsdeploy.rollback.record_unknown", error=str(exc))
        if records.arn is None or not records.usable:
            return False
        try:
            await self._gateway.stop_service_deployment(records.arn, stop_type="ROLLBACK")
        except EcsDeployError as exc:
            self._log.warning(
                "ecsdeploy.rollback.stop_service_deployment_failed",
                error=str(exc),
                service_deployment=records.arn,
            )
            if isinstance(exc, AwsError) and exc.code == "ConflictException":
                # ECS says ours is not in progress: perhaps because someone else's deployment
                # started after it, which our UpdateService must not go over.
                await self._refuse_over_later_record(records.arn)
            self._emit("progress", f"StopServiceDeployment failed ({exc}); using UpdateService")
            return False
        log.sent = True
        log.method = "StopServiceDeployment"
        self._log.info("ecsdeploy.rollback.stop_service_deployment", service_deployment=records.arn)
        return True

    async def _refuse_over_later_record(self, ours: str) -> None:
        """Raise _SomeoneElse if ListServiceDeployments lists a deployment created after ours:
        a listed record exists (a lagging list only leaves new ones out), so one read is
        enough; an unanswered list decides nothing."""
        if self._created_at is None:
            return  # nothing to tell later records by
        created_at = self._created_at
        try:
            briefs = await self._gateway.list_service_deployments(
                self.target.cluster, self.target.service, created_after=created_at
            )
        except EcsDeployError as exc:
            self._log.warning("ecsdeploy.rollback.record_list_failed", error=str(exc))
            return
        for brief in briefs:
            arn = brief.get("serviceDeploymentArn")
            created = epoch(brief.get("createdAt"))
            if arn and arn != ours and created is not None and created >= created_at:
                raise _SomeoneElse(
                    f"someone else's service deployment {arn} started after ours "
                    "(StopServiceDeployment was refused)"
                )

    async def _send_rollback(self, log: _RollbackLog, *, force: bool = False) -> None:
        """UpdateService to the rollback target, retried on any error until the deadline."""
        extra = {"forceNewDeployment": True} if force else {}
        while True:
            try:
                service = await self._gateway.update_service(
                    self.target.cluster,
                    self.target.service,
                    taskDefinition=self._rollback_arn,
                    **extra,
                )
            except EcsDeployError as exc:
                log.send_errors.append(str(exc))
                self._log.warning("ecsdeploy.rollback.update_failed", error=str(exc))
                await anyio.sleep(self.settings.poll_interval)
                continue
            log.sent = True
            log.method = "UpdateService"
            primary = primary_of(service)
            if self._rollback_deployment_id is not None:
                self._left_behind.add(self._rollback_deployment_id)
            self._rollback_deployment_id = str(primary["id"]) if primary else None
            return

    async def _read_once(self, log: _RollbackLog) -> dict[str, Any] | None:
        try:
            return await self._observer.describe_service(self.target.service)
        except EcsDeployError as exc:
            log.read_errors.append(str(exc))
            self._log.warning("ecsdeploy.rollback.read_failed", error=str(exc))
            return None

    async def _read_service(self, log: _RollbackLog) -> dict[str, Any]:
        """Read the service during ROLLBACK. A failed or MISSING read is retried until the
        rollback's own deadline (the caller's scope): one bad answer must not abandon it."""
        while True:
            service = await self._read_once(log)
            if service is not None:
                return service
            await anyio.sleep(self.settings.poll_interval)

    async def _forget_unchanged(self) -> None:
        """The deployment ended before changing the service: deregister what we registered for
        it, the rollback target's copy included (a deregistered revision stays deregistered)."""
        if self._state_unknown:
            # The service may be deploying what we registered: keep it (and the copy) ACTIVE.
            return
        await self.forget_revision()
        if self._copy_arn is None or self._changed:
            return
        with anyio.move_on_after(DEREGISTER_TIMEOUT, shield=True):
            await self._registrar.abandon(self._gateway, self._copy_arn, user=self)

    async def forget_revision(self) -> None:
        """Deregister the revision we registered for a deployment that did not land."""
        registered_by_us = bool(self._register_input)
        if self._new_arn is None or not registered_by_us or not self.settings.deregister_failed:
            return
        # Tidying up is worth a bounded wait, never a hang: a revision left ACTIVE is harmless.
        with anyio.move_on_after(DEREGISTER_TIMEOUT, shield=True):
            await self._registrar.abandon(self._gateway, self._new_arn, user=self)


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
