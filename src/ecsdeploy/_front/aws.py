"""Where a front's AWS region, endpoint and credentials come from, and the Deployer built from
them: one resolution for the CLI, the Drone plugin and the GitHub Action."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from botocore.exceptions import InvalidRegionError
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url, validate_region_name

from ecsdeploy._deployer import Deployer
from ecsdeploy._region import region_from_environment
from ecsdeploy._result import DeployEvent
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy.exceptions import InputError

__all__ = ["AwsOptions", "checked_endpoint_url", "checked_region"]

#: How a front tells its user to name a region, when neither it nor the environment does.
CLI_REGION_HINT = "pass --region REGION or set AWS_REGION (or AWS_DEFAULT_REGION)"


# botocore refuses a malformed region or endpoint only when the first client is made, deep in a
# deployment (or a release's later stage): checked up front, the error names where it came from.


def checked_region(region: str, source: str) -> str:
    """`region`, or InputError naming `source` when botocore would refuse it."""
    try:
        validate_region_name(region)
    except InvalidRegionError as exc:
        raise InputError(f"{source}: {region!r} is not an AWS region name") from exc
    return region


def checked_endpoint_url(url: str, source: str) -> str:
    """`url`, or InputError naming `source` when botocore would refuse it as an endpoint."""
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        raise InputError(f"{source}: {url!r} is not an http(s) URL (e.g. http://localhost:4566)")
    return url


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """A region, an endpoint and a role, each falling back to the environment like the AWS CLI.

    The endpoint's fallback, AWS_ENDPOINT_URL_ECS, is honoured by aioboto3 itself, so only an
    explicit endpoint is passed on. Without a role, credentials are the default chain's; with
    one, the Deployer assumes it (and refreshes it) for every target that names no role of its
    own.
    """

    region: str | None = None
    endpoint_url: str | None = None
    role_arn: str | None = None
    region_hint: str = CLI_REGION_HINT
    #: What the front calls its region and endpoint settings, in error messages.
    region_source: str = "--region"
    endpoint_source: str = "--endpoint-url"
    external_id: str | None = None
    #: The retry policy `checked` read from its environment (AWS_MAX_ATTEMPTS); None: read
    #: the process environment when the Deployer is made.
    retry: RetryPolicy | None = None

    def resolve_region(
        self, environ: Mapping[str, str] | None = None, *, fallback: str | None = None
    ) -> str:
        """The region: the given one, AWS_REGION, AWS_DEFAULT_REGION, then `fallback`;
        InputError naming where it came from when it is no region name."""
        environ = os.environ if environ is None else environ
        region = region_from_environment(self.region, environ)
        if not region:
            if fallback:
                return fallback
            raise InputError(f"no AWS region: {self.region_hint}")
        if self.region:
            source = self.region_source
        else:
            source = "AWS_REGION" if environ.get("AWS_REGION") else "AWS_DEFAULT_REGION"
        return checked_region(region, source)

    def checked_endpoint_url(self) -> str | None:
        """The explicit endpoint, if any; InputError naming it when it is no http(s) URL."""
        if not self.endpoint_url:
            return None
        return checked_endpoint_url(self.endpoint_url, self.endpoint_source)

    def checked(
        self, environ: Mapping[str, str] | None = None, *, error: type[InputError] = InputError
    ) -> AwsOptions:
        """These options with the region resolved and the region and endpoint checked, before
        any AWS call; a problem is raised as `error` (the front's own InputError)."""
        try:
            return replace(
                self,
                region=self.resolve_region(environ),
                endpoint_url=self.checked_endpoint_url(),
                retry=self.retry_policy(environ),
            )
        except InputError as exc:
            if isinstance(exc, error):
                raise
            raise error(str(exc)) from exc

    def retry_policy(self, environ: Mapping[str, str] | None = None) -> RetryPolicy:
        """The policy `checked` read, else the default one bounded by AWS_MAX_ATTEMPTS (of
        `environ`, default the process's) like every AWS tool."""
        if self.retry is not None:
            return self.retry
        return RetryPolicy().with_environment(os.environ if environ is None else environ)

    async def deployer(
        self,
        *,
        settings: DeploySettings | None = None,
        listeners: Iterable[Callable[[DeployEvent], None]] = (),
        fallback_region: str | None = None,
    ) -> Deployer:
        """A Deployer (to be opened with `async with`) for these options."""
        return Deployer(
            region=self.resolve_region(fallback=fallback_region),
            endpoint_url=self.checked_endpoint_url(),
            role_arn=self.role_arn,
            external_id=self.external_id,
            retry=self.retry_policy(),
            settings=settings,
            listeners=listeners,
        )
