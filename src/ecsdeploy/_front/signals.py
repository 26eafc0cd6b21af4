"""Ctrl-C and SIGTERM (a CI job being cancelled) end a command the way the library intends.

Python's default SIGINT raises KeyboardInterrupt wherever the loop is, and SIGTERM kills the
process outright: either way a deployment under watch would be left half done. Here both
signals cancel the command's task instead, so the Deployer's shielded rollbacks complete first.
"""

from __future__ import annotations

import signal
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
    """`await main()`, cancelled by SIGINT or SIGTERM; raises Interrupted in that case."""
    received: list[int] = []
    code: list[int] = []
    failure: list[Exception] = []

    async def watch_signals(scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                received.append(signum)
                scope.cancel()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(watch_signals, group.cancel_scope)
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
