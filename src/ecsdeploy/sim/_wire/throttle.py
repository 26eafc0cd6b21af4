"""ECS's request throttling: one token bucket per API action category, refilled on wall time.

Rates are the defaults from "Request throttling for the Amazon ECS API", table "Request Token
Bucket Sizes and Refill Rates"
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html): the bucket
maximum capacity is the burst rate, the refill rate the sustained rate, shared by every action
of a category. They throttle the *client's* request rate, so buckets refill on the wall clock,
not on simulated time. Actions the page does not list are not throttled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID


@dataclass(frozen=True, slots=True)
class BucketRate:
    burst: float
    sustained: float


# category: (bucket maximum capacity, refill rate per second), actions
_CATEGORIES: Final[Mapping[str, tuple[BucketRate, tuple[str, ...]]]] = {
    "cluster-modify": (
        BucketRate(20, 1),
        (
            "CreateCluster",
            "DeleteCluster",
            "PutClusterCapacityProviders",
            "UpdateCluster",
            "UpdateClusterSettings",
        ),
    ),
    "cluster-read": (BucketRate(50, 20), ("DescribeClusters", "ListClusters")),
    "task-definition-modify": (
        BucketRate(20, 1),
        ("DeregisterTaskDefinition", "RegisterTaskDefinition"),
    ),
    "task-definition-read": (
        BucketRate(50, 20),
        ("DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"),
    ),
    "task-definition-delete": (BucketRate(5, 1), ("DeleteTaskDefinitions",)),
    "capacity-provider-modify": (
        BucketRate(10, 1),
        ("CreateCapacityProvider", "DeleteCapacityProvider", "UpdateCapacityProvider"),
    ),
    "capacity-provider-read": (BucketRate(50, 20), ("DescribeCapacityProviders",)),
    "tag-modify": (BucketRate(20, 10), ("TagResource", "UntagResource")),
    "tag-read": (BucketRate(50, 20), ("ListTagsForResource",)),
    "setting-modify": (
        BucketRate(10, 1),
        ("DeleteAccountSetting", "PutAccountSetting", "PutAccountSettingDefault"),
    ),
    "setting-read": (BucketRate(50, 20), ("ListAccountSettings",)),
    "cluster-resource-modify": (
        BucketRate(100, 40),
        (
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "ExecuteCommand",
            "PutAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateContainerAgent",
            # The page spells it "UpdateContainerInstancesStates"; this is the API's name.
            "UpdateContainerInstancesState",
        ),
    ),
    "cluster-resource-read": (
        BucketRate(100, 20),
        (
            "DescribeContainerInstances",
            "DescribeTasks",
            "ListAttributes",
            "ListContainerInstances",
            "ListTasks",
        ),
    ),
    "agent-modify": (
        BucketRate(200, 120),
        (
            "RegisterContainerInstance",
            "SubmitAttachmentStateChanges",
            "SubmitContainerStateChange",
            "SubmitTaskStateChange",
        ),
    ),
    "service-modify": (BucketRate(50, 5), ("CreateService", "DeleteService", "UpdateService")),
    "service-read": (BucketRate(100, 20), ("DescribeServices", "ListServices")),
    "service-deployment": (
        BucketRate(50, 20),
        ("DescribeServiceDeployments", "ListServiceDeployments"),
    ),
    "service-revision": (BucketRate(50, 20), ("DescribeServiceRevisions",)),
    "task-protection": (BucketRate(200, 80), ("GetTaskProtection", "UpdateTaskProtection")),
    "cluster-service-resource-read": (BucketRate(10, 1), ("ListServicesByNamespace",)),
}

CATEGORY_OF: Final[Mapping[str, str]] = {
    action: category for category, (_, actions) in _CATEGORIES.items() for action in actions
}
RATES: Final[Mapping[str, BucketRate]] = {
    category: rate for category, (rate, _) in _CATEGORIES.items()
}


class TokenBucket:
    """Holds up to `burst` tokens, refilled continuously at `sustained` tokens a second."""

    __slots__ = ("_last", "_monotonic", "_tokens", "rate")

    def __init__(self, rate: BucketRate, *, monotonic: Callable[[], float]) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._tokens = rate.burst
        self._last = monotonic()

    def take(self) -> bool:
        """Spend one token if there is one; False means the request is throttled."""
        now = self._monotonic()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self.rate.burst, self._tokens + elapsed * self.rate.sustained)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class Throttle:
    """The account's buckets in one region, created full on first use of a category."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def allow(self, region: str, operation: str, *, account: str = ACCOUNT_ID) -> bool:
        category = CATEGORY_OF.get(operation)
        if category is None:
            return True
        key = (account, region, category)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(RATES[category], monotonic=self._monotonic)
        return bucket.take()

    def reset(self) -> None:
        self._buckets.clear()
