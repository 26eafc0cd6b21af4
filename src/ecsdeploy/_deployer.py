"""Deployer: the library's entry point."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from functools import partial
from types import TracebackType
from typing import Any

import aioboto3
import anyio
import structlog
from anyio.abc import TaskGroup
from botocore.config import Config

from ecsdeploy._aws_reads import AwsReads
from ecsdeploy._aws_session import new_session
from ecsdeploy._credentials import DEFAULT_SESSION_SECONDS, Role, RoleSessions
from ecsdeploy._endpoints import serves_every_service, sts_endpoint_configured
from ecsdeploy._gateway import EcsGateway
from ecsdeploy._machine import DeploymentMachine
from ecsdeploy._models import Outcome, Phase, Target, Transition
from ecsdeploy._observer import ClusterObserver, ObserverStats
from ecsdeploy._pacing import Pacing
from ecsdeploy._ratelimit import Rate
from ecsdeploy._region import region_from_environment
from ecsdeploy._registrar import Registrar
from ecsdeploy._release.model import Release, ReleaseResult
from ecsdeploy._release.runner import run_release
from ecsdeploy._release.tasks import TaskOutcome
from ecsdeploy._result import DeployEvent, DeployPlan, DeployResult, Listener
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy.checks import HealthCheck
from ecsdeploy.exceptions import InputError, NothingChangedError

__all__ = ["Deployer", "gateway_of", "observer_stats", "pacing_of", "role_sessions_of"]

logger = structlog.get_logger("ecsdeploy")


# Retries are ours (tenacity, logged); botocore's own would hide them and multiply with ours.
_BOTOCORE_CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=30,
)


#: Seconds allowed for closing the AWS clients on exit.
CLOSE_TIMEOUT = 10.0


class _State(enum.Enum):
    NEW = "NEW"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Deployer:
    """Deploys Targets and reports honest outcomes.

    ```python
    async with Deployer(region="us-east-2") as deployer:
        result = await deployer.deploy(Target("prod", "web", [ImageChange("web", "org/web:2")]))
    ```

    Several `deploy()` calls may run at once on one Deployer; they share one poll loop per
    (role, region, cluster), one rate limiter per (account, region) and one registrar.

    Targets with a `role_arn` deploy with that role's credentials: one STS AssumeRole per
    (role, external id, region), refreshed before it expires; `role_arn`/`external_id` here
    are the role of targets that name none (without one, the session's own credentials).
    `sts_endpoint_url` points STS elsewhere (`AWS_ENDPOINT_URL_STS` works too; without either, a
    local emulator's `endpoint_url` serves STS as well),
    `role_session_seconds` is the DurationSeconds asked of STS.

    `rates` replaces the default token buckets (`ecsdeploy._ratelimit.DEFAULT_RATES`) by group:
    ECS's action groups (``"service_read"``, ``"service_write"``, ``"task_read"``, ...,
    ``"other"``), ``"elbv2"`` (TargetHealth's DescribeTargetHealth) and ``"cloudwatch"``
    (Alarms' DescribeAlarms), e.g. ``rates={"cloudwatch": Rate(burst=5, per_second=1)}``. Each
    (account, region) gets its own set of buckets; an unknown group is a ValueError (a value
    that is not a Rate a TypeError) from `Deployer(...)` itself.
    """

    def __init__(
        self,
        *,
        session: aioboto3.Session | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        settings: DeploySettings | None = None,
        retry: RetryPolicy | None = None,
        rates: Mapping[str, Rate] | None = None,
        listeners: Iterable[Listener] = (),
        client_options: Mapping[str, Any] | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
        sts_endpoint_url: str | None = None,
        role_session_seconds: int = DEFAULT_SESSION_SECONDS,
    ) -> None:
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self.settings = settings or DeploySettings()
        self._retry = retry or RetryPolicy()
        self._rates = rates or {}
        self._listeners = list(listeners)
        self._client_options = dict(client_options or {})
        self._state = _State.NEW
        self._stack = AsyncExitStack()
        self._group: TaskGroup | None = None
        self._role = Role(role_arn, external_id) if role_arn else None
        self._sts_endpoint_url = sts_endpoint_url
        self._role_session_seconds = role_session_seconds
        self._roles: RoleSessions | None = None
        #: What assumed-role sessions are named after: the running release, else the service.
        self._release_name: str | None = None
        self._gateways: dict[tuple[Role | None, str], EcsGateway] = {}
        #: The health checks' reads beyond ECS, per (role, region); their clients open on first use.
        self._reads: dict[tuple[Role | None, str], AwsReads] = {}
        #: One lock per (role, region): a gateway is made once, and making one (which may
        #: assume its role) does not hold up another role's or region's.
        self._gateway_locks: dict[tuple[Role | None, str], anyio.Lock] = {}
        self._pacing = Pacing(self._rates)
        self._observers: dict[tuple[Role | None, str, str], ClusterObserver] = {}
        self._registrar = Registrar()
        self._machines: list[DeploymentMachine] = []
        self._refused: list[DeployResult] = []
        self._task_results: list[TaskOutcome] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def _sts_endpoint(self) -> str | None:
        """STS's endpoint: the one given, else a local emulator's `endpoint_url` unless the
        environment or the shared config file names STS's own (and botocore is not told to
        ignore configured endpoints), else botocore's resolution."""
        if self._sts_endpoint_url:
            return self._sts_endpoint_url
        # An emulator that answers ECS answers AssumeRole too (the simulator, LocalStack):
        # sending it to AWS instead would assume a real role, or fail on dummy credentials.
        if (
            self._endpoint_url
            and serves_every_service(self._endpoint_url)
            and not sts_endpoint_configured(getattr(self._session, "_session", None))
        ):
            return self._endpoint_url
        return None

    async def __aenter__(self) -> Deployer:
        if self._state is not _State.NEW:
            raise RuntimeError(f"a Deployer can be opened once; this one is {self._state.name}")
        if self._session is None:
            self._session = new_session()
        self._roles = RoleSessions(
            self._session,
            self._stack,
            sts_endpoint_url=self._sts_endpoint(),
            duration=self._role_session_seconds,
            retry=self._retry,
            client_config=_BOTOCORE_CONFIG,
        )
        self._state = _State.OPEN
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = _State.CLOSED
        try:
            if self._group is not None:
                # The poll loops run until the Deployer closes.
                self._group.cancel_scope.cancel()
                # The caller's exception is not the loops' business: it goes on unwrapped.
                await self._group.__aexit__(None, None, None)
        finally:
            # Closing the HTTP clients must finish even when we are being cancelled: aiohttp's
            # close, interrupted half way, leaves connections and loop callbacks behind.
            with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await self._stack.aclose()

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every DeployEvent (phase changes, verdicts, ECS events...)."""
        self._listeners.append(listener)

    @property
    def default_region(self) -> str:
        region = region_from_environment(self._region)
        if not region:
            raise InputError(
                "no AWS region: pass region=..., set AWS_REGION, or give each Target a region"
            )
        return region

    def _role_of(self, target: Target) -> Role | None:
        """The role `target` deploys with: its own, else the Deployer's, else none."""
        if target.role_arn:
            return Role(target.role_arn, target.external_id)
        return self._role

    async def _gateway(
        self, region: str | None = None, role: Role | None = None, *, label: str = "deploy"
    ) -> EcsGateway:
        """The gateway for (role, region), creating its client (and assuming the role, named
        after `label` or the running release) on first use."""
        if self._state is not _State.OPEN:
            raise RuntimeError("use the Deployer inside `async with Deployer(...) as deployer:`")
        region = region or self.default_region
        async with self._gateway_locks.setdefault((role, region), anyio.Lock()):
            gateway = self._gateways.get((role, region))
            if gateway is None:
                assert self._roles is not None
                session = self._session
                assumed = None
                if role is not None:
                    assumed = await self._roles.session(
                        role, region, label=self._release_name or label
                    )
                    assert assumed.session is not None
                    session = assumed.session
                client = await self._client(region, "ecs", session=session)
                account = role.account if role is not None else None
                gateway = EcsGateway(
                    client,
                    region=region,
                    limiter=self._pacing.limiter(account, region),
                    retry=self._retry,
                    credentials=assumed,
                    account=account,
                )
                self._gateways[(role, region)] = gateway
                self._reads[(role, region)] = AwsReads(
                    gateway,
                    partial(self._client, region, session=session),
                    retry=self._retry,
                    limiter=self._pacing.limiter(account, region),
                )
            return gateway

    async def _gateway_for(self, target: Target) -> EcsGateway:
        return await self._gateway(target.region, self._role_of(target), label=target.service)

    async def _client(
        self, region: str, service: str, *, session: aioboto3.Session | None = None
    ) -> Any:
        """An open client of a botocore service ("ecs", "elbv2", "cloudwatch"), closed with the
        Deployer, from `session` (an assumed role's) or the Deployer's own. An explicit
        `endpoint_url` is ECS's; it serves every service when it is a local emulator (such as
        the simulator), ECS only when it is an AWS endpoint (a VPC endpoint, say). Otherwise
        botocore resolves each service's endpoint the AWS CLI's way (AWS_ENDPOINT_URL_ECS,
        AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL_CLOUDWATCH, then
        AWS_ENDPOINT_URL)."""
        if self._state is not _State.OPEN:
            raise RuntimeError("use the Deployer inside `async with Deployer(...) as deployer:`")
        session = session or self._session
        assert session is not None
        options: dict[str, Any] = {"region_name": region, "config": _BOTOCORE_CONFIG}
        if self._endpoint_url and (service == "ecs" or serves_every_service(self._endpoint_url)):
            options["endpoint_url"] = self._endpoint_url
        options.update(self._client_options)
        try:
            return await self._stack.enter_async_context(session.client(service, **options))
        except ValueError as exc:  # botocore's invalid endpoint URL or region name
            raise InputError(f"cannot make an {service} client for {region}: {exc}") from exc

    def _observer(self, gateway: EcsGateway, cluster: str, role: Role | None) -> ClusterObserver:
        # Poll loops are per (role, region, cluster): a role's services are read with that
        # role's credentials (another role of the account may not be allowed to read them).
        # Their calls are still paced by the account's limiter, the account's quota being what
        # they use; two roles on one cluster cost at most one more DescribeServices per tick.
        key = (role, gateway.region, cluster)
        observer = self._observers.get(key)
        if observer is None:
            assert self._group is not None
            observer = self._observers[key] = ClusterObserver(gateway, cluster)
            self._group.start_soon(observer.run, name=f"ecsdeploy observer {key}")
        return observer

    # -- deploying ----------------------------------------------------------------------------

    async def deploy(
        self,
        target: Target,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the watch deadline, a setting
        poll_interval: float | None = None,
        rollback: bool | None = None,
        bake: float | None = None,
        max_checks: int | None = None,
        checks: Sequence[HealthCheck] | None = None,
        settings: DeploySettings | None = None,
    ) -> DeployResult:
        """Deploy one target and return its outcome.

        Keyword arguments override `settings` (else the target's, else the Deployer's). Bad input
        never raises: it is a FAILED result with `input_error=True` and nothing changed. If the
        calling task is cancelled during WATCH, the rollback still completes (shielded) before
        the cancellation propagates; the result is then in `deployer.results`.
        """
        base = self._settings_for(target, settings)
        try:
            effective = base.with_overrides(
                timeout=timeout,
                poll_interval=poll_interval,
                rollback=rollback,
                bake=bake,
                max_checks=max_checks,
                checks=checks,
            )
            machine = await self._start_machine(target, effective)
        except (InputError, NothingChangedError) as exc:
            # Bad input, or STS failing to hand out the target's credentials: nothing changed.
            result = _refused(target, exc)
            self._refused.append(result)
            return result
        return await machine.run()

    def _settings_for(self, target: Target, settings: DeploySettings | None) -> DeploySettings:
        """The settings a deployment runs with: given ones, else the target's, else ours."""
        return settings or target.settings or self.settings

    async def _start_machine(
        self,
        target: Target,
        settings: DeploySettings | None = None,
        *,
        only_over: str | None = None,
    ) -> DeploymentMachine:
        """A machine for `target`, not yet run; its `result` survives a cancelled caller.

        With `only_over`, the machine changes nothing unless the service's PRIMARY deployment
        runs that revision when PREFLIGHT last reads it.
        """
        machine = await self._machine(
            target, self._settings_for(target, settings), only_over=only_over
        )
        self._machines.append(machine)
        return machine

    async def read_service(self, target: Target) -> dict[str, Any]:
        """The service's description now (batched with concurrent reads of its cluster)."""
        gateway = await self._gateway_for(target)
        observer = self._observer(gateway, target.cluster, self._role_of(target))
        return await observer.describe_service(target.service)

    async def release(self, release: Release) -> ReleaseResult:
        """Run a multi-stage release (see `Release`); never raises for a failed deployment."""
        self._release_name = release.name
        try:
            return await run_release(self, release)
        finally:
            self._release_name = None

    async def _register_ahead(self, target: Target, *, user: object) -> tuple[str, bool]:
        """The revision `target`'s deployment will deploy, registered now and held for `user`
        (see `DeploymentMachine.register_ahead`); `_abandon_revision` lets it go."""
        machine = await self._machine(target, self._settings_for(target, None))
        return await machine.register_ahead(user=user)

    async def _abandon_revision(self, target: Target, arn: str, *, user: object) -> None:
        """`user` no longer needs `arn` (registered for `target`): deregistered unless a
        deployment uses it."""
        gateway = await self._gateway_for(target)
        await self._registrar.abandon(gateway, arn, user=user)

    async def plan(self, target: Target) -> DeployPlan:
        """Validate `target` and return the diff its deployment would make (a dry run).

        Raises an InputError subclass for bad input; changes nothing in the account.
        """
        machine = await self._machine(target, self._settings_for(target, None))
        return await machine.plan()

    async def _machine(
        self, target: Target, settings: DeploySettings, *, only_over: str | None = None
    ) -> DeploymentMachine:
        gateway = await self._gateway_for(target)
        return DeploymentMachine(
            target,
            settings,
            gateway=gateway,
            observer=self._observer(gateway, target.cluster, self._role_of(target)),
            registrar=self._registrar,
            emit=self._emit,
            only_over=only_over,
            aws=self._reads[(self._role_of(target), gateway.region)],
        )

    async def deploy_many(self, targets: Sequence[Target], **options: Any) -> list[DeployResult]:
        """Deploy several targets concurrently; results in the order of `targets`."""
        results: list[DeployResult | None] = [None] * len(targets)

        async def one(index: int, target: Target) -> None:
            results[index] = await self.deploy(target, **options)

        async with anyio.create_task_group() as group:
            for index, target in enumerate(targets):
                group.start_soon(one, index, target)
        return [r for r in results if r is not None]

    @property
    def results(self) -> list[DeployResult]:
        """Results of every finished deployment, including ones whose caller was cancelled."""
        ran = [m.result for m in self._machines if m.result is not None]
        return sorted([*ran, *self._refused], key=lambda r: r.started_at)

    @property
    def task_results(self) -> list[TaskOutcome]:
        """How every one-off task of a release ended, in order, including tasks stopped because
        the release was cancelled (whose `ReleaseResult` never came)."""
        return list(self._task_results)

    def _record_task(self, outcome: TaskOutcome) -> None:
        self._task_results.append(outcome)

    def _emit(self, event: DeployEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break a deployment
                logger.exception("ecsdeploy.listener.failed", listener=repr(listener))


async def gateway_of(deployer: Deployer, region: str | None = None) -> EcsGateway:
    """The open Deployer's gateway for `region` (with its role, if any): the fronts' commands
    that read ECS directly (status, rollback) share the Deployer's client, retries and rate
    limits."""
    return await deployer._gateway(region, deployer._role)


def observer_stats(
    deployer: Deployer,
    cluster: str,
    region: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
) -> ObserverStats:
    """What the cluster's poll loop for a role (default: the Deployer's) cost so far (for tests
    and benchmarks)."""
    role = Role(role_arn, external_id) if role_arn else deployer._role
    observer = deployer._observers.get((role, region or deployer.default_region, cluster))
    return observer.stats if observer else ObserverStats()


def pacing_of(deployer: Deployer) -> Pacing:
    """The Deployer's rate limiters per (account, region) (for tests and benchmarks)."""
    return deployer._pacing


def role_sessions_of(deployer: Deployer) -> RoleSessions | None:
    """The Deployer's assumed-role sessions, None before it opens (for tests)."""
    return deployer._roles


def _refused(target: Target, error: InputError | NothingChangedError) -> DeployResult:
    """The result of a deployment that could not start (bad input, or no credentials from
    STS): nothing was even looked at."""
    now = time.time()
    logger.warning("ecsdeploy.deploy.refused", target=str(target), reason=str(error))
    return DeployResult(
        target=target,
        outcome=Outcome.FAILED,
        reason=str(error),
        history=(Transition(Phase.PREFLIGHT, now), Transition(Phase.FAILED, now, str(error))),
        started_at=now,
        finished_at=now,
        input_error=isinstance(error, InputError),
    )
