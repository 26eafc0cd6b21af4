"""STS's AssumeRole and GetCallerIdentity over the identities the simulator keeps.

"AssumeRole" (STS API reference): the session lasts DurationSeconds (default 3600, at most the
role's MaxSessionDuration), its credentials are an ``ASIA…`` access key, a secret key and a
session token, and the assumed-role user is ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``.
Expirations are simulated time, so a test ends a session with `Simulator.advance`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._sts.identities import (
    DEFAULT_SESSION_SECONDS,
    IdentityRegistry,
    access_denied,
)
from ecsdeploy.sim._wire.services import Caller, invalid_action

_ROLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]+)$"
)

#: RoleSessionName: 2 to 64 of these, ASCII only (STS's `\w` is Java's, not Unicode's).
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


def validation_error(message: str) -> EcsApiError:
    return EcsApiError("ValidationError", message)


class StsBackend:
    """AssumeRole and GetCallerIdentity; `now` is the simulated clock."""

    operations = frozenset({"AssumeRole", "GetCallerIdentity"})

    def __init__(self, identities: IdentityRegistry, *, now: Callable[[], float]) -> None:
        self._identities = identities
        self._now = now

    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]:
        if operation == "AssumeRole":
            return self._assume_role(params, caller)
        if operation == "GetCallerIdentity":
            return self._caller_identity(caller)
        raise invalid_action(operation)

    def caller_arn(self, caller: Caller) -> str:
        return self._identities.arn_of(caller.access_key_id)

    def _assume_role(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        role_arn = str(params["RoleArn"])
        match = _ROLE_ARN.match(role_arn)
        if match is None:
            raise validation_error(f"{role_arn} is not a valid role ARN.")
        session_name = str(params["RoleSessionName"])
        if not _SESSION_NAME.fullmatch(session_name):
            raise validation_error(
                f"1 validation error detected: Value '{session_name}' at 'roleSessionName' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\w+=,.@-]*"
            )
        config = self._identities.role(role_arn)
        if not config.assumable or (
            config.external_id is not None and params.get("ExternalId") != config.external_id
        ):
            raise access_denied(self.caller_arn(caller), role_arn)
        duration = int(params.get("DurationSeconds") or DEFAULT_SESSION_SECONDS)
        if duration > config.max_session_duration:
            raise validation_error(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        lifetime = self._identities.session_lifetime
        session = self._identities.new_session(
            role_arn=role_arn,
            account=match.group("account"),
            role_name=match.group("name"),
            session_name=session_name,
            expiration=self._now() + (duration if lifetime is None else lifetime),
        )
        return {
            "Credentials": {
                "AccessKeyId": session.access_key_id,
                "SecretAccessKey": session.secret_access_key,
                "SessionToken": session.session_token,
                "Expiration": session.expiration,
            },
            "AssumedRoleUser": {
                "AssumedRoleId": f"{session.role_id}:{session.session_name}",
                "Arn": session.assumed_role_arn,
            },
        }

    def _caller_identity(self, caller: Caller) -> dict[str, Any]:
        session = self._identities.session(caller.access_key_id)
        if session is not None:
            user_id = f"{session.role_id}:{session.session_name}"
        else:
            digest = hashlib.sha256(caller.access_key_id.encode()).hexdigest().upper()
            user_id = "AIDA" + digest[:17]
        return {"UserId": user_id, "Account": caller.account, "Arn": self.caller_arn(caller)}
