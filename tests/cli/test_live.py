"""The live view and the summary tables, rendered to a file-backed console."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from rich.console import Console, RenderableType

from ecsdeploy import (
    Deployer,
    DeployEvent,
    DeployResult,
    EventKind,
    ImageChange,
    Outcome,
    Phase,
    Target,
)
from ecsdeploy._front.live import LiveView
from ecsdeploy._front.presenter import LivePresenter
from ecsdeploy._front.summary import deploy_summary
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices

pytestmark = pytest.mark.anyio

WEB = Target(CLUSTER, "web")
API = Target(CLUSTER, "api")


def render(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=120, force_terminal=False)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def event(
    kind: str,
    phase: Phase,
    message: str = "",
    *,
    target: Target = WEB,
    at: float = 100.0,
    **data: object,
) -> DeployEvent:
    return DeployEvent(EventKind(kind), target, phase, message, at, data)


def test_rows_exist_for_every_target_before_any_event() -> None:
    """Each service has its row, in PREFLIGHT, from the start."""
    out = render(LiveView([WEB, API], clock=lambda: 100.0))
    assert f"{CLUSTER}/web" in out
    assert f"{CLUSTER}/api" in out
    assert out.count("PREFLIGHT") == 2


def test_events_update_phase_counts_elapsed_and_latest_message() -> None:
    """Progress fills rollout state and running/desired; a stopped task becomes the latest."""
    view = LiveView([WEB], clock=lambda: 112.5)
    view(event("phase", Phase.REGISTER, "REGISTER", at=100.0))
    view(event("phase", Phase.WATCH, "WATCH", at=101.0))
    view(event("progress", Phase.WATCH, "IN_PROGRESS", rollout_state="IN_PROGRESS",
               running=1, desired=3, pending=2, failed=1))  # fmt: skip
    stopped = "task 1a2b: Essential container in task exited (nginx: exit 1)"
    view(event("stopped_task", Phase.WATCH, stopped))
    out = render(view)
    row = view.row(f"{CLUSTER}/web")
    assert row.phase is Phase.WATCH
    assert (row.running, row.desired, row.pending, row.failed) == (1, 3, 2, 1)
    assert "IN_PROGRESS" in out
    assert "1/3 (2 pending, 1 failed)" in out
    assert "12.5s" in out
    assert "exit 1" in out


def test_a_terminal_phase_stops_the_clock_and_shows_its_reason() -> None:
    """ROLLED_BACK shows with its reason; elapsed is frozen at the terminal event."""
    view = LiveView([WEB], clock=lambda: 500.0)
    view(event("phase", Phase.WATCH, "WATCH", at=100.0))
    view(event("phase", Phase.ROLLBACK, "4 tasks failed (threshold 3)", at=104.0))
    view(event("phase", Phase.ROLLED_BACK, "4 tasks failed (threshold 3)", at=110.0))
    out = render(view)
    assert "ROLLED_BACK" in out
    assert "4 tasks failed (threshold 3)" in out
    assert "10.0s" in out
    assert view.row(f"{CLUSTER}/web").history == ["WATCH", "ROLLBACK", "ROLLED_BACK"]


def test_healthy_verdicts_do_not_hide_the_latest_news() -> None:
    """A progressing verdict is not news; a failed one is."""
    view = LiveView([WEB])
    view(event("service_event", Phase.WATCH, "(service web) has started 2 tasks"))
    view(event("verdict", Phase.WATCH, "1/2 running", status="PROGRESSING"))
    assert view.row(f"{CLUSTER}/web").latest == "(service web) has started 2 tasks"
    view(event("verdict", Phase.WATCH, "CannotPullContainerError", status="FAILED"))
    assert view.row(f"{CLUSTER}/web").latest == "CannotPullContainerError"


def test_an_event_for_an_unlisted_service_adds_its_row() -> None:
    """Services not known up front (a release's rollbacks) still get a row."""
    view = LiveView()
    view(event("phase", Phase.REGISTER, "REGISTER", target=API))
    assert "api" in render(view)


async def test_a_real_deployment_drives_the_view_and_the_summary(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Events from the Deployer fill the rows; the summary shows outcomes and reasons."""
    await ecs_services.create("good")
    await ecs_services.create("bad")
    ecs_simulator.add_rule(
        {"image": "myorg/nginx:crash-live", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    targets = [
        Target(CLUSTER, "good", [ImageChange("nginx", "myorg/nginx:2.0")]),
        Target(CLUSTER, "bad", [ImageChange("nginx", "myorg/nginx:crash-live")]),
    ]
    console = Console(file=io.StringIO(), width=120, force_terminal=False)
    presenter = LivePresenter(targets, console=console)
    ecs_deployer.subscribe(presenter)
    with presenter:
        results: Sequence[DeployResult] = await ecs_deployer.deploy_many(targets)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED, Outcome.ROLLED_BACK]
    live = render(presenter.view)
    assert "SUCCEEDED" in live
    assert "ROLLED_BACK" in live
    assert presenter.view.row(f"{CLUSTER}/good").history[-1] == "SUCCEEDED"
    assert presenter.view.row(f"{CLUSTER}/bad").history[-2:] == ["ROLLBACK", "ROLLED_BACK"]
    assert presenter.view.row(f"{CLUSTER}/good").desired == 2
    summary = render(deploy_summary(results))
    assert "ROLLED_BACK (by ecsdeploy)" in summary
    assert "tasks failed (threshold 3)" in summary
    assert "SUCCEEDED" in summary


def test_the_lifecycle_stage_of_a_blue_green_deployment_is_shown() -> None:
    """A lifecycle_stage event puts the stage next to the rollout state."""
    view = LiveView([WEB], clock=lambda: 100.0)
    view(event("progress", Phase.WATCH, "IN_PROGRESS", rollout_state="IN_PROGRESS"))
    view(
        event(
            "lifecycle_stage", Phase.WATCH, "lifecycle stage BAKE_TIME", lifecycle_stage="BAKE_TIME"
        )
    )
    assert view.row(f"{CLUSTER}/web").lifecycle_stage == "BAKE_TIME"
    assert "IN_PROGRESS · BAKE_TIME" in render(view)
