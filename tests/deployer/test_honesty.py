"""Honest outcomes under ECS's real conditions (issue 9): eventually consistent reads, faults
during the rollback, failures left in place, other people's deployments."""

from __future__ import annotations

import anyio
import pytest

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeploySettings,
    Outcome,
    Phase,
    Release,
    Stage,
)
from ecsdeploy._taskdef.revision import REGISTRATION_TOKEN_TAG
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import (
    CLUSTER,
    POLL_INTERVAL,
    REGION,
    SPEED,
    EcsServices,
)
from tests._fixtures.scenario import CRASH, Lockstep, once_in, one_attempt_deployer, to
from tests.deployer.lossy_proxy import deployer_through, lossy_proxy
from tests.deployer.stuck_worker import api_and_stuck_worker

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "DescribeServices", "error": "missing", "count": 1},
        # More MISSING reads in a row than confirm an ending are still eventual consistency, not
        # a deleted service, while they span fewer than MISSING_POLLS poll intervals.
        {"operation": "DescribeServices", "error": "missing", "count": 4},
        {"operation": "DescribeServices", "error": "stale", "seconds": 600, "count": 2},
    ],
    ids=["missing", "missing-for-several-polls", "stale"],
)
async def test_one_bad_read_during_watch_does_not_end_a_crashing_deployment(
    ecs_deployer: Deployer,
    ecs_services: EcsServices,
    ecs_simulator: Simulator,
    fault: dict[str, object],
) -> None:
    """A MISSING or stale DescribeServices answer is no SUPERSEDED: the crash is rolled back."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    ecs_deployer.subscribe(once_in(Phase.WATCH, lambda: ecs_simulator.add_rule(fault)))
    # Polls far apart next to a request's time, however busy the machine: four MISSING reads
    # span about three intervals, well short of the twelve that make a service gone.
    settings = DeploySettings(timeout=30, poll_interval=0.05, rollback_timeout=30)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), settings=settings)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert await ecs_services.task_definition() == old


async def test_one_missing_answer_in_preflight_is_not_bad_input(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A service DescribeServices calls MISSING once is read again, then deployed."""
    await ecs_services.create()
    ecs_simulator.add_rule({"operation": "DescribeServices", "error": "missing", "count": 1})
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason


async def test_a_deleted_service_is_gone_only_after_agreeing_reads(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A service that stays MISSING ends the watch as gone (FAILED), nothing rolled back."""
    await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    ecs_deployer.subscribe(
        once_in(
            Phase.WATCH,
            lambda: ecs_simulator.add_rule({"operation": "DescribeServices", "error": "missing"}),
        )
    )
    result = await ecs_deployer.deploy(to("myorg/nginx:slow"), timeout=20)
    assert result.outcome is Outcome.FAILED
    assert "MISSING" in result.reason
    assert [t.phase for t in result.history][-2:] == [Phase.WATCH, Phase.FAILED]


async def test_fix_forward_after_a_failure_left_in_place(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A PRIMARY/FAILED deployment is settled: the next deploy runs, its rollback target is the
    newest COMPLETED revision."""
    old = await ecs_services.create(breaker=True, breaker_rollback=False)
    ecs_simulator.add_rule(CRASH)
    failed = await ecs_deployer.deploy(to("myorg/nginx:crash"), rollback=False)
    assert failed.outcome is Outcome.FAILED, failed.reason
    service = await ecs_services.describe()
    assert service["deployments"][0]["rolloutState"] == "FAILED"
    fixed = await ecs_deployer.deploy(to("myorg/nginx:2"), timeout=15)
    assert fixed.outcome is Outcome.SUCCEEDED, fixed.reason
    assert fixed.rollback_task_definition_arn == old
    assert any("newest COMPLETED" in note for note in fixed.notes)


async def test_fix_forward_that_fails_goes_back_to_the_newest_completed_revision(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Rolling back a fix-forward returns to what last worked, not to the failed revision."""
    old = await ecs_services.create(breaker=True, breaker_rollback=False)
    ecs_simulator.add_rule(CRASH)
    ecs_simulator.add_rule({**CRASH, "image": "myorg/nginx:crash2"})
    await ecs_deployer.deploy(to("myorg/nginx:crash"), rollback=False)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash2"), timeout=15)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert await ecs_services.task_definition() == old


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "UpdateService", "error": "ThrottlingException", "count": 20},
        {"operation": "DescribeServices", "error": "missing", "count": 6},
    ],
    ids=["throttled-update", "missing-reads"],
)
async def test_the_rollback_persists_through_faults(
    ecs_deployer: Deployer,
    ecs_services: EcsServices,
    ecs_simulator: Simulator,
    fault: dict[str, object],
) -> None:
    """Faults longer than one retry budget delay the rollback; they do not end it."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(fault)))
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert await ecs_services.task_definition() == old


async def test_the_rollback_is_sent_while_reads_fail(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A DescribeServices outage through the whole rollback: the rollback is still sent
    (StopServiceDeployment, which needs no read of the service)."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    outage = {"operation": "DescribeServices", "error": "ServerException"}
    ecs_deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(outage)))
    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=1)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"), settings=settings)
    ecs_simulator.clear_rules()
    assert result.outcome is Outcome.ROLLBACK_FAILED
    assert "StopServiceDeployment(ROLLBACK) of our service deployment was accepted" in (
        result.reason
    )
    assert "reads of the service failed" in result.reason
    assert await ecs_services.task_definition() == old


