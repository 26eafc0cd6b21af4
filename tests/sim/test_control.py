"""The control API under /_sim/ and the Simulator's Python API drive the same simulator."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest

from ecsdeploy.sim import Simulator
from tests.sim.control_api import call

if TYPE_CHECKING:
    from types_aiobotocore_ecs import ECSClient

pytestmark = pytest.mark.anyio


async def test_health_is_ok_once_listening(sim: Simulator) -> None:
    """GET /_sim/health answers 200 as soon as the simulator is entered."""
    assert await call(sim, "GET", "/_sim/health") == (200, {"status": "ok"})


async def test_stats_count_calls_per_operation(sim: Simulator, ecs: ECSClient) -> None:
    """GET /_sim/stats counts API calls by operation and reports simulated now."""
    await ecs.list_clusters()
    await ecs.list_clusters()
    await ecs.create_cluster(clusterName="counted")
    status, stats = await call(sim, "GET", "/_sim/stats")
    assert status == 200
    assert stats["calls"] == {"CreateCluster": 1, "ListClusters": 2}
    assert stats["throttled"] == {}
    assert stats["now"] == pytest.approx(sim.clock.now(), abs=60)
    assert stats == {**sim.stats(), "now": stats["now"]}


async def test_advance_moves_simulated_time(sim: Simulator) -> None:
    """POST /_sim/advance jumps the clock by the given simulated seconds."""
    before = sim.clock.now()
    status, stats = await call(sim, "POST", "/_sim/advance", {"seconds": 3600})
    assert status == 200
    assert stats["now"] >= before + 3600
    await sim.advance(3600)
    assert sim.clock.now() >= before + 7200


async def test_speed_changes_the_clock_rate(sim: Simulator) -> None:
    """POST /_sim/speed sets how many simulated seconds pass per wall second."""
    assert (await call(sim, "POST", "/_sim/speed", {"speed": 0}))[0] == 200
    assert sim.clock.speed == 0
    frozen = sim.clock.now()
    assert sim.clock.now() == frozen


async def test_reset_forgets_state_rules_and_counters(sim: Simulator, ecs: ECSClient) -> None:
    """POST /_sim/reset: no clusters, no fault rules, no counts."""
    await ecs.create_cluster(clusterName="doomed")
    sim.add_rule({"operation": "ListClusters", "error": "ServerException"})
    assert (await call(sim, "POST", "/_sim/reset"))[0] == 200
    assert sim.stats()["calls"] == {}
    assert (await ecs.list_clusters())["clusterArns"] == []
    assert sim.stats()["calls"] == {"ListClusters": 1}


async def test_rules_are_added_and_cleared(sim: Simulator, ecs: ECSClient) -> None:
    """POST /_sim/rules adds an API fault rule; DELETE /_sim/rules removes every rule."""
    rule = {"operation": "ListClusters", "error": "ThrottlingException"}
    assert (await call(sim, "POST", "/_sim/rules", rule))[0] == 201
    with pytest.raises(ecs.exceptions.ClientError):
        await ecs.list_clusters()
    assert (await call(sim, "DELETE", "/_sim/rules"))[0] == 200
    assert (await ecs.list_clusters())["clusterArns"] == []


async def test_container_rule_goes_to_the_backend(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule with "image" is the backend's container rule, passed through unchanged."""
    received: list[object] = []
    monkeypatch.setattr(sim.backend, "add_container_rule", received.append)
    rule = {"image": "web:bad", "behavior": "crash"}
    assert (await call(sim, "POST", "/_sim/rules", rule))[0] == 201
    assert received == [rule]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/_sim/advance", {"seconds": "soon"}, id="advance-not-a-number"),
        pytest.param("POST", "/_sim/advance", {"seconds": -1}, id="advance-backwards"),
        pytest.param("POST", "/_sim/advance", {}, id="advance-missing-seconds"),
        pytest.param("POST", "/_sim/speed", {"speed": -2}, id="negative-speed"),
        pytest.param("POST", "/_sim/rules", {"what": "ever"}, id="rule-of-no-kind"),
        pytest.param("POST", "/_sim/rules", {"operation": "Nope", "error": "reset"}, id="bad-op"),
        pytest.param("POST", "/_sim/rules", {"operation": "*", "error": "boom"}, id="bad-error"),
        pytest.param(
            "POST",
            "/_sim/rules",
            {"operation": "*", "error": "reset", "probability": 2},
            id="bad-probability",
        ),
        pytest.param("POST", "/_sim/rules", [1], id="rule-not-object"),
    ],
)
async def test_bad_control_request_is_400_with_message(
    sim: Simulator, method: str, path: str, body: object
) -> None:
    """Bad control input gets a 400 and a JSON message; the simulator keeps serving."""
    status, answer = await call(sim, method, path, body)
    assert status == 400
    assert isinstance(answer["message"], str)
    assert answer["message"]
    assert (await call(sim, "GET", "/_sim/health"))[0] == 200


