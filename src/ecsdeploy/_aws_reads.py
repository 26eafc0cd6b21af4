"""The reads the built-in health checks make beyond ECS: ELBv2 target health, CloudWatch alarms,
and the tasks and container instances of our deployment.

Like `EcsGateway`, every call is rate-limited, retried when transient and its errors mapped into
ecsdeploy's hierarchy; a denied call becomes `MissingPermissionError`, naming the IAM action to
grant. The ELBv2 and CloudWatch clients are made on first use only, so a deployment without
these checks never needs their endpoints or permissions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import anyio
from botocore.exceptions import BotoCoreError, ClientError

from ecsdeploy._gateway import (
    _CONNECTION_ERRORS,
    EcsGateway,
    is_expired_token,
    is_transient,
    map_error,
    send_renewing,
)
from ecsdeploy._ratelimit import RateLimiter
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.exceptions import AccessDeniedError, MissingPermissionError

__all__ = ["ALARM_NAMES_BATCH", "IAM_ACTIONS", "AwsReads", "ClientFactory"]

JSON = dict[str, Any]

#: Makes (and keeps open until the Deployer closes) a client of a botocore service, e.g. "elbv2".
ClientFactory = Callable[[str], Awaitable[Any]]

#: DescribeAlarms takes at most 100 names per call.
ALARM_NAMES_BATCH = 100

#: The IAM action behind each operation these reads make (what a denial asks to grant).
IAM_ACTIONS: dict[str, str] = {
    "DescribeTargetHealth": "elasticloadbalancing:DescribeTargetHealth",
    "DescribeAlarms": "cloudwatch:DescribeAlarms",
    "ListTasks": "ecs:ListTasks",
    "DescribeTasks": "ecs:DescribeTasks",
    "DescribeContainerInstances": "ecs:DescribeContainerInstances",
}

_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)


def _denied(operation: str, detail: str, code: str) -> MissingPermissionError:
    action = IAM_ACTIONS.get(operation, operation)
    return MissingPermissionError(
        f"{operation} was denied: the credentials need {action} ({detail})",
        permission=action,
        code=code,
        operation=operation,
    )


class AwsReads:
    """One region's reads for the health checks (ELBv2, CloudWatch, and ECS through `ecs`)."""

    def __init__(
        self,
        ecs: EcsGateway,
        clients: ClientFactory,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.ecs = ecs
        self.region = ecs.region
        self._clients = clients
        self._retry = retry or RetryPolicy()
        # The (account, region)'s limiter, with the Deployer's `rates=`: ELBv2 and CloudWatch
        # calls take from buckets of their own there ("elbv2", "cloudwatch"), apart from ECS's.
        self._limiter = limiter or RateLimiter()
        self._opened: dict[str, Any] = {}
        self._lock = anyio.Lock()

    async def _client(self, service: str) -> Any:
        async with self._lock:
            client = self._opened.get(service)
            if client is None:
                client = self._opened[service] = await self._clients(service)
            return client

    async def _call(self, service: str, operation: str, **kwargs: Any) -> JSON:
        client = await self._client(service)
        method = getattr(client, _snake(operation))
        limiter = self._limiter

        # The ELBv2 and CloudWatch clients share the role session of the region's ECS gateway:
        # an expired token renews that session, as an ECS call's would, and the read is resent.
        credentials = self.ecs.credentials

        async def send() -> Any:
            await limiter.acquire(f"{service}:{operation}")
            return await method(**kwargs)

        async def attempt() -> Any:
            return await send_renewing(send, credentials)

        def worth_retrying(exc: BaseException) -> bool:
            return (credentials is not None and is_expired_token(exc)) or is_transient(exc)

        try:
            response = await self._retry.call(operation, attempt, is_transient=worth_retrying)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _DENIED_CODES:
                message = str(exc.response.get("Error", {}).get("Message", "")) or code
                raise _denied(operation, f"{code}: {message}", code) from exc
            raise map_error(exc, operation) from exc
        except (BotoCoreError, *_CONNECTION_ERRORS) as exc:
            raise map_error(exc, operation) from exc
        return cast(JSON, response)

    # -- ELBv2 --------------------------------------------------------------------------------

    async def describe_target_health(self, target_group_arn: str) -> list[JSON]:
        """Every registered target of the target group with its health: one call per group."""
        response = await self._call(
            "elbv2", "DescribeTargetHealth", TargetGroupArn=target_group_arn
        )
        return list(response.get("TargetHealthDescriptions", []))

    # -- CloudWatch ---------------------------------------------------------------------------

    async def describe_alarms(
        self, *, names: Sequence[str] = (), prefix: str | None = None
    ) -> list[JSON]:
        """The metric and composite alarms with these names (100 per call), or this name
        prefix, following NextToken."""
        queries: list[JSON] = [
            {"AlarmNames": list(names[i : i + ALARM_NAMES_BATCH])}
            for i in range(0, len(names), ALARM_NAMES_BATCH)
        ]
        if prefix is not None:
            queries.append({"AlarmNamePrefix": prefix})
        alarms: list[JSON] = []
        for query in queries:
            kwargs: JSON = {**query, "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
            while True:
                response = await self._call("cloudwatch", "DescribeAlarms", **kwargs)
                alarms += response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
                token = response.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return alarms

    # -- ECS ----------------------------------------------------------------------------------

    async def running_tasks(
        self,
        cluster: str,
        deployment_id: str,
        *,
        known: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Our deployment's tasks that should run (its tasks are startedBy its id), described;
        those in `known` (by ARN) are not described again."""
        known = known or {}
        try:
            arns = await self.ecs.list_tasks(cluster, started_by=deployment_id)
            new = [arn for arn in arns if arn not in known]
            described = await self.ecs.describe_tasks(cluster, new) if new else []
        except AccessDeniedError as exc:
            raise _denied(exc.operation, str(exc), exc.code) from exc
        by_arn: dict[str, Mapping[str, Any]] = {str(t["taskArn"]): t for t in described}
        return [task for arn in arns if (task := by_arn.get(arn) or known.get(arn)) is not None]

    async def instance_ids(
        self, cluster: str, container_instances: Sequence[str]
    ) -> dict[str, str]:
        """Container instance ARN → EC2 instance id (a bridge/host-mode target's id)."""
        if not container_instances:
            return {}
        try:
            described = await self.ecs.describe_container_instances(cluster, container_instances)
        except AccessDeniedError as exc:
            raise _denied(exc.operation, str(exc), exc.code) from exc
        return {
            str(i["containerInstanceArn"]): str(i["ec2InstanceId"])
            for i in described
            if i.get("ec2InstanceId")
        }


def _snake(operation: str) -> str:
    """botocore's method name for an operation: DescribeTargetHealth → describe_target_health."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
