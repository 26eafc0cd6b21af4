"""The built-in health checks and how verdicts combine, on hand-built observations."""

from __future__ import annotations

import pytest

from ecsdeploy import Status, Verdict
from ecsdeploy.checks import (
    CircuitBreakerCheck,
    RolloutStateCheck,
    SteadyStateCheck,
    StoppedTasksCheck,
    circuit_breaker_threshold,
    combine,
    evaluate_checks,
)
from ecsdeploy.testing import (
    OLD_DEPLOYMENT_ID,
    OUR_DEPLOYMENT_ID,
    deployment,
    observation,
    stopped_task,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("desired", "threshold"),
    [(0, 3), (1, 3), (4, 3), (6, 3), (7, 4), (10, 5), (25, 13), (800, 200)],
)
def test_circuit_breaker_threshold_follows_the_documented_formula(
    desired: int, threshold: int
) -> None:
    """min(200, max(3, ceil(0.5 * desired)))."""
    assert circuit_breaker_threshold(desired) == threshold


async def test_rollout_state_completed_is_healthy_and_failed_fails() -> None:
    """COMPLETED → HEALTHY; FAILED → FAILED with ECS's own reason."""
    check = RolloutStateCheck()
    assert (
        await check.evaluate(observation(deployment(rollout="COMPLETED")))
    ).status is Status.HEALTHY
    failed = await check.evaluate(observation(deployment(rollout="FAILED", reason="tasks failed")))
    assert failed == Verdict.failed("tasks failed")


async def test_missing_rollout_state_is_unknown_not_failure() -> None:
    """Behind a Classic Load Balancer ECS reports no rolloutState: no opinion."""
    verdict = await RolloutStateCheck().evaluate(observation(deployment(rollout=None)))
    assert verdict.status is Status.UNKNOWN


async def test_circuit_breaker_fails_on_breaker_reason_and_on_our_failure_event() -> None:
    """The breaker's rolloutStateReason, or an ECS event about our deployment, fails it."""
    check = CircuitBreakerCheck()
    by_reason = observation(
        deployment(
            rollout="FAILED", reason="ECS deployment circuit breaker: tasks failed to start."
        )
    )
    assert (await check.evaluate(by_reason)).status is Status.FAILED
    by_event = observation(
        deployment(),
        events=[
            f"(service web) (deployment {OUR_DEPLOYMENT_ID}) "
            "deployment failed: tasks failed to start."
        ],
    )
    assert (await check.evaluate(by_event)).status is Status.FAILED
    other = observation(
        deployment(),
        events=[
            f"(service web) (deployment {OLD_DEPLOYMENT_ID}) "
            "deployment failed: tasks failed to start."
        ],
    )
    assert (await check.evaluate(other)).status is Status.UNKNOWN


async def test_stopped_tasks_fail_at_the_breaker_threshold() -> None:
    """Two crashes of a desired-4 deployment are no verdict yet; the third fails it."""
    check = StoppedTasksCheck()
    two = observation(deployment(desired=4), stopped_tasks=[stopped_task(n=1), stopped_task(n=2)])
    three = observation(deployment(desired=4), stopped_tasks=[stopped_task(n=i) for i in range(3)])
    assert (await check.evaluate(two)).status is Status.UNKNOWN
    assert "2/3 tasks failed" in (await check.evaluate(two)).reason
    verdict = await check.evaluate(three)
    assert verdict.status is Status.FAILED
    assert "3 tasks failed (threshold 3)" in verdict.reason
    assert "web: exit 1" in verdict.reason


async def test_ecs_failed_task_count_fails_before_the_tasks_have_stopped() -> None:
    """ECS's failedTasks at the threshold fails the deployment while those tasks still stop."""
    check = StoppedTasksCheck()
    stopping = observation(deployment(desired=4, failed=3), stopped_tasks=[stopped_task(n=1)])
    verdict = await check.evaluate(stopping)
    assert verdict.status is Status.FAILED
    assert "3 tasks failed (threshold 3)" in verdict.reason
    assert "web: exit 1" in verdict.reason
    unlisted = await check.evaluate(observation(deployment(desired=4, failed=3)))
    assert unlisted.status is Status.FAILED
    assert unlisted.reason == "3 tasks failed (threshold 3)"
    below = await check.evaluate(observation(deployment(desired=4, failed=2)))
    assert below.status is Status.UNKNOWN