async def test_a_rollback_that_cannot_finish_says_what_to_run(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ROLLBACK_FAILED only at the rollback's deadline, with what failed and the exact command."""
    old = await ecs_services.create()
    ecs_simulator.add_rule(CRASH)
    outage = {"operation": "UpdateService", "error": "ServerException"}
    stop_outage = {"operation": "StopServiceDeployment", "error": "ServerException"}
    settings = DeploySettings(timeout=30, poll_interval=POLL_INTERVAL, rollback_timeout=1)
    # One attempt per call: the first failed UpdateService is on record well inside the
    # one-second deadline, however busy the machine (retried calls could outlast it).
    async with one_attempt_deployer(ecs_simulator, settings) as deployer:
        deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(outage)))
        deployer.subscribe(once_in(Phase.ROLLBACK, lambda: ecs_simulator.add_rule(stop_outage)))
        result = await deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.ROLLBACK_FAILED
    assert result.exit_code == 3
    assert "UpdateService to the rollback target failed" in result.reason
    assert (
        f"aws ecs update-service --region {REGION} --cluster {CLUSTER} --service webapp "
        f"--task-definition {old}" in result.reason
    )


async def test_a_deregistered_current_revision_is_copied_as_the_rollback_target(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The service's revision was deregistered: a lossless copy is the rollback target."""
    old = await ecs_services.create()
    await ecs_services.ecs.deregister_task_definition(taskDefinition=old)
    ecs_simulator.add_rule(CRASH)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    copy = result.rollback_task_definition_arn
    assert copy is not None
    assert copy != old
    assert any("copy" in note for note in result.notes)
    assert await ecs_services.task_definition() == copy
    described = await ecs_services.ecs.describe_task_definition(
        taskDefinition=copy, include=["TAGS"]
    )
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "myorg/nginx:1.0"
    tags = {t["key"]: t["value"] for t in described["tags"]}
    assert tags.pop(REGISTRATION_TOKEN_TAG)  # the idempotency token of this registration
    assert tags == {"team": "web"}


async def test_a_deregistered_current_revision_needs_no_copy_without_rollback(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """With rollback disabled the deregistered revision is not copied."""
    old = await ecs_services.create()
    await ecs_services.ecs.deregister_task_definition(taskDefinition=old)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), rollback=False)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert len(await ecs_services.revisions()) == 1
    assert result.notes == ()


