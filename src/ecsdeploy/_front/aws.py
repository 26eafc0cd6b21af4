"""Where a front's AWS region, endpoint and credentials come from, and the Deployer built from
them: one resolution for the CLI, the Drone plugin and the GitHub Action."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import aioboto3

from ecsdeploy._deployer import Deployer
from ecsdeploy._front.assume_role import assumed_session
from ecsdeploy._region import region_from_environment
from ecsdeploy._result import DeployEvent
from ecsdeploy._settings import DeploySettings
from ecsdeploy.exceptions import InputError

__all__ = ["AwsOptions"]

#: How a front tells its user to name a region, when neither it nor the environment does.
CLI_REGION_HINT = "pass --region REGION or set AWS_REGION (or AWS_DEFAULT_REGION)"


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """A region, an endpoint and a role, each falling back to the environment like the AWS CLI.

    The endpoint's fallback, AWS_ENDPOINT_URL_ECS, is honoured by aioboto3 itself, so only an
    explicit endpoint is passed on. Without a role, credentials are the default chain's.
    """

    region: str | None = None
    endpoint_url: str | None = None
    role_arn: str | None = None
    region_hint: str = CLI_REGION_HINT

    def resolve_region(
        self, environ: Mapping[str, str] | None = None, *, fallback: str | None = None
    ) -> str:
        """The region: the given one, AWS_REGION, AWS_DEFAULT_REGION, then `fallback`."""
        region = region_from_environment(self.region, environ) or fallback
        if not region:
            raise InputError(f"no AWS region: {self.region_hint}")
        return region

    async def session(self, *, fallback_region: str | None = None) -> aioboto3.Session | None:
        """The assumed role's session, or None for the default credential chain."""
        if not self.role_arn:
            return None
        region = self.resolve_region(fallback=fallback_region)
        return await assumed_session(self.role_arn, region=region)

    async def deployer(
        self,
        *,
        settings: DeploySettings | None = None,
        listeners: Iterable[Callable[[DeployEvent], None]] = (),
        fallback_region: str | None = None,
    ) -> Deployer:
        """A Deployer (to be opened with `async with`) for these options."""
        return Deployer(
            session=await self.session(fallback_region=fallback_region),
            region=self.resolve_region(fallback=fallback_region),
            endpoint_url=self.endpoint_url,
            settings=settings,
            listeners=listeners,
        )