async def test_missing_image_fails_at_once() -> None:
    """CannotPullContainerError for an image that does not exist cannot fix itself."""
    pull = stopped_task(
        reason="CannotPullContainerError: pull image manifest has been retried 5 time(s): "
        "failed to resolve ref docker.io/org/web:nope: not found",
        code="TaskFailedToStart",
        exit_code=None,
    )
    verdict = await StoppedTasksCheck().evaluate(
        observation(deployment(desired=10), stopped_tasks=[pull])
    )
    assert verdict.status is Status.FAILED
    assert verdict.reason.startswith("unrecoverable: task ")
    assert "CannotPullContainerError" in verdict.reason


async def test_tasks_stopped_by_the_scheduler_are_not_failures() -> None:
    """Scale-in and replacement stops carry ServiceSchedulerInitiated and count for nothing."""
    scaled_in = stopped_task(
        reason="Scaling activity initiated by (deployment x)",
        code="ServiceSchedulerInitiated",
        exit_code=0,
    )
    verdict = await StoppedTasksCheck().evaluate(
        observation(deployment(), stopped_tasks=[scaled_in])
    )
    assert verdict.status is Status.UNKNOWN


async def test_steady_state_needs_ours_primary_alone_and_at_desired_count() -> None:
    """Old tasks still draining, or pending tasks, are not yet steady."""
    check = SteadyStateCheck()
    draining = observation(deployment(), deployment(OLD_DEPLOYMENT_ID, status="ACTIVE", running=1))
    assert (await check.evaluate(draining)).status is Status.PROGRESSING
    pending = observation(deployment(running=1, pending=1))
    assert (await check.evaluate(pending)).status is Status.PROGRESSING
    steady = observation(deployment(running=2, desired=2))
    assert (await check.evaluate(steady)) == Verdict.healthy("2/2 running")
    demoted = observation(deployment(status="ACTIVE"), deployment(OLD_DEPLOYMENT_ID))
    assert (await check.evaluate(demoted)).status is Status.FAILED


def test_combine_any_failure_wins_and_unknown_is_no_opinion() -> None:
    """FAILED beats everything; UNKNOWN neither blocks nor fails; all HEALTHY is healthy."""
    healthy = Verdict(Status.HEALTHY, "ok", "a")
    unknown = Verdict(Status.UNKNOWN, "", "b")
    failed = Verdict(Status.FAILED, "boom", "c")
    progressing = Verdict(Status.PROGRESSING, "wait", "d")
    assert combine([healthy, unknown]).status is Status.HEALTHY
    assert combine([healthy, progressing]).status is Status.PROGRESSING
    assert combine([healthy, failed, progressing]) == failed
    assert combine([unknown]).status is Status.PROGRESSING


async def test_a_check_that_raises_is_that_checks_failure() -> None:
    """A broken user check fails the deployment with its name, not the ecs_deployer."""

    class Broken:
        name = "broken-probe"

        async def evaluate(self, observation: object) -> Verdict:
            raise ConnectionError("probe endpoint refused")

    verdicts = await evaluate_checks([RolloutStateCheck(), Broken()], observation(deployment()))
    assert verdicts[1].status is Status.FAILED
    assert verdicts[1].check == "broken-probe"
    assert "ConnectionError: probe endpoint refused" in verdicts[1].reason


async def test_failures_seen_before_a_scale_in_to_zero_still_fail_at_the_threshold() -> None:
    """Three crashes, then desired 0: the breaker's threshold (3) still fails the deployment."""
    crashes = [stopped_task(n=n) for n in range(3)]
    scaled_in = observation(
        deployment(running=0, desired=0, rollout="COMPLETED"), stopped_tasks=crashes
    )
    verdict = await StoppedTasksCheck().evaluate(scaled_in)
    assert verdict.status is Status.FAILED


async def test_interruptions_do_not_count_towards_the_threshold() -> None:
    """Spot interruptions and terminations are not the deployment's failures."""
    interrupted = [
        stopped_task("Your Spot Task was interrupted.", "SpotInterruption", None, n)
        for n in range(5)
    ]
    verdict = await StoppedTasksCheck().evaluate(
        observation(deployment(), stopped_tasks=interrupted)
    )
    assert verdict.status is Status.UNKNOWN
    assert verdict.reason == ""
