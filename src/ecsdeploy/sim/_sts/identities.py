"""Which account each request belongs to, and the role sessions STS handed out.

Credentials AssumeRole returned belong to the role's account (the account in its ARN) until the
session's simulated expiration; after that every service refuses them with
``ExpiredTokenException``. Any other access key belongs to `DEFAULT_ACCOUNT`, as an IAM user's
long-term key would. Roles need no creating: every well-formed role ARN can be assumed unless a
test configures it otherwise (`RoleConfig`: refused, or requiring an external id), since the
simulator has no IAM.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID
from ecsdeploy.sim._wire.protocol import expired_token_error
from ecsdeploy.sim._wire.services import Caller

DEFAULT_ACCOUNT = ACCOUNT_ID
"""The account of every access key STS did not hand out."""

DEFAULT_USER = "ecsdeploy-sim"
"""The IAM user every access key STS did not hand out stands for."""

DEFAULT_SESSION_SECONDS = 3600
"""AssumeRole's DurationSeconds default and a role's default MaxSessionDuration."""

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True, slots=True)
class RoleConfig:
    """How STS treats one role: `assumable` False refuses it (AccessDenied); `external_id`
    must then be given exactly; `max_session_duration` caps DurationSeconds."""

    assumable: bool = True
    external_id: str | None = None
    max_session_duration: int = DEFAULT_SESSION_SECONDS


@dataclass(frozen=True, slots=True)
class Session:
    """Credentials AssumeRole handed out."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    account: str
    role_arn: str
    role_name: str
    session_name: str
    role_id: str

    @property
    def assumed_role_arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


def parse_role_rule(rule: Mapping[str, Any]) -> tuple[str, RoleConfig]:
    """(role ARN, config) of a control-API role rule
    ``{"role": ARN, "assumable": false, "external_id": "...", "max_session_duration": 3600}``;
    ValueError says what is wrong."""
    unknown = set(rule) - {"role", "assumable", "external_id", "max_session_duration"}
    if unknown:
        raise ValueError(f"unknown key(s) for a role rule: {', '.join(sorted(unknown))}")
    role_arn = rule.get("role")
    if not isinstance(role_arn, str) or not role_arn.startswith("arn:"):
        raise ValueError("a role rule needs 'role', the role's ARN")
    assumable = rule.get("assumable", True)
    if not isinstance(assumable, bool):
        raise ValueError(f"'assumable' must be true or false, not {assumable!r}")  # noqa: TRY004
    external_id = rule.get("external_id")
    if external_id is not None and not isinstance(external_id, str):
        raise ValueError(f"'external_id' must be a string, not {external_id!r}")
    duration = rule.get("max_session_duration", DEFAULT_SESSION_SECONDS)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 900:
        raise ValueError(f"'max_session_duration' must be an integer >= 900, not {duration!r}")
    return role_arn, RoleConfig(assumable, external_id, duration)


def access_denied(caller_arn: str, role_arn: str) -> EcsApiError:
    """STS's refusal, word for word (also its answer for a role that does not exist)."""
    return EcsApiError(
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        status=403,
    )


class IdentityRegistry:
    """Access keys → accounts, role sessions with their expirations, role configurations.

    `session_lifetime`, when set, makes every new session last that many simulated seconds
    whatever DurationSeconds asked for (STS's minimum is 900 s; tests of credential refresh
    want shorter).
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._random = random.Random(None if seed is None else f"sts:{seed}")
        self._sessions: dict[str, Session] = {}
        self._roles: dict[str, RoleConfig] = {}
        self.session_lifetime: float | None = None

    def reset(self) -> None:
        self._sessions.clear()
        self._roles.clear()
        self.session_lifetime = None

    def clear_roles(self) -> None:
        """Every role assumable again, with no external id required."""
        self._roles.clear()

    def configure_role(self, role_arn: str, config: RoleConfig) -> None:
        self._roles[role_arn] = config

    def add_role_rule(self, rule: Mapping[str, Any]) -> None:
        """A control-API role rule (see `parse_role_rule`)."""
        self.configure_role(*parse_role_rule(rule))

    def role(self, role_arn: str) -> RoleConfig:
        return self._roles.get(role_arn) or RoleConfig()

    def session(self, access_key_id: str | None) -> Session | None:
        return self._sessions.get(access_key_id or "")

    def account_of(self, access_key_id: str | None) -> str:
        """The account `access_key_id` belongs to (expired sessions included)."""
        session = self.session(access_key_id)
        return session.account if session is not None else DEFAULT_ACCOUNT

    def arn_of(self, access_key_id: str | None) -> str:
        """The principal `access_key_id` signs as: the assumed role's session, else the
        default account's IAM user."""
        session = self.session(access_key_id)
        if session is not None:
            return session.assumed_role_arn
        return f"arn:aws:iam::{DEFAULT_ACCOUNT}:user/{DEFAULT_USER}"

    def caller(self, access_key_id: str | None, *, now: float) -> Caller:
        """Who signed with `access_key_id`; ExpiredTokenException for a session past its end."""
        session = self.session(access_key_id)
        if session is not None and now >= session.expiration:
            raise expired_token_error()
        return Caller(
            access_key_id or "", self.account_of(access_key_id), self.arn_of(access_key_id)
        )

    def new_session(
        self, *, role_arn: str, account: str, role_name: str, session_name: str, expiration: float
    ) -> Session:
        session = Session(
            access_key_id="ASIA" + self._draw(_KEY_ALPHABET, 16),
            secret_access_key=self._draw(_SECRET_ALPHABET, 40),
            session_token="FwoGZXIvYXdzE" + self._draw(_SECRET_ALPHABET, 300),
            expiration=expiration,
            account=account,
            role_arn=role_arn,
            role_name=role_name,
            session_name=session_name,
            role_id=self.role_id(role_arn),
        )
        self._sessions[session.access_key_id] = session
        return session

    def role_id(self, role_arn: str) -> str:
        """A stable unique id per role ("AROA" and 17 characters, as IAM gives roles)."""
        drawn = random.Random(f"role:{role_arn}")
        return "AROA" + "".join(drawn.choices(_KEY_ALPHABET, k=17))

    def _draw(self, alphabet: str, length: int) -> str:
        return "".join(self._random.choices(alphabet, k=length))
