"""One-off tasks in the live view and the release summary, rendered to a file-backed console."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from ecsdeploy import (
    DeployEvent,
    EventKind,
    OneOffTask,
    Phase,
    Release,
    ReleaseResult,
    ServiceOutcome,
    Stage,
    Target,
    TaskOutcome,
    TaskState,
)
from ecsdeploy._front.live import LiveView
from ecsdeploy._front.summary import release_summary
from ecsdeploy.testing import CLUSTER

MIGRATE = OneOffTask("migrate", cluster=CLUSTER, task_definition_of="api")
ROW = f"{CLUSTER}/task:migrate"


def render(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=160, force_terminal=False)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def task_event(phase: Phase, message: str, at: float, **data: object) -> DeployEvent:
    return DeployEvent(
        EventKind.TASK,
        Target(CLUSTER, "task:migrate"),
        phase,
        message,
        at,
        {"task": "migrate", **data},
    )


def test_a_running_task_has_a_row_with_its_status() -> None:
    """While it runs, the task's row shows its ECS status and elapsed time."""
    view = LiveView([Target(CLUSTER, "api")], clock=lambda: 112.0)
    view(task_event(Phase.PREFLIGHT, "starting", 100.0, status="STARTING"))
    view(task_event(Phase.WATCH, "running", 104.0, status="RUNNING"))
    row = view.row(ROW)
    assert (row.phase, row.rollout_state) == (Phase.WATCH, "RUNNING")
    out = render(view)
    assert ROW in out
    assert "12.0s" in out


def test_a_finished_task_row_shows_its_exit_code_and_reason() -> None:
    """At the end the row shows the exit code and the stop reason."""
    view = LiveView(clock=lambda: 130.0)
    view(task_event(Phase.WATCH, "running", 100.0, status="RUNNING"))
    reason = "task 1a2b: Essential container in task exited (nginx: exit 1)"
    view(task_event(Phase.FAILED, reason, 120.0, status="FAILED", exit_codes={"nginx": 1}))
    row = view.row(ROW)
    assert (row.phase, row.rollout_state, row.latest) == (Phase.FAILED, "exit 1", reason)
    assert row.elapsed(130.0) == 20.0


def test_the_release_summary_lists_a_stage_task_before_its_services() -> None:
    """The summary has the task's row (state, reason) above the services it gated."""
    api = Target(CLUSTER, "api")
    release = Release([Stage("apps", [api], tasks=[MIGRATE])])
    failed = TaskOutcome(
        MIGRATE,
        "apps",
        TaskState.FAILED,
        "task 1a2b: Essential container in task exited (nginx: exit 1)",
        exit_codes={"nginx": 1},
        started_at=100.0,
        finished_at=125.0,
    )
    result = ReleaseResult(
        release,
        (ServiceOutcome(api, "apps", None, skipped_because="task 'migrate' failed"),),
        started_at=100.0,
        finished_at=126.0,
        tasks=(failed,),
    )
    out = render(release_summary(result))
    assert out.index(ROW) < out.index(f"{CLUSTER}/api ")
    assert "25.0s" in out
    assert "nginx: exit 1" in out
    assert "not started: task 'migrate' failed" in out
    assert result.exit_code == 1
