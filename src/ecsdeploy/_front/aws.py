"""Where the CLI's AWS region and endpoint come from, and the Deployer built from them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ecsdeploy._deployer import Deployer
from ecsdeploy._result import DeployEvent
from ecsdeploy._settings import DeploySettings
from ecsdeploy.exceptions import InputError

__all__ = ["AwsOptions"]


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """`--region` / `--endpoint-url`, falling back to the environment like the AWS CLI does.

    The endpoint's fallback, AWS_ENDPOINT_URL_ECS, is honoured by aioboto3 itself, so only an
    explicit `--endpoint-url` is passed on.
    """

    region: str | None = None
    endpoint_url: str | None = None

    def resolve_region(
        self, environ: Mapping[str, str] | None = None, *, fallback: str | None = None
    ) -> str:
        """The region: --region, AWS_REGION, AWS_DEFAULT_REGION, then `fallback`."""
        environ = os.environ if environ is None else environ
        region = (
            self.region
            or environ.get("AWS_REGION")
            or environ.get("AWS_DEFAULT_REGION")
            or fallback
        )
        if not region:
            raise InputError(
                "no AWS region: pass --region REGION or set AWS_REGION (or AWS_DEFAULT_REGION)"
            )
        return region

    def deployer(
        self,
        *,
        settings: DeploySettings | None = None,
        listeners: Iterable[Callable[[DeployEvent], None]] = (),
        fallback_region: str | None = None,
    ) -> Deployer:
        return Deployer(
            region=self.resolve_region(fallback=fallback_region),
            endpoint_url=self.endpoint_url,
            settings=settings,
            listeners=listeners,
        )
