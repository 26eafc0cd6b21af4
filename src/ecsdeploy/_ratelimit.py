"""Client-side rate limiting that keeps a Deployer under ECS's (and ELBv2's and CloudWatch's)
request-throttling quotas.

ECS throttles per account and Region with token buckets per group of actions
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). A Deployer
watching hundreds of services would exhaust them and fail on ThrottlingException; instead every
call waits for a token from a local bucket with the same shape, so throttling is the exception
that retries absorb, not the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import anyio

__all__ = ["DEFAULT_RATES", "Rate", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Rate:
    """A token bucket: `burst` requests at once, `per_second` sustained."""

    burst: float
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"a bucket must hold at least one request, not {self.burst}")
        if self.per_second <= 0:
            raise ValueError(f"the refill rate must be positive, not {self.per_second}")


#: Action groups and their default quotas from the page's table "Request Token Bucket Sizes and
#: Refill Rates" (bucket maximum capacity = burst, refill rate = sustained). Operations not
#: listed share the "other" bucket.
_GROUPS: Mapping[str, tuple[str, ...]] = {
    "cluster_read": ("DescribeClusters", "ListClusters"),
    "service_read": ("DescribeServices", "ListServices"),
    "service_write": ("CreateService", "UpdateService", "DeleteService"),
    "service_deployment": (
        "ListServiceDeployments",
        "DescribeServiceDeployments",
        "StopServiceDeployment",
    ),
    "task_definition_read": (
        "DescribeTaskDefinition",
        "ListTaskDefinitions",
        "ListTaskDefinitionFamilies",
    ),
    "task_definition_write": ("RegisterTaskDefinition", "DeregisterTaskDefinition"),
    "task_read": ("DescribeTasks", "ListTasks"),
    "task_write": ("RunTask", "StopTask"),
}

DEFAULT_RATES: Mapping[str, Rate] = {
    "cluster_read": Rate(burst=50, per_second=20),
    "service_read": Rate(burst=100, per_second=20),
    "service_write": Rate(burst=50, per_second=5),
    "service_deployment": Rate(burst=50, per_second=20),
    "task_definition_read": Rate(burst=50, per_second=20),
    "task_definition_write": Rate(burst=20, per_second=1),
    "task_read": Rate(burst=100, per_second=20),
    # The page's "cluster resource modification" bucket (RunTask, StopTask, ...).
    "task_write": Rate(burst=100, per_second=40),
    "other": Rate(burst=20, per_second=5),
    # The health checks' reads beyond ECS, one bucket per service (ELBv2's and CloudWatch's
    # quotas are their own, apart from ECS's): TargetHealth's DescribeTargetHealth, Alarms'
    # DescribeAlarms. Their operations are named "<service>:<Operation>" here.
    "elbv2": Rate(burst=20, per_second=5),
    "cloudwatch": Rate(burst=20, per_second=5),
}

#: Services other than ECS whose operations ("elbv2:DescribeTargetHealth") have a group each.
_SERVICE_GROUPS = frozenset({"elbv2", "cloudwatch"})

_GROUP_OF = {operation: group for group, operations in _GROUPS.items() for operation in operations}


class _TokenBucket:
    def __init__(self, rate: Rate) -> None:
        self._rate = rate
        self._tokens = rate.burst
        self._updated = anyio.current_time()
        # A lock makes waiters queue in order instead of all waking at the same refill.
        self._lock = anyio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = anyio.current_time()
                self._tokens = min(
                    self._rate.burst, self._tokens + (now - self._updated) * self._rate.per_second
                )
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await anyio.sleep((1 - self._tokens) / self._rate.per_second)


class RateLimiter:
    """One token bucket per action group (ECS's, and one each for ELBv2 and CloudWatch);
    `await limiter.acquire("DescribeServices")`, `await limiter.acquire("elbv2:...")`."""

    def __init__(self, rates: Mapping[str, Rate] = DEFAULT_RATES) -> None:
        unknown = set(rates) - set(DEFAULT_RATES)
        if unknown:
            raise ValueError(
                f"unknown rate groups {sorted(unknown)}; known: {sorted(DEFAULT_RATES)}"
            )
        for group, rate in rates.items():
            if not isinstance(rate, Rate):
                raise TypeError(f"rates[{group!r}] must be a Rate, not {type(rate).__name__}")
        self._rates = {**DEFAULT_RATES, **rates}
        self._buckets: dict[str, _TokenBucket] = {}
        self._taken: dict[str, int] = {}

    @staticmethod
    def group_of(operation: str) -> str:
        """The bucket of an ECS operation ("DescribeServices"), or of another service's
        ("elbv2:DescribeTargetHealth", "cloudwatch:DescribeAlarms": that service's bucket)."""
        service, qualified, _ = operation.partition(":")
        if qualified:
            if service not in _SERVICE_GROUPS:
                raise ValueError(f"no rate group for {operation!r}")
            return service
        return _GROUP_OF.get(operation, "other")

    async def acquire(self, operation: str) -> None:
        group = self.group_of(operation)
        bucket = self._buckets.get(group)
        if bucket is None:
            bucket = self._buckets[group] = _TokenBucket(self._rates[group])
        await bucket.take()
        self._taken[operation] = self._taken.get(operation, 0) + 1

    def taken(self, operation: str) -> int:
        """How many calls of `operation` this limiter let through (for tests and benchmarks)."""
        return self._taken.get(operation, 0)
