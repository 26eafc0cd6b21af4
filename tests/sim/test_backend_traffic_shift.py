"""BLUE_GREEN, LINEAR and CANARY service deployments: lifecycle stages, traffic weights, bake
time, lifecycle hooks and their rollbacks, as DescribeServiceDeployments and DescribeServices
show them."""

from __future__ import annotations

from typing import Any

from ecsdeploy.sim._dynamics.timings import Timings
from tests.sim.backend_fixtures import Sim

HOOK = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test"


def _blue_green(sim: Sim, strategy: str = "BLUE_GREEN", **config: Any) -> str:
    """A steady service on web:1 switched to `strategy`; returns the new revision web:2."""
    sim.create_service(sim.register("myorg/web:1"), desired=2, circuit_breaker=True, rollback=True)
    sim.advance(120)
    sim.update(deploymentConfiguration={"strategy": strategy, **config})
    return sim.register("myorg/web:2")


def _record(sim: Sim) -> dict[str, Any]:
    """The newest service deployment, described."""
    brief = sim.call("ListServiceDeployments", cluster="prod", service="webapp")[
        "serviceDeployments"
    ][0]
    described = sim.call(
        "DescribeServiceDeployments", serviceDeploymentArns=[brief["serviceDeploymentArn"]]
    )
    record: dict[str, Any] = described["serviceDeployments"][0]
    return record


def _stages(sim: Sim, *, limit: float = 3600.0) -> list[tuple[str, str, float, int, int]]:
    """(status, lifecycleStage, green production weight, green running, blue running) at every
    change, advancing one simulated second at a time until the record is finished."""
    seen: list[tuple[str, str, float, int, int]] = []
    for _ in sim.steps(limit):
        record = _record(sim)
        green = record["targetServiceRevision"]
        blue = sum(r["runningTaskCount"] for r in record["sourceServiceRevisions"])
        entry = (
            record["status"],
            record.get("lifecycleStage", ""),
            green.get("requestedProductionTrafficWeight", -1.0),
            green["runningTaskCount"],
            blue,
        )
        if not seen or seen[-1][:3] != entry[:3]:
            seen.append(entry)
        if record["status"] not in ("PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED") and (
            record["status"] != "ROLLBACK_IN_PROGRESS"
        ):
            return seen
    raise AssertionError(f"the service deployment did not finish: {seen[-3:]}")


def test_blue_green_goes_through_every_stage_and_keeps_blue_until_clean_up() -> None:
    """BLUE_GREEN: the documented stages in order, green at full size before any traffic, blue
    running through BAKE_TIME, then drained and the deployment SUCCESSFUL."""
    sim = Sim()
    new = _blue_green(sim, bakeTimeInMinutes=2)
    deployment_id = sim.update(taskDefinition=new)
    seen = _stages(sim)
    stages = [stage for _, stage, *_ in seen]
    assert list(dict.fromkeys(stages)) == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    by_stage = {stage: entry for entry in seen for stage in [entry[1]]}
    assert by_stage["POST_SCALE_UP"][3:] == (2, 2)  # green at full size, blue untouched
    assert by_stage["POST_SCALE_UP"][2] == 0.0
    assert by_stage["BAKE_TIME"][2:] == (100.0, 2, 2)  # all traffic on green, blue kept
    assert seen[-1][0] == "SUCCESSFUL"
    assert _record(sim)["sourceServiceRevisions"][0]["runningTaskCount"] == 0
    deployment = sim.deployment(deployment_id)
    assert deployment is not None
    assert deployment["rolloutState"] == "COMPLETED"


def test_blue_green_bake_time_is_honoured() -> None:
    """The deployment stays IN_PROGRESS in BAKE_TIME for bakeTimeInMinutes."""
    sim = Sim()
    new = _blue_green(sim, bakeTimeInMinutes=3)
    sim.update(taskDefinition=new)
    entered = None
    for elapsed in sim.steps(1200):
        record = _record(sim)
        if record.get("lifecycleStage") == "BAKE_TIME" and entered is None:
            entered = elapsed
        if record.get("lifecycleStage") == "CLEAN_UP":
            assert entered is not None
            assert elapsed - entered >= 180
            return
    raise AssertionError("never reached CLEAN_UP")


