"""Optional throttling at ECS's documented per-category burst and sustained rates."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire.throttle import CATEGORY_OF, RATES, BucketRate, Throttle, TokenBucket
from ecsdeploy.sim._wire.validation import RequestValidator

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_sustained_rate() -> None:
    """Capacity `burst` up front, then `sustained` tokens a second."""
    clock = FakeMonotonic()
    bucket = TokenBucket(BucketRate(burst=3, sustained=2), monotonic=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5
    assert [bucket.take(), bucket.take()] == [True, False]
    clock.now += 60
    assert sum(bucket.take() for _ in range(10)) == 3


def test_documented_rates_for_the_calls_deployers_make() -> None:
    """Rates from "Request throttling for the Amazon ECS API" (burst, sustained)."""
    expected = {
        "DescribeServices": (100, 20),
        "ListServices": (100, 20),
        "DescribeTasks": (100, 20),
        "ListTasks": (100, 20),
        "UpdateService": (50, 5),
        "CreateService": (50, 5),
        "RegisterTaskDefinition": (20, 1),
        "DescribeTaskDefinition": (50, 20),
        "DescribeClusters": (50, 20),
        "CreateCluster": (20, 1),
        "TagResource": (20, 10),
        "ListTagsForResource": (50, 20),
    }
    actual = {
        operation: (RATES[CATEGORY_OF[operation]].burst, RATES[CATEGORY_OF[operation]].sustained)
        for operation in expected
    }
    assert actual == expected


def test_every_throttled_action_is_an_ecs_operation() -> None:
    """The category table names real operations only (no typos)."""
    assert set(CATEGORY_OF) <= RequestValidator().operations


def test_a_category_shares_one_bucket_per_region() -> None:
    """DescribeServices and ListServices drain the same bucket; another region has its own."""
    throttle = Throttle(monotonic=FakeMonotonic())
    assert all(throttle.allow("us-east-1", "DescribeServices") for _ in range(50))
    assert all(throttle.allow("us-east-1", "ListServices") for _ in range(50))
    assert not throttle.allow("us-east-1", "DescribeServices")
    assert throttle.allow("us-west-2", "ListServices")
    assert throttle.allow("us-east-1", "DescribeTasks")


def test_actions_the_page_does_not_list_are_not_throttled() -> None:
    """Task set actions have no documented bucket, so they are never throttled."""
    throttle = Throttle(monotonic=FakeMonotonic())
    assert all(throttle.allow("us-east-1", "DescribeTaskSets") for _ in range(1000))


async def test_throttled_simulator_allows_a_burst_of_20_create_cluster(no_retries: Config) -> None:
    """With throttle=True, cluster modify actions get 20 at once, then 1 a second."""
    async with Simulator(throttle=True) as sim:
        kwargs = sim.client_kwargs()
        async with new_session().client("ecs", config=no_retries, **kwargs) as ecs:
            started = time.monotonic()
            errors: list[tuple[str, str]] = []
            for index in range(25):
                try:
                    await ecs.create_cluster(clusterName=f"c{index}")
                except ClientError as error:
                    errors.append(
                        (error.response["Error"]["Code"], error.response["Error"]["Message"])
                    )
            elapsed = time.monotonic() - started
        # The bucket refills at 1 token/s while the calls are made: allow for a slow machine.
        assert 20 <= 25 - len(errors) <= 20 + math.floor(elapsed)
        assert set(errors) <= {("ThrottlingException", "Rate exceeded")}
        assert sim.stats()["throttled"] == ({"CreateCluster": len(errors)} if errors else {})
        assert sim.stats()["calls"] == {"CreateCluster": 25}


async def test_throttling_is_off_by_default(sim: Simulator, ecs: ECSClient) -> None:
    """Without throttle=True, bursts beyond ECS's rates are all served."""
    for index in range(25):
        await ecs.create_cluster(clusterName=f"c{index}")
    assert sim.stats()["throttled"] == {}
