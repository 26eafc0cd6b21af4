"""The `stale` and `missing` API faults: DescribeServices answers as an eventually consistent
ECS gives them right after a change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from ecsdeploy.sim._wire.faults import parse_fault_rule
from ecsdeploy.sim._wire.stale_answers import ServiceAnswerHistory

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator that keeps an hour of answers, so a stale rule added later has history."""
    async with Simulator(speed=0, seed=7, stale_history=3600) as simulator:
        yield simulator


async def deploy_two_revisions(sim: Simulator, ecs: ECSClient) -> None:
    """web:1 described 600 s ago, then UpdateService to web:2 (its answer kept now)."""
    await ecs.create_cluster(clusterName="prod")
    for image in ("nginx:1.26", "nginx:1.27"):
        await ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "app", "image": image, "memory": 64}]
        )
    await ecs.create_service(
        cluster="prod", serviceName="web", taskDefinition="web:1", desiredCount=1
    )
    await ecs.describe_services(cluster="prod", services=["web"])
    await sim.advance(600)
    await ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")


async def described(ecs: ECSClient) -> dict[str, Any]:
    answer = await ecs.describe_services(cluster="prod", services=["web"])
    return dict(answer)


async def test_stale_answer_is_the_service_as_it_was(sim: Simulator, ecs: ECSClient) -> None:
    """ "Eventual consistency" (Amazon ECS API reference): a read after UpdateService can still
    show the service before it."""
    await deploy_two_revisions(sim, ecs)
    sim.add_rule({"operation": "DescribeServices", "error": "stale", "seconds": 300, "count": 1})
    stale = (await described(ecs))["services"][0]
    assert stale["taskDefinition"].endswith(":1")
    assert len(stale["deployments"]) == 1
    fresh = (await described(ecs))["services"][0]
    assert fresh["taskDefinition"].endswith(":2")
    assert len(fresh["deployments"]) == 2


async def test_stale_answer_older_than_history_is_the_oldest(
    sim: Simulator, ecs: ECSClient
) -> None:
    """Asked for a time before the service existed, the stale answer is the oldest kept."""
    await deploy_two_revisions(sim, ecs)
    sim.add_rule({"operation": "DescribeServices", "error": "stale", "seconds": 86_400})
    stale = (await described(ecs))["services"][0]
    assert stale["taskDefinition"].endswith(":1")
    assert stale["deployments"][0]["runningCount"] == 0


async def test_missing_answer_reports_the_service_missing(sim: Simulator, ecs: ECSClient) -> None:
    """ "Eventual consistency": a service just created can be MISSING for a moment."""
    await deploy_two_revisions(sim, ecs)
    sim.add_rule({"operation": "DescribeServices", "error": "missing", "count": 1})
    answer = await described(ecs)
    arn = (await described(ecs))["services"][0]["serviceArn"]
    assert answer["services"] == []
    assert answer["failures"] == [{"arn": arn, "reason": "MISSING"}]


async def test_stale_probability_and_count_spend_like_other_faults(
    sim: Simulator, ecs: ECSClient
) -> None:
    """count=2: two stale answers, then the current one."""
    await deploy_two_revisions(sim, ecs)
    sim.add_rule({"operation": "DescribeServices", "error": "stale", "seconds": 300, "count": 2})
    revisions = [(await described(ecs))["services"][0]["taskDefinition"] for _ in range(3)]
    assert [revision.rsplit(":", 1)[1] for revision in revisions] == ["1", "1", "2"]


def test_history_keeps_only_changed_answers() -> None:
    """An identical answer is not kept twice; the newest at or before the instant wins."""
    history = ServiceAnswerHistory(window=3600)
    first = {"services": [{"serviceArn": "arn:s", "desiredCount": 1}]}
    second = {"services": [{"serviceArn": "arn:s", "desiredCount": 2}]}
    history.record("DescribeServices", first, now=10.0)
    history.record("DescribeServices", first, now=20.0)
    history.record("UpdateService", {"service": second["services"][0]}, now=30.0)
    assert history.as_of("arn:s", 25.0) == {"serviceArn": "arn:s", "desiredCount": 1}
    assert history.as_of("arn:s", 30.0) == {"serviceArn": "arn:s", "desiredCount": 2}
    assert history.as_of("arn:s", 0.0) == {"serviceArn": "arn:s", "desiredCount": 1}
    assert history.as_of("arn:other", 30.0) is None


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"operation": "DescribeTasks", "error": "stale", "seconds": 5}, "DescribeServices"),
        ({"operation": "*", "error": "missing"}, "DescribeServices"),
        ({"operation": "DescribeServices", "error": "stale"}, "seconds"),
    ],
)
def test_consistency_rules_are_for_describe_services(
    rule: dict[str, object], complaint: str
) -> None:
    """stale and missing apply to DescribeServices only; stale needs its age in seconds."""
    with pytest.raises(ValueError, match=complaint):
        parse_fault_rule(rule, operations=frozenset({"DescribeServices", "DescribeTasks"}))


def test_no_answer_is_kept_while_no_stale_rule_exists() -> None:
    """Without a stale rule (window 0), answering DescribeServices keeps nothing."""
    history = ServiceAnswerHistory()
    for second in range(100):
        service = {"serviceArn": "arn:s", "runningCount": second}
        history.record("DescribeServices", {"services": [service]}, now=float(second))
    assert history.kept() == 0


def test_kept_answers_are_bounded_by_the_window() -> None:
    """Only answers within the window are kept, plus the one current at its start."""
    history = ServiceAnswerHistory(window=60)
    for second in range(0, 1000, 5):
        service = {"serviceArn": "arn:s", "runningCount": second}
        history.record("DescribeServices", {"services": [service]}, now=float(second))
    assert history.kept() == 60 // 5 + 1
    assert history.as_of("arn:s", 995.0 - 60) == {"serviceArn": "arn:s", "runningCount": 935}


async def test_a_stale_rule_starts_keeping_answers_for_its_seconds() -> None:
    """A simulator without history keeps answers once a stale rule exists, and serves them."""
    async with Simulator(speed=0, seed=7) as fresh:
        server = fresh._server  # what the simulator kept is not part of its public surface
        async with new_session().client("ecs", **fresh.client_kwargs()) as client:
            await deploy_two_revisions(fresh, client)
            assert server.answers.kept() == 0
            fresh.add_rule(
                {"operation": "DescribeServices", "error": "stale", "seconds": 300, "count": 1}
            )
            await client.describe_services(cluster="prod", services=["web"])
            assert server.answers.kept() == 1
            await fresh.advance(400)
            await client.update_service(cluster="prod", service="web", taskDefinition="web:1")
            fresh.add_rule(
                {"operation": "DescribeServices", "error": "stale", "seconds": 300, "count": 1}
            )
            answer = await client.describe_services(cluster="prod", services=["web"])
    assert answer["services"][0]["taskDefinition"].endswith(":2")
