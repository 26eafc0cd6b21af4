"""Simulated time for the ECS simulator."""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """Epoch seconds that run `speed` times faster than the wall clock and jump on `advance()`.

    Simulated time starts at the wall-clock time of creation (so timestamps look current) unless
    `start` is given. Tests use a large speed or `advance()` instead of sleeping.
    """

    __slots__ = ("_base", "_mono_base", "_monotonic", "_speed")

    def __init__(
        self,
        *,
        speed: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, not {speed}")
        self._monotonic = monotonic
        self._speed = float(speed)
        self._base = time.time() if start is None else float(start)
        self._mono_base = monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, not {speed}")
        self._rebase()
        self._speed = float(speed)

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._base + (self._monotonic() - self._mono_base) * self._speed

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward by `seconds` (>= 0)."""
        if seconds < 0:
            raise ValueError(f"cannot advance by a negative duration ({seconds})")
        self._rebase()
        self._base += seconds

    def _rebase(self) -> None:
        mono = self._monotonic()
        self._base += (mono - self._mono_base) * self._speed
        self._mono_base = mono