async def test_a_service_that_cannot_roll_is_refused(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """minimumHealthyPercent 100 with maximumPercent 100: exit 2, nothing changed, which
    setting to change."""
    old = await ecs_services.create(minimum_healthy=100, maximum=100)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.FAILED
    assert result.exit_code == 2
    assert not result.changed
    assert "maximumPercent" in result.reason
    assert await ecs_services.revisions() == [old]
    assert len((await ecs_services.describe())["deployments"]) == 1


async def test_a_service_with_no_tasks_rolls_even_at_100_100(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """Desired count 0 leaves nothing to keep: the deployment runs and says no task ran."""
    await ecs_services.create(desired=0, minimum_healthy=100, maximum=100)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert "no task ran the new revision" in result.reason


@pytest.mark.parametrize("stop_code", ["SpotInterruption", "TerminationNotice"])
async def test_interruptions_are_not_failures(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator, stop_code: str
) -> None:
    """Tasks AWS takes back are reported, and do not fail a healthy deployment."""
    await ecs_services.create(desired=2)
    ecs_simulator.add_rule(
        {
            "image": "myorg/nginx:2",
            "behavior": "interruption",
            "stop_code": stop_code,
            "after": 1,
            "count": 4,
        }
    )
    reported: list[DeployEvent] = []
    ecs_deployer.subscribe(lambda e: reported.append(e) if e.kind == "stopped_task" else None)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), bake=0.5)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert len([t for t in result.stopped_tasks if t.stop_code == stop_code]) >= 3
    assert {e.data["stop_kind"] for e in reported} == {"interruption"}


async def test_an_aws_outage_before_any_change_is_not_bad_input(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ServerException in PREFLIGHT: exit 1, "nothing changed", with the AWS error."""
    old = await ecs_services.create()
    ecs_simulator.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert result.outcome is Outcome.FAILED
    assert result.exit_code == 1
    assert "nothing changed" in result.reason
    assert "DescribeServices" in result.reason
    ecs_simulator.clear_rules()
    assert await ecs_services.revisions() == [old]


async def test_zero_desired_tasks_say_no_task_ran(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Desired count 0 succeeds with a reason saying no task ran the new revision."""
    await ecs_services.create(desired=0)
    ecs_simulator.add_rule(CRASH)
    result = await ecs_deployer.deploy(to("myorg/nginx:crash"))
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert "no task ran the new revision" in result.reason


async def test_a_scale_in_to_zero_mid_watch_says_what_crashed(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Scaled to 0 after a crash: SUCCEEDED, saying no task runs the revision and what crashed."""
    await ecs_services.create(desired=2)
    # Replacements take another 30 s to crash: the scale-in lands before a third failure.
    ecs_simulator.add_rule({**CRASH, "after": 30})
    # Simulated time moves 5 s per poll and stops when the deployer sees the first crash, so
    # the scale-in lands a known simulated moment after it, however busy the machine is.
    clock = Lockstep(ecs_simulator)
    crashed = anyio.Event()

    def on_crash(event: DeployEvent) -> None:
        if event.kind == "stopped_task":
            clock.hold()
            crashed.set()

    ecs_deployer.subscribe(on_crash)
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:crash")))

    async with anyio.create_task_group() as group:
        group.start_soon(clock.run)
        group.start_soon(deploy)
        await crashed.wait()
        await ecs_services.ecs.update_service(cluster=CLUSTER, service="webapp", desiredCount=0)
        ecs_simulator.clock.speed = SPEED
    (result,) = results
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    assert "desired count is 0" in result.reason
    assert "that started failed" in result.reason
    crashes = [t for t in result.stopped_tasks if t.stop_code == "EssentialContainerExited"]
    assert len(crashes) == 2  # the first two; their replacements were stopped by the scale-in


async def test_a_manual_rollback_is_superseded_not_ecs(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Someone deploying the previous revision over ours is SUPERSEDED, never ECS's rollback."""
    old = await ecs_services.create()
    ecs_simulator.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 3600})
    watching = anyio.Event()
    ecs_deployer.subscribe(once_in(Phase.WATCH, watching.set))
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:slow"), timeout=20))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await watching.wait()
        await ecs_services.ecs.update_service(cluster=CLUSTER, service="webapp", taskDefinition=old)
    (result,) = results
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rolled_back_by is None
    assert await ecs_services.task_definition() == old


