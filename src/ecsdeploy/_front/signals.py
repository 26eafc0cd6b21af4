"""Ctrl-C and SIGTERM (a CI job being cancelled) end a command the way the library intends.

Python's default SIGINT raises KeyboardInterrupt wherever the loop is, and SIGTERM kills the
process outright: either way a deployment under watch would be left half done. Here both
signals cancel the command's task instead, so the Deployer's shielded rollbacks complete first.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Awaitable, Callable

import anyio

__all__ = ["Interrupted", "run_until_signalled"]


class Interrupted(Exception):  # noqa: N818  (it is what happened, not an error of ours)
    """The command was stopped by a signal after its deployments were wound down."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(
            f"interrupted by {self.signal_name}: deployments being watched were rolled back "
            "before exiting (see the output above); check with `ecsdeploy status`"
        )


async def run_until_signalled(main: Callable[[], Awaitable[int]]) -> int:
    """`await main()`, cancelled by SIGINT or SIGTERM; raises Interrupted in that case.

    Signals after the first are absorbed until `main` has wound down: a cancelled GitHub job
    sends SIGINT and then SIGTERM 7.5 s later, and that second signal must not kill a rollback
    that is still running (the rollback is bounded by its own deadline instead).
    """
    received: list[int] = []
    code: list[int] = []
    failure: list[Exception] = []
    main_scope = anyio.CancelScope()

    async def watch_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                received.append(signum)
                if len(received) == 1:
                    main_scope.cancel()
                else:
                    name = signal.Signals(signum).name
                    print(f"{name} received: still winding down the deployments", file=sys.stderr)

    async with anyio.create_task_group() as group:
        group.start_soon(watch_signals)
        with main_scope:
            try:
                code.append(await main())
            except Exception as exc:  # re-raised below as itself, not inside an ExceptionGroup
                failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if received:
        raise Interrupted(received[0])
    return code[0]
