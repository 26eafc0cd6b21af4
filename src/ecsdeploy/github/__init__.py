"""The GitHub Action's entry point (`python -m ecsdeploy.github`, run by action.yml).

Reads the INPUT_* variables (see `_inputs`), deploys with the Deployer, prints one log line per
event, then writes the step's outputs, the job summary and an `::error::` annotation per failed
service. Exit codes are every front's: 0 succeeded, 1 failed and rolled back (or rollback
disabled), 2 bad input (nothing changed), 3 rollback failed or state unknown (also after an
unexpected error).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping, Sequence

import anyio

from ecsdeploy._front.errors import FRONT_ERRORS, FrontError, explain_error
from ecsdeploy._front.logs import configure_library_logging, lines
from ecsdeploy._front.presenter import LogPresenter
from ecsdeploy._front.signals import Interrupted, run_until_signalled
from ecsdeploy._models import Target
from ecsdeploy._release.file import load_release
from ecsdeploy._result import DeployResult, ExitCode, exit_code_of_all
from ecsdeploy.github._inputs import ActionInputError, ActionInputs
from ecsdeploy.github._report import Report, rows_of_deploys, rows_of_release

__all__ = ["ActionInputError", "ActionInputs", "Report", "main", "run"]


async def run(inputs: ActionInputs, presenter: LogPresenter, environ: Mapping[str, str]) -> Report:
    """Deploy what the inputs ask for; the report of it."""
    # A release file is read (and any mistake in it reported) before any AWS call.
    release = (
        load_release(inputs.release_file, overrides=inputs.release_overrides(), environ=environ)
        if inputs.release_file
        else None
    )
    deployer = await inputs.aws().deployer(settings=inputs.deploy_settings(), listeners=[presenter])
    async with deployer:
        if release is not None:
            released = await deployer.release(release)
            presenter.release_result(released)
            return Report(
                released.exit_code,
                released.outcome.value,
                rows_of_release(released),
                released.error,
            )
        assert inputs.cluster is not None
        targets = [
            Target(inputs.cluster, s, inputs.changes, role_arn=inputs.role_arn)
            for s in inputs.services
        ]
        results = await deployer.deploy_many(targets)
        presenter.deploy_results(results)
        return Report(*_overall(results), rows_of_deploys(results))


#: How the step's author checks a service whose state the action could not tell.
STATUS_HINT = "`aws ecs describe-services` (or `ecsdeploy status`)"


def _overall(results: Sequence[DeployResult]) -> tuple[int, str]:
    """The run's exit code and outcome, combined as a release's are: exit 2 only when nothing
    changed (a missing service beside a deployed one is 1), else the worst service's outcome."""
    code = exit_code_of_all(results)
    if code is ExitCode.BAD_INPUT:
        return code, "BAD_INPUT"
    worst = max(results, key=lambda r: (not r.succeeded, r.needs_attention, r.exit_code))
    return code, worst.outcome.value


def _error_report(exc: FrontError) -> Report:
    """The front layer's exit code and line for `exc`, with the outcome the step outputs."""
    code, message = explain_error(exc, mutating=True, status_hint=STATUS_HINT)
    if isinstance(exc, Interrupted):
        outcome = "INTERRUPTED"
    else:
        outcome = {ExitCode.BAD_INPUT: "BAD_INPUT", ExitCode.FAILED: "FAILED"}.get(code, "UNKNOWN")
    return Report(code, outcome, (), message)


def _report(environ: Mapping[str, str]) -> Report:
    try:
        inputs = ActionInputs.from_environ(environ)
        presenter = LogPresenter(lines("console"))
        reports: list[Report] = []

        async def deploy() -> int:
            reports.append(await run(inputs, presenter, environ))
            return reports[-1].exit_code

        anyio.run(run_until_signalled, deploy)
        return reports[-1]
    except FRONT_ERRORS as exc:
        return _error_report(exc)
    except Exception as exc:
        # A bug of ours, maybe mid-deployment: Python's own exit 1 would claim "rolled back" and
        # leave the step without outputs. The traceback is for the bug report.
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}; the service's state is unknown, check it"
        return Report(ExitCode.NEEDS_ATTENTION, "UNKNOWN", (), error)


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the action with `environ` (default: the process environment); the exit code."""
    environ = os.environ if environ is None else environ
    configure_library_logging("console")
    report = _report(environ)
    if report.error:
        print(f"Error: {report.error}", file=sys.stderr)
    report.write(environ.get("GITHUB_OUTPUT"), environ.get("GITHUB_STEP_SUMMARY"))
    return report.exit_code