async def test_an_atomic_release_never_rolls_back_over_a_hotfix(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A hotfix deployed while a later stage runs stays; that service is SUPERSEDED."""
    _, stuck = await api_and_stuck_worker(ecs_services, ecs_simulator, worker_timeout=1)
    release = Release([Stage("one", [to("myorg/nginx:2", "api")]), Stage("two", [stuck])])
    worker_watching = anyio.Event()
    ecs_deployer.subscribe(
        lambda e: (
            worker_watching.set()
            if e.target.service == "worker" and e.kind == "phase" and e.phase is Phase.WATCH
            else None
        )
    )
    results = []

    async def run() -> None:
        results.append(await ecs_deployer.release(release))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await worker_watching.wait()
        hotfix = await ecs_services.ecs.register_task_definition(
            family="api",
            containerDefinitions=[{"name": "nginx", "image": "myorg/nginx:hotfix", "memory": 128}],
        )
        hotfix_arn = hotfix["taskDefinition"]["taskDefinitionArn"]
        await ecs_services.ecs.update_service(
            cluster=CLUSTER, service="api", taskDefinition=hotfix_arn
        )
    (result,) = results
    states = {s.target.service: s.state for s in result.services}
    assert states == {"api": "SUPERSEDED", "worker": "ROLLED_BACK"}, [
        s.reason for s in result.services
    ]
    assert await ecs_services.task_definition("api") == hotfix_arn
    assert "not rolled back" in result.by_service()[f"{CLUSTER}/api"].reason
    assert result.exit_code == 1


async def test_a_release_whose_validation_meets_an_aws_outage_exits_1(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ServerException while validating: not bad input; exit 1, nothing changed."""
    old = await ecs_services.create("api", desired=1)
    ecs_simulator.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    result = await ecs_deployer.release(Release([Stage("one", [to("myorg/nginx:2", "api")])]))
    ecs_simulator.clear_rules()
    assert result.exit_code == 1
    assert result.error is not None
    assert "nothing changed" in result.error
    assert "ServerException" in result.error or "DescribeServices" in result.error
    assert await ecs_services.revisions("api") == [old]


async def test_a_registration_whose_answer_is_lost_registers_one_revision(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """RegisterTaskDefinition carried out but its answer lost: retried without a duplicate."""
    old = await ecs_services.create()
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"RegisterTaskDefinition": 1}) as proxy,
        deployer_through(proxy) as ecs_deployer,
    ):
        result = await ecs_deployer.deploy(to("myorg/nginx:2"))
    assert proxy.lost == 1
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    revisions = await ecs_services.revisions()
    assert len(revisions) == 2, revisions
    assert revisions[0] == old
    assert await ecs_services.task_definition() == revisions[1]


async def test_a_manual_rollback_after_ecs_failed_ours_is_not_credited_to_ecs(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS failed ours (its rollback off), then a human deployed the previous revision:
    SUPERSEDED, not "rolled back by ECS"."""
    old = await ecs_services.create(breaker=True, breaker_rollback=False)
    ecs_simulator.add_rule(CRASH)
    blind = {"operation": "DescribeServices", "error": "ServerException"}
    watching = anyio.Event()

    def go_blind() -> None:
        ecs_simulator.add_rule(blind)
        watching.set()

    ecs_deployer.subscribe(once_in(Phase.WATCH, go_blind))
    results = []

    async def deploy() -> None:
        results.append(await ecs_deployer.deploy(to("myorg/nginx:crash"), timeout=20))

    async with anyio.create_task_group() as group:
        group.start_soon(deploy)
        await watching.wait()
        await ecs_simulator.advance(300)  # ECS's breaker fails our deployment while we cannot look
        await ecs_services.ecs.update_service(cluster=CLUSTER, service="webapp", taskDefinition=old)
        ecs_simulator.clear_rules()
    (result,) = results
    assert result.outcome is Outcome.SUPERSEDED, result.reason
    assert result.rolled_back_by is None
    assert await ecs_services.task_definition() == old
