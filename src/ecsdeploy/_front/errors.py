"""The one boundary where errors and results become exit codes and a single readable line on
stderr, for every front.

InputError (and anything else that says the request was wrong) exits 2: nothing was changed.
NothingChangedError (AWS failed before any change) exits 1. Any other AwsError reaching a front
exits 3 when the command may have changed something (a human must look); for read-only commands
an outage or throttling exits 1 ("nothing changed"), anything else 2 (a configuration problem:
credentials, endpoint). A SIGINT or SIGTERM exits 3 once the deployments under watch were
rolled back: the outcome is not what anyone asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn

import anyio
import click

from ecsdeploy._front.presenter import Presenter
from ecsdeploy._front.signals import Interrupted, run_until_signalled
from ecsdeploy._release.model import ReleaseResult
from ecsdeploy._result import DeployResult, ExitCode, exit_code_of_all
from ecsdeploy.exceptions import (
    AwsError,
    AwsUnavailableError,
    InputError,
    NothingChangedError,
    ThrottledError,
)

__all__ = [
    "FRONT_ERRORS",
    "FrontError",
    "exit_for_error",
    "explain_error",
    "report_deploys",
    "report_release",
    "run_async",
    "run_front",
]

#: The errors a front turns into an exit code; anything else is a bug and keeps its traceback.
FRONT_ERRORS = (Interrupted, InputError, NothingChangedError, AwsError)
FrontError = Interrupted | InputError | NothingChangedError | AwsError


def error_line(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


def exit_for_error(exc: FrontError, *, mutating: bool, status_hint: str = "") -> ExitCode:
    """Print the error's line on stderr and return its exit code (see `explain_error`)."""
    code, message = explain_error(exc, mutating=mutating, status_hint=status_hint)
    error_line(message)
    return code


def explain_error(
    exc: FrontError, *, mutating: bool, status_hint: str = ""
) -> tuple[ExitCode, str]:
    """The exit code of an error that reached a front, and the one line that tells its user.

    `status_hint` says how this front's user checks a service (`ecsdeploy status`).
    """
    if isinstance(exc, Interrupted):
        code, message = ExitCode.NEEDS_ATTENTION, str(exc)
    elif isinstance(exc, InputError):
        code, message = ExitCode.BAD_INPUT, str(exc)
    elif isinstance(exc, NothingChangedError):
        code, message = ExitCode.FAILED, str(exc)
    elif mutating:
        where = f" with {status_hint}" if status_hint else ""
        code = ExitCode.NEEDS_ATTENTION
        message = f"{exc} — the service's state is unknown; check it{where}"
    elif isinstance(exc, AwsUnavailableError | ThrottledError):
        # An outage or throttling is not a configuration problem: try again later.
        code, message = ExitCode.FAILED, f"{exc}; nothing changed"
    else:
        code, message = ExitCode.BAD_INPUT, f"{exc} (check credentials, region and endpoint)"
    return code, message


def run_front(
    main: Callable[[], Awaitable[int]], *, mutating: bool, status_hint: str = ""
) -> ExitCode:
    """Run a front's coroutine until it ends or a signal stops it; its exit code."""
    try:
        return ExitCode(anyio.run(run_until_signalled, main))
    except FRONT_ERRORS as exc:
        return exit_for_error(exc, mutating=mutating, status_hint=status_hint)


def report_deploys(presenter: Presenter, results: Sequence[DeployResult]) -> ExitCode:
    """Show the results; an Error line for each bad input; their one exit code (2 only when
    nothing at all was changed)."""
    presenter.deploy_results(results)
    for result in results:
        if result.exit_code is ExitCode.BAD_INPUT:
            error_line(f"{result.target}: {result.reason}")
    return exit_code_of_all(results)


def report_release(presenter: Presenter, result: ReleaseResult) -> ExitCode:
    """Show the release's result; an Error line when it stopped before deploying; its exit code."""
    presenter.release_result(result)
    if result.error:
        error_line(result.error)
    return result.exit_code


def run_async(main: Callable[[], Awaitable[int]], *, mutating: bool) -> NoReturn:
    """`run_front` for click commands, which end by raising SystemExit."""
    raise SystemExit(run_front(main, mutating=mutating, status_hint="`ecsdeploy status`"))