def test_linear_shifts_production_traffic_step_by_step() -> None:
    """LINEAR: one PRODUCTION_TRAFFIC_SHIFT step per stepPercent, stepBakeTimeInMinutes apart."""
    sim = Sim()
    new = _blue_green(
        sim, "LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}
    )
    sim.update(taskDefinition=new)
    seen = _stages(sim)
    weights = [weight for _, stage, weight, *_ in seen if stage == "PRODUCTION_TRAFFIC_SHIFT"]
    assert weights == [25.0, 50.0, 75.0, 100.0]
    assert seen[-1][0] == "SUCCESSFUL"


def test_canary_shifts_the_canary_percent_first() -> None:
    """CANARY: canaryPercent of production traffic, then after canaryBakeTimeInMinutes the rest."""
    sim = Sim()
    new = _blue_green(
        sim, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}
    )
    sim.update(taskDefinition=new)
    shifted_at: dict[float, float] = {}
    for elapsed in sim.steps(1200):
        record = _record(sim)
        weight = record["targetServiceRevision"].get("requestedProductionTrafficWeight", 0.0)
        if record.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT":
            shifted_at.setdefault(weight, elapsed)
        if record["status"] == "SUCCESSFUL":
            break
    assert sorted(shifted_at) == [10.0, 100.0]
    assert shifted_at[100.0] - shifted_at[10.0] >= 120


