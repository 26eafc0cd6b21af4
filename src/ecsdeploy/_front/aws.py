"""Where a front's AWS region, endpoint and credentials come from, and the Deployer built from
them: one resolution for the CLI, the Drone plugin and the GitHub Action."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ecsdeploy._deployer import Deployer
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
    explicit endpoint is passed on. Without a role, credentials are the default chain's; with
    one, the Deployer assumes it (and refreshes it) for every target that names no role of its
    own.
    """

    region: str | None = None
    endpoint_url: str | None = None
    role_arn: str | None = None
    region_hint: str = CLI_REGION_HINT
    external_id: str | None = None

    def resolve_region(
        self, environ: Mapping[str, str] | None = None, *, fallback: str | None = None
    ) -> str:
        """The region: the given one, AWS_REGION, AWS_DEFAULT_REGION, then `fallback`."""
        region = region_from_environment(self.region, environ) or fallback
        if not region:
            raise InputError(f"no AWS region: {self.region_hint}")
        return region

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
            endpoint_url=self.endpoint_url,
            role_arn=self.role_arn,
            external_id=self.external_id,
            settings=settings,
            listeners=listeners,
        )
