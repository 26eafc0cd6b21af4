"""Registering new revisions: one per distinct input, serialized per family, never twice.

ECS refuses concurrent registrations of one family, and services that share a family and receive
the same changes should share one revision rather than create near-identical ones.

RegisterTaskDefinition is not idempotent: a call whose answer was lost (timeout, dropped
connection, 5xx) may have registered a revision anyway. Each registration carries a unique token
tag; before registering again, the family's newest revisions are searched for it for a while.
A revision already at ECS's 50-tag limit has no room for the token, and a caller without
ecs:TagResource may not tag an untagged revision: those are registered untagged, and a lost
answer is looked for as a newest revision with exactly the same content.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import structlog

from ecsdeploy._gateway import EcsGateway
from ecsdeploy._taskdef.revision import REGISTRATION_TOKEN_TAG, diff_revisions
from ecsdeploy.exceptions import AccessDeniedError, AwsUnavailableError, EcsDeployError

__all__ = ["Registrar"]

logger = structlog.get_logger("ecsdeploy")

#: Registration attempts whose answer was lost before giving up.
REGISTER_ATTEMPTS = 4
#: How long a lost registration is looked for (it may still be landing), and how often.
SETTLE_SECONDS = 3.0
LOOK_INTERVAL = 0.25
#: Newest revisions of the family searched for the token (others may register meanwhile).
REVISIONS_SEARCHED = 3
#: ECS's limit on the tags of one resource (the token must not push a revision over it).
MAX_TAGS = 50


class Registrar:
    """Shared by every deployment of a Deployer."""

    def __init__(self) -> None:
        # Keyed by account and region: a revision is registered where its service is.
        self._family_locks: dict[tuple[str | None, str, str], anyio.Lock] = {}
        self._revisions: dict[tuple[str | None, str, str], str] = {}
        self._users: dict[str, set[int]] = {}

    async def register(
        self, gateway: EcsGateway, register_input: Mapping[str, Any], *, user: object
    ) -> str:
        """The ARN of a revision with exactly this input, registering it if needed."""
        family = str(register_input["family"])
        where = (gateway.account, gateway.region)
        key = (*where, json.dumps(register_input, sort_keys=True, default=str))
        lock = self._family_locks.setdefault((*where, family), anyio.Lock())
        async with lock:
            arn = self._revisions.get(key)
            if arn is None:
                arn = await _register_once(gateway, register_input)
                self._revisions[key] = arn
            else:
                logger.info("ecsdeploy.register.shared", task_definition=arn)
            self._users.setdefault(arn, set()).add(id(user))
            return arn

    async def abandon(self, gateway: EcsGateway, arn: str, *, user: object) -> None:
        """`user` abandons `arn` (its deployment did not land); deregistered once unused."""
        users = self._users.get(arn, set())
        users.discard(id(user))
        if users:
            return
        self._users.pop(arn, None)
        self._revisions = {k: v for k, v in self._revisions.items() if v != arn}
        try:
            await gateway.deregister_task_definition(arn)
        except EcsDeployError as exc:
            logger.warning("ecsdeploy.deregister.failed", task_definition=arn, error=str(exc))
        else:
            logger.info("ecsdeploy.deregister.done", task_definition=arn)


async def _register_once(gateway: EcsGateway, register_input: Mapping[str, Any]) -> str:
    """Register `register_input` exactly once, even when answers are lost on the way."""
    tags = list(register_input.get("tags", []))
    if len(tags) >= MAX_TAGS:
        # No room for the token: the same content is the best sign of our lost registration.
        logger.info("ecsdeploy.register.untagged", reason=f"the revision has {len(tags)} tags")
        return await _register_untagged(gateway, register_input)
    token = uuid.uuid4().hex
    tagged = dict(register_input)
    tagged["tags"] = [*tags, {"key": REGISTRATION_TOKEN_TAG, "value": token}]

    def is_ours(described: Mapping[str, Any]) -> bool:
        found = {t.get("key"): t.get("value") for t in described.get("tags") or ()}
        return found.get(REGISTRATION_TOKEN_TAG) == token

    try:
        return await _register_until_answered(gateway, tagged, is_ours)
    except AccessDeniedError as exc:
        # Tagging on create is authorized as ecs:TagResource. A caller without it could deploy
        # an untagged revision before the token existed, and still can.
        if tags or "TagResource" not in str(exc):
            raise
        logger.warning("ecsdeploy.register.untagged", reason=f"tagging is not allowed: {exc}")
        return await _register_untagged(gateway, register_input)


async def _register_untagged(gateway: EcsGateway, register_input: Mapping[str, Any]) -> str:
    def is_ours(described: Mapping[str, Any]) -> bool:
        return not diff_revisions(described, register_input)

    return await _register_until_answered(gateway, register_input, is_ours)


async def _register_until_answered(
    gateway: EcsGateway,
    register_input: Mapping[str, Any],
    is_ours: Callable[[Mapping[str, Any]], bool],
) -> str:
    """Register, looking for a lost answer's revision (`is_ours`) before registering again."""
    family = str(register_input["family"])
    for attempt in range(1, REGISTER_ATTEMPTS + 1):
        try:
            registered = await gateway.register_task_definition(dict(register_input), retry=False)
        except AwsUnavailableError as exc:
            logger.warning(
                "ecsdeploy.register.answer_lost", family=family, attempt=attempt, error=str(exc)
            )
            if attempt == REGISTER_ATTEMPTS:
                raise
            found = await _find_lost(gateway, family, is_ours)
            if found is not None:
                logger.info("ecsdeploy.register.found_lost_revision", task_definition=found)
                return found
            continue
        return str(registered["taskDefinitionArn"])
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def _find_lost(
    gateway: EcsGateway, family: str, is_ours: Callable[[Mapping[str, Any]], bool]
) -> str | None:
    """The revision a lost call registered, looked for while it may still land."""
    with anyio.move_on_after(SETTLE_SECONDS):
        while True:
            try:
                newest = await gateway.describe_task_definition_now(family)
                revision = int(newest["taskDefinition"]["revision"])
                for number in range(revision, max(revision - REVISIONS_SEARCHED, 0), -1):
                    described = (
                        newest
                        if number == revision
                        else await gateway.describe_task_definition_now(f"{family}:{number}")
                    )
                    if is_ours(described):
                        return str(described["taskDefinition"]["taskDefinitionArn"])
            except EcsDeployError as exc:
                logger.info("ecsdeploy.register.look_failed", family=family, error=str(exc))
            await anyio.sleep(LOOK_INTERVAL)
    return None
