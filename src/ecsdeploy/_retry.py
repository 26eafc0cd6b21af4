"""The retry policy for AWS calls: only transient failures, jittered exponential backoff, capped.

tenacity is an implementation detail here; callers see `RetryPolicy` and ecsdeploy's exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from ecsdeploy.exceptions import InputError

__all__ = ["RetryPolicy"]

T = TypeVar("T")

logger = structlog.get_logger("ecsdeploy")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a transient AWS failure.

    `attempts` counts the first call; `max_elapsed` caps the total time spent on one call.
    """

    attempts: int = 8
    initial_wait: float = 0.5
    max_wait: float = 20.0
    max_elapsed: float = 180.0

    @classmethod
    def fast(cls) -> RetryPolicy:
        """Near-zero backoff for tests against the simulator."""
        return cls(attempts=8, initial_wait=0.01, max_wait=0.05, max_elapsed=10.0)

    def with_environment(self, environ: Mapping[str, str]) -> RetryPolicy:
        """This policy with AWS_MAX_ATTEMPTS, when set, as its attempts; InputError naming it
        when it is no whole number of at least 1."""
        # The AWS SDKs and the AWS CLI read AWS_MAX_ATTEMPTS as the total number of attempts,
        # the first call included, which is what `attempts` counts; a pipeline that sets it for
        # every AWS tool gets the same bound on ecsdeploy's calls, which botocore does not retry.
        given = environ.get("AWS_MAX_ATTEMPTS", "").strip()
        if not given:
            return self
        try:
            attempts = int(given)
        except ValueError:
            attempts = 0
        if attempts < 1:
            raise InputError(f"AWS_MAX_ATTEMPTS: {given!r} is not a whole number of at least 1")
        return replace(self, attempts=attempts)

    async def call(
        self,
        operation: str,
        func: Callable[[], Awaitable[T]],
        *,
        is_transient: Callable[[BaseException], bool],
    ) -> T:
        def log_retry(state: RetryCallState) -> None:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            logger.warning(
                "ecsdeploy.aws.retry_scheduled",
                operation=operation,
                attempt=state.attempt_number,
                wait=round(state.upcoming_sleep, 3),
                error=type(error).__name__ if error else None,
                detail=str(error) if error else None,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_elapsed),
            wait=wait_exponential_jitter(
                multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
            ),
            retry=retry_if_exception(is_transient),
            before_sleep=log_retry,
            reraise=True,
        )
        return await retrying(func)
