"""The one boundary where errors become exit codes and a single readable line on stderr.

InputError (and anything else that says the request was wrong) exits 2: nothing was changed.
A NothingChangedError (AWS failed before any change) exits 1. Any other AwsError reaching a front
exits 3 when the command may have changed something (a human must look); for read-only commands
an outage or throttling exits 1 ("nothing changed"), anything else 2 (a configuration problem:
credentials, endpoint).
A SIGINT or SIGTERM exits 3 once the deployments under watch were rolled back: the outcome is
not what anyone asked for, and a human should look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

import anyio
import click

from ecsdeploy.cli._signals import Interrupted, run_until_signalled
from ecsdeploy.exceptions import (
    AwsError,
    AwsUnavailableError,
    InputError,
    NothingChangedError,
    ThrottledError,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_LOOK_NOW", "fail", "run_async"]

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOOK_NOW = 3


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print `Error: message` on stderr and exit with `code`."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def run_async(main: Callable[[], Awaitable[int]], *, mutating: bool) -> NoReturn:
    """Run a command's coroutine and exit with the code it returns, mapping errors on the way."""
    try:
        code = anyio.run(run_until_signalled, main)
    except Interrupted as exc:
        fail(str(exc), EXIT_LOOK_NOW)
    except InputError as exc:
        fail(str(exc))
    except NothingChangedError as exc:
        fail(str(exc), EXIT_FAILED)
    except AwsError as exc:
        if mutating:
            fail(
                f"{exc} — the service's state is unknown; check it with `ecsdeploy status`",
                EXIT_LOOK_NOW,
            )
        if isinstance(exc, (AwsUnavailableError, ThrottledError)):
            # An outage or throttling is not a configuration problem: try again later.
            fail(f"{exc}; nothing changed", EXIT_FAILED)
        fail(f"{exc} (check credentials, region and endpoint)")
    raise SystemExit(code)
