"""What the runner shows: step outputs, the job summary table and `::error::` annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ecsdeploy._release.model import ReleaseResult
from ecsdeploy._result import DeployResult

__all__ = ["Report", "Row", "rows_of_deploys", "rows_of_release"]


@dataclass(frozen=True, slots=True)
class Row:
    """One service's line in the summary."""

    cluster: str
    service: str
    outcome: str
    reason: str
    #: The new revision, when the service runs it now.
    task_definition_arn: str | None


def rows_of_deploys(results: Sequence[DeployResult]) -> list[Row]:
    return [
        Row(
            r.target.cluster,
            r.target.service,
            r.outcome.value,
            r.reason,
            r.task_definition_arn if r.succeeded else None,
        )
        for r in results
    ]


def rows_of_release(result: ReleaseResult) -> list[Row]:
    rows = []
    for service in result.services:
        deployed = service.result
        kept = service.state == "SUCCEEDED" and deployed is not None
        rows.append(
            Row(
                service.target.cluster,
                service.target.service,
                service.state,
                service.reason,
                deployed.task_definition_arn if kept and deployed else None,
            )
        )
    return rows


def _annotation_data(text: str) -> str:
    """The runner's escaping of a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation_property(text: str) -> str:
    return _annotation_data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class Report:
    """The whole run: its exit code and outcome, each service's row, and an error, if any."""

    exit_code: int
    outcome: str
    rows: Sequence[Row]
    error: str | None = None

    def outputs(self) -> dict[str, str]:
        arns = {f"{r.cluster}/{r.service}": r.task_definition_arn for r in self.rows}
        deployed = {key: arn for key, arn in arns.items() if arn}
        only = list(deployed.values()) if len(self.rows) == 1 else []
        return {
            "outcome": self.outcome,
            "exit-code": str(self.exit_code),
            "task-definition-arn": only[0] if only else "",
            "task-definition-arns": json.dumps(deployed, sort_keys=True),
        }

    def annotations(self) -> list[str]:
        lines = []
        if self.error:
            lines.append(f"::error title=ecsdeploy::{_annotation_data(self.error)}")
        for row in self.rows:
            if row.outcome != "SUCCEEDED":
                title = _annotation_property(
                    f"ecsdeploy: {row.cluster}/{row.service} {row.outcome}"
                )
                lines.append(f"::error title={title}::{_annotation_data(row.reason)}")
        return lines

    def summary(self) -> str:
        lines = [f"### ecsdeploy: {self.outcome} (exit code {self.exit_code})", ""]
        if self.error:
            lines += [f"**Error:** {_cell(self.error)}", ""]
        if self.rows:
            lines += [
                "| Cluster | Service | Outcome | Task definition | Reason |",
                "|---|---|---|---|---|",
                *(
                    f"| {_cell(r.cluster)} | {_cell(r.service)} | {r.outcome} | "
                    f"{_cell(r.task_definition_arn or '')} | {_cell(r.reason)} |"
                    for r in self.rows
                ),
                "",
            ]
        return "\n".join(lines) + "\n"

    def write(self, output_file: str | None, summary_file: str | None) -> None:
        """Append to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY (when the runner set them) and
        print the annotations, which the runner reads from stdout."""
        if output_file:
            with Path(output_file).open("a", encoding="utf-8") as out:
                for name, value in self.outputs().items():
                    out.write(f"{name}={value}\n")
        if summary_file:
            with Path(summary_file).open("a", encoding="utf-8") as out:
                out.write(self.summary())
        for line in self.annotations():
            print(line, flush=True)
