"""EcsGateway: the only code that talks to AWS.

Batching (DescribeServices ≤ 10, DescribeTasks ≤ 100 per call), pagination, client-side rate
limiting, retries of transient failures, and the translation of botocore errors into ecsdeploy's
exception hierarchy all happen here, at one boundary.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import aiohttp
import anyio
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

from ecsdeploy._ratelimit import RateLimiter
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.exceptions import (
    AccessDeniedError,
    AwsError,
    AwsUnavailableError,
    ClusterNotFoundError,
    EcsDeployError,
    InputError,
    ServiceNotFoundError,
    TaskDefinitionNotFoundError,
    ThrottledError,
)

if TYPE_CHECKING:
    from types_aiobotocore_ecs.client import ECSClient

__all__ = [
    "DESCRIBE_SERVICES_BATCH",
    "DESCRIBE_SERVICE_DEPLOYMENTS_BATCH",
    "DESCRIBE_TASKS_BATCH",
    "EcsGateway",
    "concurrently",
]

DESCRIBE_SERVICES_BATCH = 10
DESCRIBE_TASKS_BATCH = 100
DESCRIBE_SERVICE_DEPLOYMENTS_BATCH = 20
TASK_DEFINITION_CACHE_SECONDS = 60.0

T = TypeVar("T")
JSON = dict[str, Any]

_THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
#: The credentials' session token expired (ECS says ...Exception, STS says ExpiredToken).
_EXPIRED_CODES = frozenset({"ExpiredTokenException", "ExpiredToken"})
_SERVER_CODES = frozenset({"ServerException", "InternalFailure", "ServiceUnavailable"})
_CONNECTION_ERRORS = (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    aiohttp.ClientError,
    ConnectionError,
    TimeoutError,
)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_expired_token(exc: BaseException) -> bool:
    """AWS refused the call's credentials as expired: nothing was done, renew and resend."""
    return isinstance(exc, ClientError) and _error_code(exc) in _EXPIRED_CODES


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: throttling, server errors, 5xx, dropped connections and timeouts."""
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", ""))
        return (
            code in _THROTTLING_CODES
            or code in _SERVER_CODES
            or _http_status(exc) >= 500
            # ECS refuses concurrent registrations of one family (from another process, say).
            or (code == "ClientException" and "too many concurrent attempts" in message.lower())
        )
    return isinstance(exc, _CONNECTION_ERRORS)


def is_rejected(exc: BaseException) -> bool:
    """Refused before ECS did anything (throttled, a concurrent registration): safe to resend
    even for a call that is not idempotent."""
    if not isinstance(exc, ClientError):
        return False
    code = _error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return code in _THROTTLING_CODES or (
        code == "ClientException" and "too many concurrent attempts" in message.lower()
    )


def map_error(exc: BaseException, operation: str) -> EcsDeployError:
    """Translate a botocore/aiohttp error into ecsdeploy's hierarchy."""
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        where = f"{operation}: {message}"
        if code in _THROTTLING_CODES:
            return ThrottledError(f"{where} (retries exhausted)", code=code, operation=operation)
        if code in _SERVER_CODES or _http_status(exc) >= 500:
            return AwsUnavailableError(where, code=code, operation=operation)
        if code == "ClusterNotFoundException":
            return ClusterNotFoundError(where)
        if code in ("ServiceNotFoundException", "ServiceNotActiveException"):
            return ServiceNotFoundError(where)
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            return AccessDeniedError(where, code=code, operation=operation)
        if code == "ClientException" and "task definition" in message.lower().replace(
            "taskdefinition", "task definition"
        ):
            return TaskDefinitionNotFoundError(where)
        if code in ("InvalidParameterException", "ClientException", "ValidationException"):
            return _InvalidRequestError(where, code=code, operation=operation)
        return AwsError(where, code=code, operation=operation)
    if isinstance(exc, (*_CONNECTION_ERRORS, BotoCoreError)):
        return AwsUnavailableError(
            f"{operation}: {type(exc).__name__}: {exc}",
            code=type(exc).__name__,
            operation=operation,
        )
    raise TypeError(f"not an AWS error: {exc!r}") from exc


