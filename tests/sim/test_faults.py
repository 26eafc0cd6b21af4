"""API fault rules make chosen calls throttle, fail, drop the connection or answer late."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire.faults import FaultInjector, FaultKind, FaultRule, parse_fault_rule

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio

OPERATIONS = frozenset({"DescribeServices", "ListClusters"})


async def test_throttling_rule_answers_like_ecs(sim: Simulator, ecs: ECSClient) -> None:
    """ThrottlingException: HTTP 400, "Rate exceeded", counted as throttled."""
    sim.add_rule({"operation": "ListClusters", "error": "ThrottlingException"})
    with pytest.raises(ClientError) as raised:
        await ecs.list_clusters()
    error = raised.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sim.stats()["throttled"] == {"ListClusters": 1}
    assert sim.stats()["calls"] == {"ListClusters": 1}


async def test_server_exception_rule_is_a_500(sim: Simulator, ecs: ECSClient) -> None:
    """ServerException: HTTP 500 with ECS's modelled ServerException."""
    sim.add_rule({"operation": "*", "error": "ServerException"})
    with pytest.raises(ecs.exceptions.ServerException) as raised:
        await ecs.list_clusters()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


async def test_reset_rule_drops_the_connection(sim: Simulator, ecs: ECSClient) -> None:
    """reset: no HTTP answer at all; the next call is served normally."""
    sim.add_rule({"operation": "ListClusters", "error": "reset", "count": 1})
    with pytest.raises(ConnectionClosedError):
        await ecs.list_clusters()
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_latency_rule_delays_the_answer(sim: Simulator, ecs: ECSClient) -> None:
    """latency: the call succeeds after `seconds` of wall-clock time (network, not ECS time)."""
    sim.add_rule({"operation": "ListClusters", "error": "latency", "seconds": 0.3, "count": 1})
    started = time.monotonic()
    assert (await ecs.list_clusters())["clusterArns"] == []
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await ecs.list_clusters()
    assert time.monotonic() - started < 0.3


async def test_simulated_latency_is_simulated_seconds(sim: Simulator, ecs: ECSClient) -> None:
    """latency on the simulated clock: 60 simulated seconds at speed 200 are 0.3 wall seconds."""
    sim.clock.speed = 200
    sim.add_rule(
        {
            "operation": "ListClusters",
            "error": "latency",
            "seconds": 60,
            "clock": "simulated",
            "count": 1,
        }
    )
    started = time.monotonic()
    await ecs.list_clusters()
    assert 0.3 <= time.monotonic() - started < 30


async def test_count_limits_how_often_a_rule_fires(sim: Simulator, ecs: ECSClient) -> None:
    """A rule with count=2 fails two calls, then is spent."""
    sim.add_rule({"operation": "ListClusters", "error": "ServerException", "count": 2})
    for _ in range(2):
        with pytest.raises(ClientError):
            await ecs.list_clusters()
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_rule_only_hits_its_operation(sim: Simulator, ecs: ECSClient) -> None:
    """A rule for DescribeServices leaves ListClusters alone."""
    sim.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_probability_is_repeatable_with_a_seed(no_retries: Config) -> None:
    """probability draws from the seeded RNG: same seed, same calls fail."""

    async def failures(seed: int) -> list[bool]:
        async with Simulator(seed=seed) as sim:
            sim.add_rule(
                {"operation": "ListClusters", "error": "ServerException", "probability": 0.5}
            )
            kwargs = sim.client_kwargs()
            async with new_session().client("ecs", config=no_retries, **kwargs) as ecs:
                outcome = []
                for _ in range(30):
                    try:
                        await ecs.list_clusters()
                    except ClientError:
                        outcome.append(True)
                    else:
                        outcome.append(False)
                return outcome

    first = await failures(11)
    assert first == await failures(11)
    assert 0 < sum(first) < 30


def test_first_matching_rule_wins_and_count_is_spent() -> None:
    """Rules are tried in order; a spent rule disappears."""
    injector = FaultInjector(random.Random(0))
    injector.add(FaultRule("ListClusters", FaultKind.RESET, count=1))
    injector.add(FaultRule("*", FaultKind.LATENCY, seconds=1.0))
    assert injector.fire("ListClusters") == FaultRule("ListClusters", FaultKind.RESET, count=1)
    assert injector.fire("ListClusters") == FaultRule("*", FaultKind.LATENCY, seconds=1.0)
    assert len(injector.rules) == 1


def test_rule_parsing_defaults() -> None:
    """probability defaults to 1, count to unlimited."""
    assert parse_fault_rule(
        {"operation": "DescribeServices", "error": "ThrottlingException"}, operations=OPERATIONS
    ) == FaultRule("DescribeServices", FaultKind.THROTTLING)


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"operation": "Nope", "error": "reset"}, "operation"),
        ({"operation": "*", "error": "explode"}, "error"),
        ({"operation": "*", "error": "latency"}, "seconds"),
        ({"operation": "*", "error": "latency", "seconds": -1}, "seconds"),
        ({"operation": "*", "error": "reset", "probability": "often"}, "probability"),
        ({"operation": "*", "error": "reset", "count": 1.5}, "count"),
        ({"operation": "*", "error": "reset", "extra": 1}, "extra"),
        ({"operation": "*", "error": "latency", "seconds": 1, "clock": "sun"}, "clock"),
        ({"operation": "*", "error": "reset", "clock": "simulated"}, "clock"),
    ],
)
def test_bad_rules_are_refused(rule: dict[str, object], complaint: str) -> None:
    """Each malformed rule raises ValueError naming what is wrong."""
    with pytest.raises(ValueError, match=complaint):
        parse_fault_rule(rule, operations=OPERATIONS)
