"""Run a tool's processes and measure them: exit code, peak RSS and CPU seconds (the rusage
`wait4` reports, which covers each process and the children it waited for), wall time, and the
simulated instant each exited."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ProcessRun:
    argv: list[str]
    exit_code: int | None
    peak_rss_mb: float
    cpu_seconds: float
    wall_seconds: float
    #: Simulated epoch seconds when the process exited.
    exited_at: float
    killed: bool
    output_tail: str


def run_processes(
    commands: Sequence[list[str]],
    *,
    env: Mapping[str, str],
    sim_now: Callable[[], float],
    wall_limit: float,
    log_dir: Path,
    parallel: bool,
) -> list[ProcessRun]:
    """Run `commands` all at once (`parallel`) or one after another; stop any still running
    at `wall_limit` seconds after the first started."""
    deadline = time.monotonic() + wall_limit
    runs: list[ProcessRun | None] = [None] * len(commands)

    def one(index: int, argv: list[str]) -> None:
        log = log_dir / f"process-{index:04d}.log"
        started = time.monotonic()
        with log.open("w") as output:
            process = subprocess.Popen(
                argv, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            killer = threading.Timer(max(0.0, deadline - started), _stop, (process,))
            killer.start()
            _, status, usage = os.wait4(process.pid, 0)
            killer.cancel()
        exited_at = sim_now()
        process.returncode = os.waitstatus_to_exitcode(status)
        tail = log.read_text(errors="replace")[-4000:]
        runs[index] = ProcessRun(
            argv=argv,
            exit_code=None if _was_killed(status) else process.returncode,
            peak_rss_mb=usage.ru_maxrss / 1024,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            wall_seconds=time.monotonic() - started,
            exited_at=exited_at,
            killed=_was_killed(status),
            output_tail=tail,
        )

    if parallel:
        threads = [threading.Thread(target=one, args=(i, argv)) for i, argv in enumerate(commands)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for index, argv in enumerate(commands):
            one(index, argv)
    return [run for run in runs if run is not None]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The bench's wall limit: SIGKILL the process group (the tool would have gone on)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _was_killed(status: int) -> bool:
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