def service_missing(cluster: str, service: str, failures: Sequence[JSON]) -> ServiceNotFoundError:
    """The error for a service DescribeServices reported in `failures` (or left out)."""
    reasons = [
        str(f.get("reason", "MISSING")) for f in failures if str(f.get("arn", "")).endswith(service)
    ]
    reason = reasons[0] if reasons else "MISSING"
    return ServiceNotFoundError(f"service {service!r} not found in cluster {cluster!r} ({reason})")


class RenewableCredentials(Protocol):
    """Credentials the gateway can have renewed when AWS says their token expired."""

    #: Bumped each time new credentials were handed out.
    @property
    def generation(self) -> int: ...

    async def renew(self, generation: int) -> None:
        """The credentials of `generation` expired: get new ones (unless that happened)."""


async def send_renewing(
    send: Callable[[], Awaitable[T]], credentials: RenewableCredentials | None
) -> T:
    """`send()`, and once more with renewed credentials if AWS refused it for an expired token.

    The refusal came before AWS did anything, so the second send belongs to the same attempt:
    a retry policy of one attempt per call (AWS_MAX_ATTEMPTS=1) bounds failures, and must not
    turn the renewal of a role's credentials into one."""
    generation = credentials.generation if credentials else 0
    try:
        return await send()
    except ClientError as exc:
        if credentials is None or not is_expired_token(exc):
            raise
        await credentials.renew(generation)
    return await send()


