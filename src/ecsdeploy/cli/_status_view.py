"""Rendering a service's state for `ecsdeploy status`: pure functions over API data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table

from ecsdeploy._models import StoppedTask

__all__ = ["status_view"]

#: How many service events and stopped tasks to show: the recent past, not the whole log.
RECENT = 10


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return "-"


def _short_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def deployments_table(service: Mapping[str, Any]) -> Table:
    table = Table(title="deployments", title_justify="left")
    for column in ("id", "status", "task definition", "rollout", "running/desired", "pending"):
        table.add_column(column, no_wrap=column != "rollout")
    table.add_column("failed tasks", justify="right")
    for deployment in service.get("deployments", ()):
        rollout = str(deployment.get("rolloutState") or "-")
        if deployment.get("rolloutStateReason"):
            rollout = f"{rollout}: {deployment['rolloutStateReason']}"
        table.add_row(
            str(deployment.get("id", "")),
            str(deployment.get("status", "")),
            _short_arn(str(deployment.get("taskDefinition", ""))),
            rollout,
            f"{deployment.get('runningCount', 0)}/{deployment.get('desiredCount', 0)}",
            str(deployment.get("pendingCount", 0)),
            str(deployment.get("failedTasks", 0)),
        )
    return table


def events_table(service: Mapping[str, Any]) -> Table:
    table = Table(title="recent service events", title_justify="left")
    table.add_column("at", no_wrap=True)
    table.add_column("message", overflow="fold")
    for event in list(service.get("events", ()))[:RECENT]:
        table.add_row(_when(event.get("createdAt")), str(event.get("message", "")))
    return table


def stopped_tasks_table(tasks: Sequence[StoppedTask]) -> Table:
    table = Table(title="recently stopped tasks", title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("stopped at", no_wrap=True)
    table.add_column("stop code", no_wrap=True)
    table.add_column("reason", overflow="fold")
    table.add_column("containers", overflow="fold")
    for task in tasks[:RECENT]:
        containers = "; ".join(
            f"{c.name}: exit {c.exit_code}" if c.exit_code is not None else f"{c.name}: {c.reason}"
            for c in task.containers
        )
        table.add_row(
            task.task_id,
            _when(task.stopped_at),
            task.stop_code or "-",
            task.stopped_reason or "-",
            containers or "-",
        )
    return table


def status_view(service: Mapping[str, Any], stopped: Sequence[StoppedTask]) -> Group:
    """Deployments, recent events and recently stopped tasks (newest first) of one service."""
    header = (
        f"{service.get('serviceName')} in {_short_arn(str(service.get('clusterArn', '')))}: "
        f"{service.get('status')}, running {service.get('runningCount', 0)}"
        f"/{service.get('desiredCount', 0)}, task definition "
        f"{_short_arn(str(service.get('taskDefinition', '')))}"
    )
    newest_first = sorted(stopped, key=lambda t: t.stopped_at or 0.0, reverse=True)
    return Group(
        header,
        deployments_table(service),
        events_table(service),
        stopped_tasks_table(newest_first),
    )
