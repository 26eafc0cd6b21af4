"""Deploy with a health check of your own: the new version must answer an HTTP probe.

    AWS_REGION=us-east-2 python examples/custom_check.py \\
        --cluster prod --service web --container web --image myorg/web:2.0 \\
        --probe-url https://web.internal.example.com/healthz

ECS's own view ("tasks are running") says nothing about whether the application works. A
`HealthCheck` is any object with `async def evaluate(observation) -> Verdict`; pass it with the
built-in checks and the deployment succeeds only when every check is healthy, and fails (and
rolls back) as soon as one check says FAILED. The endpoint and region come from the environment
as in deploy_one.py.
"""

from __future__ import annotations

import argparse
import sys
from types import TracebackType
from typing import Self

import aiohttp
import anyio
import structlog

from ecsdeploy import Deployer, ImageChange, Observation, Target, Verdict
from ecsdeploy.checks import default_checks


class HttpProbe:
    """Judges a deployment by what its application answers, not by what ECS reports.

    It probes only once ECS says every task of the new deployment is running, so answers from the
    old version do not count. Then `successes_needed` consecutive 2xx answers make it healthy,
    and `failures_allowed` consecutive bad answers (other statuses, timeouts, refused
    connections) fail the deployment. Counting consecutive answers rides out a single slow
    response without letting a broken version through.

    Use it as an async context manager: it holds one HTTP connection pool for the whole watch.
    """

    name = "http-probe"

    def __init__(
        self,
        url: str,
        *,
        successes_needed: int = 3,
        failures_allowed: int = 3,
        request_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.successes_needed = successes_needed
        self.failures_allowed = failures_allowed
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._successes = 0
        self._failures = 0

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def evaluate(self, observation: Observation) -> Verdict:
        deployment = observation.deployment or {}
        running, desired = deployment.get("runningCount", 0), deployment.get("desiredCount", 0)
        if desired == 0 or running < desired:
            return Verdict.progressing(f"waiting for new tasks ({running}/{desired} running)")
        answer = await self._probe()
        if answer is None:
            self._successes, self._failures = self._successes + 1, 0
            if self._successes >= self.successes_needed:
                return Verdict.healthy(f"{self.url} answered 2xx {self._successes} times in a row")
            return Verdict.progressing(f"{self.url} answered 2xx ({self._successes} so far)")
        self._successes, self._failures = 0, self._failures + 1
        if self._failures >= self.failures_allowed:
            return Verdict.failed(f"{self.url}: {answer} ({self._failures} times in a row)")
        return Verdict.progressing(f"{self.url}: {answer}")

    async def _probe(self) -> str | None:
        """None for a 2xx answer, else what went wrong."""
        if self._session is None:
            raise RuntimeError("use the probe inside 'async with HttpProbe(...)'")
        try:
            async with self._session.get(self.url, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}".rstrip(": ")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--container", required=True, help="the container whose image changes")
    parser.add_argument("--image", required=True, help="the image to deploy")
    parser.add_argument("--probe-url", required=True, help="must answer 2xx once deployed")
    parser.add_argument("--successes", type=int, default=3, help="2xx answers in a row needed")
    parser.add_argument("--failures", type=int, default=3, help="bad answers in a row that fail")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for rollout")
    parser.add_argument("--poll-interval", type=float, default=5, help="seconds between polls")
    return parser.parse_args(argv)


async def deploy(arguments: argparse.Namespace) -> int:
    target = Target(
        arguments.cluster, arguments.service, [ImageChange(arguments.container, arguments.image)]
    )
    probe = HttpProbe(
        arguments.probe_url,
        successes_needed=arguments.successes,
        failures_allowed=arguments.failures,
    )
    async with probe, Deployer() as deployer:
        result = await deployer.deploy(
            target,
            checks=[*default_checks(), probe],
            timeout=arguments.timeout,
            poll_interval=arguments.poll_interval,
        )
    print(f"{result.target}: {result.outcome.value} in {result.duration:.1f}s")
    print(f"  reason: {result.reason}")
    for verdict in result.checks:
        print(f"  {verdict.check}: {verdict.reason} ({verdict.status.value})")
    return result.exit_code


def main() -> None:
    # ecsdeploy logs every step with structlog; keep those on stderr so stdout is the report.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    sys.exit(anyio.run(deploy, parse_arguments()))


if __name__ == "__main__":
    main()