async def test_control_body_that_is_not_json_is_400(sim: Simulator) -> None:
    """A body that is not JSON is a bad control request, not a crash."""
    status, answer = await call(sim, "POST", "/_sim/advance", raw=b"{{")
    assert status == 400
    assert "JSON" in answer["message"]


async def test_client_kwargs_configure_an_aws_client(sim: Simulator) -> None:
    """client_kwargs() holds endpoint, region and dummy credentials for boto3/aioboto3."""
    assert sim.client_kwargs(region_name="eu-central-1") == {
        "endpoint_url": sim.endpoint_url,
        "region_name": "eu-central-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    assert sim.endpoint_url.startswith("http://127.0.0.1:")


async def test_simulator_opens_once() -> None:
    """Entering a simulator twice raises; its endpoint is unknown outside 'async with'."""
    simulator = Simulator()
    with pytest.raises(RuntimeError):
        _ = simulator.endpoint_url
    async with simulator:
        pass
    with pytest.raises(RuntimeError):
        await simulator.__aenter__()
    with pytest.raises(RuntimeError):
        _ = simulator.endpoint_url


async def test_bad_rule_through_python_api_raises_value_error(sim: Simulator) -> None:
    """sim.add_rule() validates like the control API does."""
    with pytest.raises(ValueError, match="count"):
        sim.add_rule({"operation": "*", "error": "reset", "count": 0})


async def crashing_deployment(sim: Simulator, ecs: ECSClient, *, breaker: bool) -> None:
    """web:1 steady on two tasks, then UpdateService to web:2, whose container exits at once."""
    await ecs.create_cluster(clusterName="prod")
    for image in ("nginx:1", "nginx:crash"):
        await ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "app", "image": image, "memory": 64}]
        )
    await ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition="web:1",
        desiredCount=2,
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker}
        },
    )
    await sim.advance(600)
    sim.add_rule({"image": "nginx:crash", "behavior": "crash", "exit_code": 1, "after": 5})
    await ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
    await sim.advance(900)


async def test_timeline_gives_when_failed_tasks_reached_the_threshold(
    sim: Simulator, ecs: ECSClient
) -> None:
    """GET /_sim/timeline: the crashing deployment reached its threshold after it was asked
    for, even with the breaker off, and ECS never rolled it back."""
    await crashing_deployment(sim, ecs, breaker=False)
    status, timeline = await call(sim, "GET", "/_sim/timeline")
    assert status == 200
    first, crashing = timeline["deployments"]
    assert first["taskDefinition"].endswith("web:1")
    assert first["thresholdReachedAt"] is None
    assert crashing["taskDefinition"].endswith("web:2")
    assert crashing["createdAt"] < crashing["thresholdReachedAt"] <= timeline["now"]
    assert crashing["rollbackStartedAt"] is None


async def test_timeline_gives_when_ecs_rolled_back(sim: Simulator, ecs: ECSClient) -> None:
    """With the breaker's rollback on, ECS's rollback starts once the threshold is reached."""
    await crashing_deployment(sim, ecs, breaker=True)
    crashing = sim.timeline()["deployments"][-1]
    assert crashing["status"] == "ROLLBACK_SUCCESSFUL"
    assert crashing["thresholdReachedAt"] <= crashing["rollbackStartedAt"]
    assert crashing["rollbackStartedAt"] < crashing["finishedAt"]


async def test_throttling_can_be_switched_on_and_off(sim: Simulator, ecs: ECSClient) -> None:
    """POST /_sim/throttle: on, a burst beyond the bucket is throttled; off, nothing is."""
    assert await call(sim, "POST", "/_sim/throttle", {"enabled": True}) == (200, {"status": "ok"})
    for index in range(25):  # the cluster-modify bucket holds 20
        with contextlib.suppress(ecs.exceptions.ClientError):
            await ecs.create_cluster(clusterName=f"c{index}")
    assert sim.stats()["throttled"].get("CreateCluster", 0) >= 5
    await call(sim, "POST", "/_sim/throttle", {"enabled": False})
    for index in range(25):
        await ecs.create_cluster(clusterName=f"d{index}")
    assert sim.stats()["calls"]["CreateCluster"] == 50


async def test_throttle_switch_must_be_a_boolean(sim: Simulator) -> None:
    """A throttle switch that is not true/false is a 400 that says so."""
    status, body = await call(sim, "POST", "/_sim/throttle", {"enabled": "yes"})
    assert status == 400
    assert "'enabled' must be true or false" in body["message"]
