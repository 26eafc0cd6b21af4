"""Pacing per (account, region): ECS's request quotas are per account and Region, so are ours.

A release across five regions gets five sets of token buckets and runs as fast as the busiest
region allows, not as fast as one bucket shared by all five. Two roles in one account share that
account's buckets (the quota is the account's, whoever calls). Targets on the caller's own
credentials are paced under account `None`: which account that is would cost an STS call to
find out, and they are never mixed with a role's account in one limiter by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy._ratelimit import Rate, RateLimiter

__all__ = ["Pacing", "PacingKey"]

#: (account or None for the caller's own, region)
PacingKey = tuple[str | None, str]


class Pacing:
    """The rate limiters of one Deployer, one per (account, region), made on first use."""

    def __init__(self, rates: Mapping[str, Rate] | None = None) -> None:
        self._rates = dict(rates or {})
        # Checked now (a misspelt group, a value that is not a Rate), not by the first limiter,
        # which is made when the first deployment is under way.
        RateLimiter(self._rates)
        self._limiters: dict[PacingKey, RateLimiter] = {}

    def limiter(self, account: str | None, region: str) -> RateLimiter:
        key = (account, region)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(self._rates)
        return limiter

    @property
    def limiters(self) -> Mapping[PacingKey, RateLimiter]:
        """Every limiter made so far (for tests and benchmarks)."""
        return dict(self._limiters)