class _InvalidRequestError(AwsError, InputError):
    """AWS rejected the request as invalid: an input problem, and nothing was changed."""


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def concurrently(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run calls concurrently; results in order. The first ecsdeploy error is raised as itself,
    not wrapped in an ExceptionGroup, so callers can catch `EcsDeployError` as usual."""
    if len(calls) == 1:
        return [await calls[0]()]
    results: list[T | None] = [None] * len(calls)
    errors: list[EcsDeployError] = []

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await call()
        except EcsDeployError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    if errors:
        raise errors[0]
    return cast(list[T], results)


class EcsGateway:
    """Typed, batched, retried, rate-limited access to one region's ECS API."""

    def __init__(
        self,
        client: ECSClient,
        *,
        region: str,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        credentials: RenewableCredentials | None = None,
        account: str | None = None,
    ) -> None:
        self._client = client
        self.region = region
        #: The account of the gateway's role; None for the caller's own credentials.
        self.account = account
        self._limiter = limiter or RateLimiter()
        #: Renewed when AWS says the session token expired; the call is then sent again.
        self.credentials = credentials
        self._retry = retry or RetryPolicy()
        self._task_definitions: dict[str, tuple[float, JSON]] = {}
        self._task_definition_locks: dict[str, anyio.Lock] = {}

    async def _call(
        self, operation: str, func: Callable[[], Awaitable[Any]], *, retry: bool = True
    ) -> JSON:
        async def send() -> Any:
            await self._limiter.acquire(operation)
            return await func()

        async def attempt() -> Any:
            return await send_renewing(send, self.credentials)

        def worth_retrying(exc: BaseException) -> bool:
            # An expired token is refused before anything is done: resend it with new ones.
            if self.credentials is not None and is_expired_token(exc):
                return True
            return is_transient(exc) if retry else is_rejected(exc)

        try:
            response = await self._retry.call(operation, attempt, is_transient=worth_retrying)
        except (ClientError, BotoCoreError, *_CONNECTION_ERRORS) as exc:
            raise map_error(exc, operation) from exc
        return cast(JSON, response)

    # -- services -----------------------------------------------------------------------------

    async def describe_services(
        self, cluster: str, services: Sequence[str]
    ) -> tuple[list[JSON], list[JSON]]:
        """All named services, in chunks of 10 issued concurrently: (services, failures)."""
        chunks = _chunks(list(dict.fromkeys(services)), DESCRIBE_SERVICES_BATCH)
        responses = await concurrently(
            [
                partial(
                    self._call,
                    "DescribeServices",
                    partial(self._client.describe_services, cluster=cluster, services=list(chunk)),
                )
                for chunk in chunks
            ]
        )
        found = [s for r in responses for s in r.get("services", [])]
        failures = [f for r in responses for f in r.get("failures", [])]
        return found, failures

    async def describe_service(self, cluster: str, service: str) -> JSON:
        """One service; ServiceNotFoundError when ECS reports it missing."""
        services, failures = await self.describe_services(cluster, [service])
        if not services:
            raise service_missing(cluster, service, failures)
        return services[0]

    async def update_service(self, cluster: str, service: str, **kwargs: Any) -> JSON:
        response = await self._call(
            "UpdateService",
            lambda: self._client.update_service(cluster=cluster, service=service, **kwargs),
        )
        return cast(JSON, response["service"])

    # -- task definitions ---------------------------------------------------------------------

    async def describe_task_definition(self, task_definition: str) -> JSON:
        """The DescribeTaskDefinition response, tags included (what lossless copies need).

        A revision's content never changes, so answers are kept for a short while and
        concurrent callers asking for the same revision share one call: a release validates
        every target and then each deployment's PREFLIGHT reads the same revisions again. Only
        the status can change (deregistration), hence the short life.
        """
        lock = self._task_definition_locks.setdefault(task_definition, anyio.Lock())
        async with lock:
            cached = self._task_definitions.get(task_definition)
            if cached is not None and (
                anyio.current_time() - cached[0] < TASK_DEFINITION_CACHE_SECONDS
            ):
                return copy.deepcopy(cached[1])
            response = await self._call(
                "DescribeTaskDefinition",
                lambda: self._client.describe_task_definition(
                    taskDefinition=task_definition, include=["TAGS"]
                ),
            )
            entry = (anyio.current_time(), copy.deepcopy(response))
            arn = str(response.get("taskDefinition", {}).get("taskDefinitionArn", ""))
            for key in {task_definition, arn} - {""}:
                self._task_definitions[key] = entry
            return response

    async def register_task_definition(self, register_input: JSON, *, retry: bool = True) -> JSON:
        """Register a revision. `retry=False` resends only calls ECS refused outright: a blind
        retry after a timeout could register the revision twice (the Registrar retries those
        with a token instead)."""
        response = await self._call(
            "RegisterTaskDefinition",
            lambda: self._client.register_task_definition(**register_input),
            retry=retry,
        )
        return cast(JSON, response["taskDefinition"])

    async def describe_task_definition_now(self, task_definition: str) -> JSON:
        """DescribeTaskDefinition (tags included) without the cache: `family` names the
        newest ACTIVE revision, which changes."""
        return await self._call(
            "DescribeTaskDefinition",
            lambda: self._client.describe_task_definition(
                taskDefinition=task_definition, include=["TAGS"]
            ),
        )

    async def deregister_task_definition(self, task_definition: str) -> JSON:
        self._task_definitions = {
            key: entry
            for key, entry in self._task_definitions.items()
            if key != task_definition
            and entry[1].get("taskDefinition", {}).get("taskDefinitionArn") != task_definition
        }
        response = await self._call(
            "DeregisterTaskDefinition",
            lambda: self._client.deregister_task_definition(taskDefinition=task_definition),
        )
        return cast(JSON, response["taskDefinition"])

    # -- tasks --------------------------------------------------------------------------------

    async def list_tasks(
        self,
        cluster: str,
        *,
        started_by: str | None = None,
        service_name: str | None = None,
        desired_status: str = "RUNNING",
    ) -> list[str]:
        """Every task ARN matching the filter, following nextToken."""
        kwargs: JSON = {"cluster": cluster, "desiredStatus": desired_status, "maxResults": 100}
        if started_by is not None:
            kwargs["startedBy"] = started_by
        if service_name is not None:
            kwargs["serviceName"] = service_name
        arns = await self._every_page("ListTasks", self._client.list_tasks, "taskArns", kwargs)
        return [str(arn) for arn in arns]

    async def _every_page(
        self, operation: str, method: Callable[..., Any], member: str, kwargs: JSON
    ) -> list[Any]:
        """`member` of every page of a List* call, following nextToken."""
        items: list[Any] = []
        while True:
            response = await self._call(operation, partial(method, **kwargs))
            items.extend(response.get(member, []))
            token = response.get("nextToken")
            if not token:
                return items
            kwargs = {**kwargs, "nextToken": token}

    async def describe_tasks(
        self, cluster: str, task_arns: Sequence[str], *, include_tags: bool = False
    ) -> list[JSON]:
        """All named tasks, in chunks of 100 issued concurrently."""
        chunks = _chunks(list(dict.fromkeys(task_arns)), DESCRIBE_TASKS_BATCH)
        include: JSON = {"include": ["TAGS"]} if include_tags else {}
        responses = await concurrently(
            [
                partial(
                    self._call,
                    "DescribeTasks",
                    partial(
                        self._client.describe_tasks, cluster=cluster, tasks=list(chunk), **include
                    ),
                )
                for chunk in chunks
            ]
        )
        return [t for r in responses for t in r.get("tasks", [])]

    # -- service deployments ------------------------------------------------------------------

    async def list_service_deployments(
        self, cluster: str, service: str, *, created_after: float | None = None
    ) -> list[JSON]:
        """The service's deployments (ListServiceDeployments briefs), newest first, following
        nextToken; only those created at or after `created_after` (epoch seconds) if given."""
        kwargs: JSON = {"cluster": cluster, "service": service, "maxResults": 100}
        if created_after is not None:
            kwargs["createdAt"] = {"after": created_after}
        return await self._every_page(
            "ListServiceDeployments",
            self._client.list_service_deployments,
            "serviceDeployments",
            kwargs,
        )

    async def describe_service_deployments(
        self, arns: Sequence[str]
    ) -> tuple[list[JSON], list[JSON]]:
        """The named service deployments, in chunks of 20 issued concurrently: (found,
        failures)."""
        chunks = _chunks(list(dict.fromkeys(arns)), DESCRIBE_SERVICE_DEPLOYMENTS_BATCH)
        responses = await concurrently(
            [
                partial(
                    self._call,
                    "DescribeServiceDeployments",
                    partial(
                        self._client.describe_service_deployments,
                        serviceDeploymentArns=list(chunk),
                    ),
                )
                for chunk in chunks
            ]
        )
        found = [d for r in responses for d in r.get("serviceDeployments", [])]
        failures = [f for r in responses for f in r.get("failures", [])]
        return found, failures

    async def stop_service_deployment(self, arn: str, *, stop_type: str = "ROLLBACK") -> JSON:
        """StopServiceDeployment: with ROLLBACK, ECS rolls the deployment back itself."""
        return await self._call(
            "StopServiceDeployment",
            lambda: self._client.stop_service_deployment(
                serviceDeploymentArn=arn,
                stopType=stop_type,  # type: ignore[arg-type]
            ),
        )

    # -- one-off tasks (a release's migrations) -------------------------------------------------

    async def run_task(self, request: JSON) -> JSON:
        """RunTask with `request` (which must carry its own `clientToken`): the whole answer,
        `tasks` and `failures`.

        Retried like a read: ECS answers a repeated request with the same client token with the
        original result, so a lost answer never starts a second task. botocore would make up a
        new token per attempt, which is why the caller's token is required.
        """
        if not request.get("clientToken"):
            raise ValueError("RunTask needs a clientToken, so that a retry cannot start a twin")
        return await self._call("RunTask", partial(self._client.run_task, **request))

    async def stop_task(self, cluster: str, task_arn: str, *, reason: str) -> JSON:
        """StopTask (idempotent: stopping a stopping task changes nothing)."""
        response = await self._call(
            "StopTask",
            partial(self._client.stop_task, cluster=cluster, task=task_arn, reason=reason),
        )
        return cast(JSON, response.get("task", {}))

    async def describe_container_instances(
        self, cluster: str, container_instance_arns: Sequence[str]
    ) -> list[JSON]:
        """The named container instances (EC2 launch type), in chunks of 100 issued concurrently:
        a bridge- or host-mode task's load-balancer target is its instance's EC2 id."""
        chunks = _chunks(list(dict.fromkeys(container_instance_arns)), DESCRIBE_TASKS_BATCH)
        responses = await concurrently(
            [
                partial(
                    self._call,
                    "DescribeContainerInstances",
                    partial(
                        self._client.describe_container_instances,
                        cluster=cluster,
                        containerInstances=list(chunk),
                    ),
                )
                for chunk in chunks
            ]
        )
        return [i for r in responses for i in r.get("containerInstances", [])]
