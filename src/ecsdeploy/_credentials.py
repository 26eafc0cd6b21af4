"""Per-target credentials: one STS AssumeRole per (role, external id, region), kept fresh.

A release across accounts deploys each target with the credentials of its own role. Every target
naming the same role (and external id) in a region shares one assumed-role session, so 200
services of one account cost one AssumeRole, not 200.

Refreshing: the session's credentials are aiobotocore's `AioRefreshableCredentials`, refreshed
on the **wall clock** of this machine, before they expire (advisory refresh a quarter of the
session's life before its end, mandatory refresh a sixth before; botocore's own 15 and 10 minutes
for the default hour). Their expiry is counted from when we asked for them plus the duration we
asked for, never from STS's `Expiration` read against our clock, so a skewed clock (or the
simulator's, which runs faster) does not make fresh credentials look expired. Should AWS still
answer that the token expired (`ExpiredTokenException`), the gateway renews the credentials at
once and sends the call again (`RoleSession.renew`); calls signed with credentials already
replaced do not cause another AssumeRole (each hand-out is a numbered generation).

A refresh happens while aiobotocore signs a call. When STS fails it (down, throttling, after the
Deployer's RetryPolicy has retried it), the call goes on with the credentials in hand as long as
they are valid (STS is asked again after the policy's longest wait, not by every call); once
they have expired, the call fails with a transient `AwsUnavailableError` or `ThrottledError`,
which a watch waits out and a rollback retries until its deadline like any other AWS outage.

A role that cannot be assumed (access denied, a malformed ARN, a wrong external id) is bad
input found before anything is changed (`AssumeRoleError`, exit 2); STS being down or
throttling when the role is first assumed is an AWS failure before any change
(`NothingChangedError`, exit 1).
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aioboto3
import anyio
import structlog
from aiobotocore.credentials import AioRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from ecsdeploy._aws_session import new_botocore_session, new_session
from ecsdeploy._gateway import is_transient, map_error
from ecsdeploy._models import account_of_role
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.exceptions import (
    AssumeRoleError,
    AwsError,
    AwsUnavailableError,
    NothingChangedError,
    ThrottledError,
)

__all__ = [
    "DEFAULT_SESSION_SECONDS",
    "Role",
    "RoleSession",
    "RoleSessions",
    "role_session_name",
]

logger = structlog.get_logger("ecsdeploy")

#: STS's default session length; a watch longer than this is carried by refreshes.
DEFAULT_SESSION_SECONDS = 3600
#: How long an STS outage (after retries) answers for the role without asking STS again.
OUTAGE_MEMORY = 60.0
#: STS's bounds on DurationSeconds.
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 43200

# STS's patterns are Java's, where `\w` is ASCII only (Python's would take any letter).
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
#: AssumeRole's RoleSessionName: 2 to 64 of `[\w+=,.@-]`.
_SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]", re.ASCII)
_SESSION_NAME_MAX = 64
#: ExternalId: 2 to 1224 of `[\w+=,.@:/-]`.
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)


def role_session_name(label: str) -> str:
    """``ecsdeploy-<label>`` in AssumeRole's charset and length (what CloudTrail shows);
    accented letters lose their accents ("été" is "ete"), other characters become '-'."""
    unaccented = unicodedata.normalize("NFKD", label.strip()).encode("ascii", "ignore").decode()
    cleaned = _SESSION_NAME_CHARS.sub("-", unaccented) or "deploy"
    return f"ecsdeploy-{cleaned}"[:_SESSION_NAME_MAX]


@dataclass(frozen=True, slots=True)
class Role:
    """A role to deploy with, and the external id its trust policy may ask for."""

    arn: str
    external_id: str | None = None

    @property
    def account(self) -> str | None:
        return account_of_role(self.arn)

    def check(self) -> None:
        """Raise AssumeRoleError for an ARN or external id STS would refuse to even look at."""
        if not _ROLE_ARN.fullmatch(self.arn):
            raise AssumeRoleError(
                f"role_arn {self.arn!r} is not an IAM role ARN "
                "(arn:aws:iam::123456789012:role/NAME)"
            )
        if self.external_id is not None and not _EXTERNAL_ID.fullmatch(self.external_id):
            raise AssumeRoleError(
                f"external_id for {self.arn} must be 2 to 1224 of letters, digits and +=,.@:/-"
            )


class _RoleCredentials(AioRefreshableCredentials):
    """Refreshable credentials that can also be told they expired (by an AWS answer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expired = False

    def refresh_needed(self, refresh_in: int | None = None) -> bool:
        return self.expired or bool(super().refresh_needed(refresh_in))

    @property
    def valid(self) -> bool:
        """Not expired: neither on our clock nor by AWS's word."""
        return not self.refresh_needed(0)


class RoleSession:
    """The assumed role's aioboto3 session for one region, refreshed as it nears expiry."""

    def __init__(
        self,
        role: Role,
        *,
        region: str,
        sts: Any,
        session_name: str,
        duration: int,
        retry: RetryPolicy,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.role = role
        self.region = region
        self.session_name = session_name
        self._sts = sts
        self._duration = duration
        self._retry = retry
        self._clock = clock or _wall_clock
        self._credentials: _RoleCredentials | None = None
        #: The credentials in hand, as the refresh hands them to aiobotocore.
        self._metadata: dict[str, str] = {}
        #: The last refresh's failure, and until when (our clock) it stands without asking STS.
        self._refresh_failure: tuple[AssumeRoleError | AwsError, float] | None = None
        #: How many times STS handed out credentials for this session (the first included):
        #: the generation of the credentials in use.
        self.assumed = 0
        self.session: aioboto3.Session | None = None

    @property
    def generation(self) -> int:
        return self.assumed

    async def open(self) -> None:
        """Assume the role the first time (errors here are what validation reports: a refusal
        is AssumeRoleError, an outage NothingChangedError)."""
        try:
            metadata = await self._assume()
        except (AwsUnavailableError, ThrottledError) as exc:
            raise NothingChangedError(
                f"{exc}; nothing changed", code=exc.code, operation=exc.operation
            ) from exc
        self._metadata = metadata
        self._credentials = _RoleCredentials(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=datetime.datetime.fromisoformat(metadata["expiry_time"]),
            refresh_using=self._refresh,
            method="assume-role",
            time_fetcher=self._clock,
            advisory_timeout=min(15 * 60, self._duration // 4),
            mandatory_timeout=min(10 * 60, self._duration // 6),
        )
        botocore_session = new_botocore_session()
        # set_credentials() only takes static credentials; refreshable ones go where the
        # session's credential chain would put its own.
        botocore_session._credentials = self._credentials  # type: ignore[attr-defined]
        self.session = new_session(botocore_session=botocore_session, region_name=self.region)

    async def renew(self, generation: int) -> None:
        """AWS said the token of `generation` expired: the next call gets new credentials.
        Concurrent callers that saw the same expiry cause one refresh, not one each."""
        if self._credentials is None or generation != self.generation:
            return
        logger.info(
            "ecsdeploy.credentials.expired",
            role=self.role.arn,
            region=self.region,
            generation=generation,
        )
        self._credentials.expired = True

    async def _refresh(self) -> dict[str, str]:
        """New credentials for aiobotocore, which calls this while signing a call as the ones in
        hand near their expiry. When STS fails (after retries): the ones in hand while they are
        valid, else the failure, for the call to fail with; STS is left alone for the retry
        policy's longest wait after a failure, so that calls meanwhile do not each wait out
        another round of retries."""
        failure = self._refresh_failure
        if failure is None or self._clock().timestamp() >= failure[1]:
            try:
                metadata = await self._assume()
            except (AssumeRoleError, AwsUnavailableError, ThrottledError) as exc:
                failure = self._refresh_failure = (
                    exc,
                    self._clock().timestamp() + self._retry.max_wait,
                )
                logger.warning(
                    "ecsdeploy.credentials.refresh_failed",
                    role=self.role.arn,
                    region=self.region,
                    error=str(exc),
                    kept_valid_credentials=self._valid(),
                )
            else:
                self._refresh_failure = None
                self._metadata = metadata
                if self._credentials is not None:
                    self._credentials.expired = False
                logger.info(
                    "ecsdeploy.credentials.refreshed", role=self.role.arn, region=self.region
                )
                return metadata
        if self._valid():
            return dict(self._metadata)
        raise _again(failure[0])

    def _valid(self) -> bool:
        return self._credentials is not None and self._credentials.valid

    async def _assume(self) -> dict[str, str]:
        kwargs: dict[str, Any] = {
            "RoleArn": self.role.arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self._duration,
        }
        if self.role.external_id is not None:
            kwargs["ExternalId"] = self.role.external_id
        asked_at = self._clock().timestamp()

        async def assume_role() -> Any:
            return await self._sts.assume_role(**kwargs)

        try:
            response = await self._retry.call("AssumeRole", assume_role, is_transient=is_transient)
        except (ClientError, BotoCoreError) as exc:
            message = f"could not assume role {self.role.arn}: {exc}"
            if not is_transient(exc):
                raise AssumeRoleError(message) from exc
            mapped = map_error(exc, "AssumeRole")
            code = mapped.code if isinstance(mapped, AwsError) else type(exc).__name__
            outage = ThrottledError if isinstance(mapped, ThrottledError) else AwsUnavailableError
            raise outage(message, code=code, operation="AssumeRole") from exc
        credentials = response["Credentials"]
        self.assumed += 1
        expiry = datetime.datetime.fromtimestamp(asked_at + self._duration, tz=datetime.UTC)
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": expiry.isoformat(),
        }


def _again(error: AssumeRoleError | AwsError) -> AssumeRoleError | AwsError:
    """A fresh copy of a remembered failure to raise (raising one object again and again would
    pile every raise's traceback onto it)."""
    if isinstance(error, AwsError):
        return type(error)(str(error), code=error.code, operation=error.operation)
    return type(error)(str(error))


def _wall_clock() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class RoleSessions:
    """One `RoleSession` per (role, external id, region), made on first use and shared."""

    def __init__(
        self,
        base: aioboto3.Session,
        stack: AsyncExitStack,
        *,
        sts_endpoint_url: str | None = None,
        duration: int = DEFAULT_SESSION_SECONDS,
        retry: RetryPolicy | None = None,
        client_config: Any = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        if not MIN_SESSION_SECONDS <= duration <= MAX_SESSION_SECONDS:
            raise ValueError(
                f"a role session lasts {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} s, "
                f"not {duration}"
            )
        self._base = base
        self._stack = stack
        self._sts_endpoint_url = sts_endpoint_url
        self._duration = duration
        self._retry = retry or RetryPolicy()
        self._client_config = client_config
        #: The wall clock refreshes are timed on (tests move it).
        self._clock = clock
        self._sessions: dict[tuple[Role, str], RoleSession] = {}
        #: A role that could not be assumed is not asked again for every target that names it:
        #: a refusal stands; an outage (retried already) for OUTAGE_MEMORY seconds.
        self._failures: dict[tuple[Role, str], tuple[Exception, float]] = {}
        #: One lock per (role, region): its targets wait for its one AssumeRole, while other
        #: roles (200 targets of 5 roles) assume theirs at the same time.
        self._locks: dict[tuple[Role, str], anyio.Lock] = {}

    @property
    def sessions(self) -> tuple[RoleSession, ...]:
        return tuple(self._sessions.values())

    async def session(self, role: Role, region: str, *, label: str) -> RoleSession:
        """The role's session in `region`; the first call assumes the role (named `label`)."""
        role.check()
        async with self._locks.setdefault((role, region), anyio.Lock()):
            failure = self._failures.get((role, region))
            if failure is not None:
                error, until = failure
                if anyio.current_time() < until:
                    raise error
                del self._failures[(role, region)]
            session = self._sessions.get((role, region))
            if session is None:
                options: dict[str, Any] = {"region_name": region}
                if self._sts_endpoint_url:
                    options["endpoint_url"] = self._sts_endpoint_url
                if self._client_config is not None:
                    options["config"] = self._client_config
                sts = await self._stack.enter_async_context(self._base.client("sts", **options))
                session = RoleSession(
                    role,
                    region=region,
                    sts=sts,
                    session_name=role_session_name(label),
                    duration=self._duration,
                    retry=self._retry,
                    clock=self._clock,
                )
                try:
                    await session.open()
                except AssumeRoleError as exc:
                    self._failures[(role, region)] = (exc, math.inf)
                    raise
                except NothingChangedError as exc:
                    until = anyio.current_time() + OUTAGE_MEMORY
                    self._failures[(role, region)] = (exc, until)
                    raise
                self._sessions[(role, region)] = session
                logger.info(
                    "ecsdeploy.credentials.assumed",
                    role=role.arn,
                    region=region,
                    session_name=session.session_name,
                )
            return session
