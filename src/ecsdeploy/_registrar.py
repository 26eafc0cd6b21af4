"""Registering new revisions: one per distinct input, serialized per family.

ECS refuses concurrent registrations of one family, and services that share a family and receive
the same changes should share one revision rather than create near-identical ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio
import structlog

from ecsdeploy._gateway import EcsGateway
from ecsdeploy.exceptions import EcsDeployError

__all__ = ["Registrar"]

logger = structlog.get_logger("ecsdeploy")


class Registrar:
    """Shared by every deployment of a Deployer."""

    def __init__(self) -> None:
        self._family_locks: dict[tuple[str, str], anyio.Lock] = {}
        self._revisions: dict[tuple[str, str], str] = {}
        self._users: dict[str, set[int]] = {}

    async def register(
        self, gateway: EcsGateway, register_input: Mapping[str, Any], *, user: object
    ) -> str:
        """The ARN of a revision with exactly this input, registering it if needed."""
        family = str(register_input["family"])
        key = (gateway.region, json.dumps(register_input, sort_keys=True, default=str))
        lock = self._family_locks.setdefault((gateway.region, family), anyio.Lock())
        async with lock:
            arn = self._revisions.get(key)
            if arn is None:
                registered = await gateway.register_task_definition(dict(register_input))
                arn = str(registered["taskDefinitionArn"])
                self._revisions[key] = arn
            else:
                logger.info("ecsdeploy.register.shared", task_definition=arn)
            self._users.setdefault(arn, set()).add(id(user))
            return arn

    async def release(self, gateway: EcsGateway, arn: str, *, user: object) -> None:
        """`user` no longer needs `arn`; deregister it once nobody does."""
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
