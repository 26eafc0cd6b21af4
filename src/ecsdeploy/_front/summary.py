"""Final summary tables: service, outcome, duration, reason — what a person reads last."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from ecsdeploy._models import Target
from ecsdeploy._release.model import ReleaseResult
from ecsdeploy._release.task_runner import task_target
from ecsdeploy._release.tasks import TaskState
from ecsdeploy._result import DeployResult

__all__ = ["deploy_summary", "release_summary"]

_OUTCOME_STYLES = {
    "SUCCEEDED": "bold green",
    "ROLLED_BACK": "bold yellow",
    "FAILED": "bold red",
    "ROLLBACK_FAILED": "bold white on red",
    "SUPERSEDED": "magenta",
    "SKIPPED": "dim",
    "STOPPED": "bold red",
}


def _outcome(state: str, rolled_back_by: str | None = None) -> Text:
    label = f"{state} (by {rolled_back_by})" if rolled_back_by else state
    return Text(label, style=_OUTCOME_STYLES.get(state, ""))


def _table(title: str, *, with_stage: bool) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("service", no_wrap=True)
    table.add_column("where", no_wrap=True)  # account/region
    if with_stage:
        table.add_column("stage", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold")
    return table


def _where(target: Target, default_region: str | None) -> str:
    """The row's account ("caller": the caller's own credentials) and region."""
    return f"{target.account or 'caller'}/{target.region or default_region or '-'}"


def deploy_summary(
    results: Sequence[DeployResult], *, title: str = "summary", default_region: str | None = None
) -> Table:
    table = _table(title, with_stage=False)
    for result in results:
        table.add_row(
            str(result.target),
            _where(result.target, default_region),
            _outcome(result.outcome.value, result.rolled_back_by),
            f"{result.duration:.1f}s",
            result.reason or "-",
        )
    return table


def release_summary(result: ReleaseResult) -> Table:
    table = _table(
        f"release {result.release.name}: {result.outcome.value} in {result.duration:.1f}s",
        with_stage=True,
    )
    for stage in result.release.stages:
        # A stage's one-off tasks (``cluster/task:NAME``) ran before its services.
        for task in (t for t in result.tasks if t.stage == stage.name):
            ran = task.state is not TaskState.SKIPPED
            table.add_row(
                str(task.task),
                _where(task_target(task.task), result.default_region),
                task.stage,
                _outcome(task.state.value),
                f"{task.duration:.1f}s" if ran else "-",
                task.reason or "-",
            )
        for service in (s for s in result.services if s.stage == stage.name):
            deployed = service.rollback or service.result
            table.add_row(
                str(service.target),
                _where(service.target, result.default_region),
                service.stage,
                _outcome(service.state, service.result.rolled_back_by if service.result else None),
                f"{deployed.duration:.1f}s" if deployed else "-",
                service.reason or "-",
            )
    return table
