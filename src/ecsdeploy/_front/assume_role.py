"""`aws_role_arn`: deploy into another account with credentials from STS AssumeRole.

The one place outside the gateway that creates an AWS client, and only an STS one: the ECS
clients are still made by the Deployer, from the session returned here.
"""

from __future__ import annotations

from typing import Any

import aioboto3
from botocore.exceptions import BotoCoreError, ClientError

from ecsdeploy._gateway import is_transient
from ecsdeploy.exceptions import InputError, NothingChangedError

__all__ = ["AssumeRoleError", "assumed_session"]

#: Drone steps are short; an hour covers the longest watch the settings allow by default.
SESSION_SECONDS = 3600


class AssumeRoleError(InputError):
    """STS refused to let us assume the role (bad settings); nothing was deployed. An STS
    outage is a NothingChangedError instead."""


async def assumed_session(
    role_arn: str, *, region: str, session: aioboto3.Session | None = None
) -> aioboto3.Session:
    """A session holding the role's temporary credentials."""
    base = session or aioboto3.Session()
    try:
        async with base.client("sts", region_name=region) as sts:
            response: dict[str, Any] = await sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName="ecsdeploy-drone",
                DurationSeconds=SESSION_SECONDS,
            )
    except (ClientError, BotoCoreError) as exc:
        if is_transient(exc):
            # STS down, throttling or unreachable: an AWS failure before any change (exit 1),
            # not bad settings.
            raise NothingChangedError(
                f"could not assume role {role_arn}: {exc}; nothing changed",
                code=type(exc).__name__,
                operation="AssumeRole",
            ) from exc
        raise AssumeRoleError(f"could not assume role {role_arn}: {exc}") from exc
    credentials = response["Credentials"]
    return aioboto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
