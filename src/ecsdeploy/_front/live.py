"""The live view: one row per service, kept current by the Deployer's DeployEvents.

`LiveView` is a Deployer listener and a rich renderable at once, so `rich.live.Live` can refresh
it on its own thread while events arrive on the event loop's; a lock keeps the two apart. Being a
plain object, it renders just as well to a file-backed Console in tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text

from ecsdeploy._models import Phase, Target
from ecsdeploy._result import DeployEvent

__all__ = ["LiveView", "ServiceRow"]

_PHASE_STYLES = {
    Phase.SUCCEEDED: "bold green",
    Phase.ROLLED_BACK: "bold yellow",
    Phase.ROLLBACK: "yellow",
    Phase.FAILED: "bold red",
    Phase.ROLLBACK_FAILED: "bold white on red",
    Phase.SUPERSEDED: "magenta",
}


@dataclass
class ServiceRow:
    """What the view shows of one service."""

    service: str
    #: The role's account ("caller" for the caller's own credentials) and the region.
    account: str = "caller"
    region: str = "-"
    phase: Phase = Phase.PREFLIGHT
    rollout_state: str = ""
    #: The lifecycle stage of a BLUE_GREEN / LINEAR / CANARY deployment.
    lifecycle_stage: str = ""
    running: int | None = None
    desired: int | None = None
    pending: int | None = None
    failed: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    latest: str = ""
    history: list[str] = field(default_factory=list)

    def elapsed(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or now) - self.started_at

    def absorb(self, event: DeployEvent) -> None:
        """Fold one event into the row: the newest phase, counts and human-worthy message."""
        if self.started_at is None:
            self.started_at = event.at
        self.phase = event.phase
        if event.kind == "task":
            self._absorb_task(event)
            return
        if event.kind == "progress":
            data = event.data
            self.rollout_state = str(data.get("rollout_state") or self.rollout_state)
            self.lifecycle_stage = str(data.get("lifecycle_stage") or self.lifecycle_stage)
            self.running = _count(data.get("running"), self.running)
            self.desired = _count(data.get("desired"), self.desired)
            self.pending = _count(data.get("pending"), self.pending)
            self.failed = _count(data.get("failed"), self.failed)
            return
        if event.kind == "lifecycle_stage":
            self.lifecycle_stage = str(event.data.get("lifecycle_stage") or "")
        if event.kind == "phase":
            self.history.append(event.phase.value)
            if event.phase.is_terminal:
                self.finished_at = event.at
        if event.kind == "verdict" and event.data.get("status") not in ("FAILED", None):
            # Healthy/progressing verdicts are chatty; failures and everything else are news.
            return
        if event.message and event.message != event.phase.value:
            self.latest = event.message

    def _absorb_task(self, event: DeployEvent) -> None:
        """A one-off task's row: its status while it runs, then its exit codes."""
        exits = event.data.get("exit_codes")
        if event.phase.is_terminal:
            self.finished_at = event.at
            self.rollout_state = _exits(exits) if isinstance(exits, dict) and exits else ""
            self.rollout_state = self.rollout_state or str(event.data.get("status") or "")
        else:
            self.rollout_state = str(event.data.get("status") or self.rollout_state)
        self.latest = event.message


def _exits(codes: dict[str, object]) -> str:
    """``exit 0``, or ``migrate: exit 1, sidecar: exit ?`` for several essential containers."""
    shown = {name: "?" if code is None else str(code) for name, code in codes.items()}
    if len(shown) == 1:
        return f"exit {next(iter(shown.values()))}"
    return ", ".join(f"{name}: exit {code}" for name, code in sorted(shown.items()))


def _count(value: object, previous: int | None) -> int | None:
    return value if isinstance(value, int) else previous


class LiveView:
    """A table of services being deployed; call it with DeployEvents, render it with rich."""

    def __init__(
        self,
        targets: Sequence[Target] = (),
        *,
        title: str = "ecsdeploy",
        clock: Callable[[], float] = time.time,
        default_region: str | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, ServiceRow] = {}
        self._title = title
        self._clock = clock
        self._default_region = default_region
        for target in targets:
            self._rows[str(target)] = self._new_row(target)

    def _new_row(self, target: Target) -> ServiceRow:
        return ServiceRow(
            str(target),
            account=target.account or "caller",
            region=target.region or self._default_region or "-",
        )

    def __call__(self, event: DeployEvent) -> None:
        with self._lock:
            key = str(event.target)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = self._new_row(event.target)
            row.absorb(event)

    def row(self, service: str) -> ServiceRow:
        """The row of `service` (written like the target: `cluster/service`)."""
        with self._lock:
            return self._rows[service]

    def table(self) -> Table:
        now = self._clock()
        table = Table(title=self._title, title_justify="left", expand=False)
        table.add_column("service", no_wrap=True)
        table.add_column("where", no_wrap=True)  # account/region
        table.add_column("phase", no_wrap=True)
        table.add_column("rollout", no_wrap=True)
        table.add_column("running/desired", justify="right", no_wrap=True)
        table.add_column("elapsed", justify="right", no_wrap=True)
        table.add_column("latest", overflow="fold")
        with self._lock:
            rows = list(self._rows.values())
        for row in rows:
            table.add_row(
                row.service,
                f"{row.account}/{row.region}",
                Text(row.phase.value, style=_PHASE_STYLES.get(row.phase, "cyan")),
                _rollout(row),
                _counts(row),
                f"{row.elapsed(now):.1f}s",
                row.latest,
            )
        return table

    def __rich__(self) -> Table:
        return self.table()


def _rollout(row: ServiceRow) -> str:
    if row.lifecycle_stage:
        return f"{row.rollout_state or '-'} · {row.lifecycle_stage}"
    return row.rollout_state or "-"


def _counts(row: ServiceRow) -> str:
    if row.desired is None:
        return "-"
    text = f"{row.running if row.running is not None else 0}/{row.desired}"
    extras = []
    if row.pending:
        extras.append(f"{row.pending} pending")
    if row.failed:
        extras.append(f"{row.failed} failed")
    return f"{text} ({', '.join(extras)})" if extras else text