def test_a_failing_hook_rolls_back_to_blue() -> None:
    """A hook a rule makes fail: the deployment FAILED, the record ROLLBACK_* naming the hook and
    its stage, traffic back on blue, blue PRIMARY again, green drained."""
    sim = Sim()
    hooks = [
        {
            "hookTargetArn": HOOK,
            "roleArn": "arn:aws:iam::1:role/h",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
        }
    ]
    new = _blue_green(sim, lifecycleHooks=hooks, bakeTimeInMinutes=1)
    sim.backend.add_hook_rule({"hook_stage": "POST_TEST_TRAFFIC_SHIFT", "hook": HOOK})
    old_id = sim.service()["deployments"][0]["id"]
    sim.update(taskDefinition=new)
    seen = _stages(sim)
    assert "PRODUCTION_TRAFFIC_SHIFT" not in [stage for _, stage, *_ in seen[:-2]]
    record = _record(sim)
    assert record["status"] == "ROLLBACK_SUCCESSFUL"
    assert HOOK in record["rollback"]["reason"]
    assert "POST_TEST_TRAFFIC_SHIFT" in record["rollback"]["reason"]
    assert record["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    assert record["targetServiceRevision"]["runningTaskCount"] == 0
    service = sim.service()
    assert service["deployments"][0]["id"] == old_id
    assert service["taskDefinition"].endswith("web:1")
    assert any("lifecycle hook" in message for message in sim.messages())


def test_a_hook_without_a_rule_succeeds_after_its_answer_time() -> None:
    """A hook no rule matches answers SUCCEEDED: the deployment goes on and succeeds."""
    sim = Sim()
    hooks = [{"hookTargetArn": HOOK, "lifecycleStages": ["PRE_SCALE_UP", "POST_SCALE_UP"]}]
    new = _blue_green(sim, lifecycleHooks=hooks)
    sim.backend.add_hook_rule({"hook_stage": "POST_SCALE_UP", "hook": HOOK + "-other"})
    sim.update(taskDefinition=new)
    assert _stages(sim)[-1][0] == "SUCCESSFUL"


def test_stop_service_deployment_rolls_back_mid_lifecycle() -> None:
    """StopServiceDeployment(ROLLBACK) during BAKE_TIME: ROLLBACK_REQUESTED, then
    ROLLBACK_IN_PROGRESS and ROLLBACK_SUCCESSFUL, the service back on blue."""
    sim = Sim()
    new = _blue_green(sim, bakeTimeInMinutes=10)
    sim.update(taskDefinition=new)
    for _ in sim.steps(600):
        if _record(sim).get("lifecycleStage") == "BAKE_TIME":
            break
    arn = _record(sim)["serviceDeploymentArn"]
    sim.call("StopServiceDeployment", serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert _record(sim)["status"] == "ROLLBACK_REQUESTED"
    sim.advance(Timings().rollback_delay)
    assert _record(sim)["status"] == "ROLLBACK_IN_PROGRESS"
    assert _record(sim)["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    statuses = [status for status, *_ in _stages(sim)]
    assert statuses[-1] == "ROLLBACK_SUCCESSFUL"
    assert sim.service()["taskDefinition"].endswith("web:1")


def test_circuit_breaker_during_the_lifecycle_rolls_back() -> None:
    """Green tasks that crash trip the circuit breaker in SCALE_UP: ECS rolls back to blue,
    which never stopped serving."""
    sim = Sim()
    sim.backend.add_container_rule(
        {"image": "myorg/web:bad", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    sim.create_service(sim.register("myorg/web:1"), desired=2, circuit_breaker=True, rollback=True)
    sim.advance(120)
    sim.update(deploymentConfiguration={"strategy": "BLUE_GREEN"})
    sim.update(taskDefinition=sim.register("myorg/web:bad"))
    seen = _stages(sim)
    assert seen[-1][0] == "ROLLBACK_SUCCESSFUL"
    assert all(blue == 2 for *_, blue in seen[:-1])
    record = _record(sim)
    assert record["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert "circuit breaker" in record["rollback"]["reason"]


def test_first_deployment_of_a_blue_green_service_is_rolling() -> None:
    """Nothing completed yet (no blue): the service's first deployment has no lifecycle stage."""
    sim = Sim()
    sim.create_service(
        sim.register("myorg/web:1"), desired=1, deployment={"strategy": "BLUE_GREEN"}
    )
    sim.advance(120)
    record = _record(sim)
    assert record["status"] == "SUCCESSFUL"
    assert "lifecycleStage" not in record


def test_circuit_breaker_during_production_traffic_shift_rolls_back() -> None:
    """With resetOnHealthyTask off, green tasks that crash after becoming healthy trip the
    breaker while LINEAR shifts production traffic: traffic goes back to blue, rollback."""
    sim = Sim()
    sim.backend.add_container_rule(
        {"image": "myorg/web:late-crash", "behavior": "crash", "exit_code": 1, "after": 90}
    )
    sim.create_service(sim.register("myorg/web:1"), desired=2, circuit_breaker=True, rollback=True)
    sim.advance(120)
    breaker = {"enable": True, "rollback": True, "resetOnHealthyTask": False}
    sim.update(
        deploymentConfiguration={
            "strategy": "LINEAR",
            "linearConfiguration": {"stepPercent": 20.0, "stepBakeTimeInMinutes": 1},
            "deploymentCircuitBreaker": breaker,
        }
    )
    sim.update(taskDefinition=sim.register("myorg/web:late-crash"))
    seen = _stages(sim)
    shifting = [entry for entry in seen if entry[1] == "PRODUCTION_TRAFFIC_SHIFT"]
    assert shifting, seen
    assert shifting[0][2] > 0.0  # some production traffic had gone to green
    assert seen[-1][0] == "ROLLBACK_SUCCESSFUL"
    record = _record(sim)
    assert record["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert record["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    assert sim.service()["taskDefinition"].endswith("web:1")


def test_reconcile_service_comes_first_with_two_active_revisions() -> None:
    """A deployment started while an earlier one still has tasks begins with RECONCILE_SERVICE."""
    sim = Sim()
    new = _blue_green(sim, bakeTimeInMinutes=10)
    sim.update(taskDefinition=new)
    for _ in sim.steps(300):
        if _record(sim).get("lifecycleStage") == "BAKE_TIME":
            break
    sim.update(taskDefinition=sim.register("myorg/web:3"))
    assert _record(sim)["lifecycleStage"] == "RECONCILE_SERVICE"
    assert _stages(sim)[-1][0] == "SUCCESSFUL"
    assert sim.service()["taskDefinition"].endswith("web:3")
