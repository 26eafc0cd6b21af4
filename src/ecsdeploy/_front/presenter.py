"""How a front shows a deployment: a live table on a terminal, log lines everywhere else.

Both presenters are Deployer listeners; the commands hand them the results at the end and never
care which one they hold.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.live import Live
from structlog.typing import FilteringBoundLogger

from ecsdeploy._front.live import LiveView
from ecsdeploy._front.logs import LogFormat, configure_library_logging, default_log_format, lines
from ecsdeploy._front.summary import deploy_summary, release_summary
from ecsdeploy._models import Target
from ecsdeploy._release.model import ReleaseResult
from ecsdeploy._release.task_runner import task_target
from ecsdeploy._result import DeployEvent, DeployResult

__all__ = ["LivePresenter", "LogPresenter", "Presenter", "choose_presenter"]


class Presenter(Protocol):
    def __call__(self, event: DeployEvent) -> None: ...
    def __enter__(self) -> Presenter: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def note(self, message: str) -> None: ...
    def deploy_results(self, results: Sequence[DeployResult]) -> None: ...
    def release_result(self, result: ReleaseResult) -> None: ...


class LivePresenter:
    """rich `Live` over a LiveView while deploying, then the summary table."""

    def __init__(
        self,
        targets: Sequence[Target],
        *,
        console: Console | None = None,
        default_region: str | None = None,
    ) -> None:
        self.console = console or Console()
        self._default_region = default_region
        self.view = LiveView(targets, default_region=default_region)
        self._live = Live(self.view, console=self.console, refresh_per_second=4, transient=False)

    def __call__(self, event: DeployEvent) -> None:
        self.view(event)

    def __enter__(self) -> LivePresenter:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)

    def note(self, message: str) -> None:
        self.console.print(message)

    def deploy_results(self, results: Sequence[DeployResult]) -> None:
        self.console.print(deploy_summary(results, default_region=self._default_region))

    def release_result(self, result: ReleaseResult) -> None:
        self.console.print(release_summary(result))


class LogPresenter:
    """One structured line per DeployEvent (progress only when it changed) and per result
    (CI logs, `--no-live`)."""

    def __init__(self, log: FilteringBoundLogger) -> None:
        self._log = log
        self._last_progress: dict[Target, dict[str, object]] = {}

    def __call__(self, event: DeployEvent) -> None:
        data = {k: v for k, v in event.data.items() if v is not None}
        if event.kind == "progress":
            # Every poll reports progress; a CI log needs a line only when the counts move.
            if self._last_progress.get(event.target) == data:
                return
            self._last_progress[event.target] = data
        self._log.info(
            f"ecsdeploy.{event.kind}",
            **_where(event.target),
            phase=event.phase.value,
            message=event.message,
            **data,
        )

    def __enter__(self) -> LogPresenter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def note(self, message: str) -> None:
        self._log.info("ecsdeploy.note", message=message)

    def deploy_results(self, results: Sequence[DeployResult]) -> None:
        for result in results:
            self._result(result)

    def release_result(self, result: ReleaseResult) -> None:
        for service in result.services:
            self._log.info(
                "ecsdeploy.release.service",
                **_where(service.target),
                stage=service.stage,
                outcome=service.state.value,
                reason=service.reason,
            )
        for task in result.tasks:
            self._log.info(
                "ecsdeploy.release.task",
                **_where(task_target(task.task)),
                stage=task.stage,
                outcome=task.state.value,
                reason=task.reason,
                task_arn=task.task_arn,
                task_definition=task.task_definition_arn,
                exit_codes=dict(task.exit_codes),
                stop_code=task.stop_code,
                stopped_reason=task.stopped_reason,
                stopped_by_ecsdeploy=task.stopped_by_ecsdeploy,
            )
        self._log.info(
            "ecsdeploy.release.result",
            release=result.release.name,
            outcome=result.outcome.value,
            exit_code=int(result.exit_code),
            duration=round(result.duration, 3),
            error=result.error,
        )

    def _result(self, result: DeployResult) -> None:
        self._log.info(
            "ecsdeploy.result",
            **_where(result.target),
            outcome=result.outcome.value,
            exit_code=int(result.exit_code),
            reason=result.reason,
            rolled_back_by=result.rolled_back_by,
            rollback_trigger=result.rollback_trigger,
            rollback_method=result.rollback_method,
            lifecycle_stage=result.lifecycle_stage,
            deployment_id=result.deployment_id,
            task_definition=result.task_definition_arn,
            previous_task_definition=result.previous_task_definition_arn,
            rollback_task_definition=result.rollback_task_definition_arn,
            notes=list(result.notes),
            stopped_tasks=[task.describe() for task in result.stopped_tasks],
            duration=round(result.duration, 3),
        )


def _where(target: Target) -> dict[str, str]:
    where = {"cluster": target.cluster, "service": target.service}
    if target.region:
        where["region"] = target.region
    if target.account:
        where["account"] = target.account
    return where


def choose_presenter(
    targets: Sequence[Target],
    *,
    live: bool,
    log_format: LogFormat | None,
    default_region: str | None = None,
) -> Presenter:
    """The live view when asked for and stdout is a terminal; log lines otherwise.

    Configures structlog for the process as a side effect: that is the front's job.
    """
    chosen = log_format or default_log_format()
    configure_library_logging(chosen)
    if live and sys.stdout.isatty():
        return LivePresenter(targets, default_region=default_region)
    return LogPresenter(lines(chosen))
