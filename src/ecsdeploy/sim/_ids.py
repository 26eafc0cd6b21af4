"""Deterministic identifiers and ARNs for simulated ECS resources."""

from __future__ import annotations

import random
import string
import uuid

ACCOUNT_ID = "123456789012"
_SERVICE_DEPLOYMENT_ALPHABET = string.ascii_letters + string.digits + "-_"


class IdFactory:
    """Every random identifier the simulator hands out, drawn from one seeded generator.

    A fixed seed makes a whole simulation (task ids, deployment ids, event ids) reproducible.
    """

    __slots__ = ("_random",)

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)

    def task_id(self) -> str:
        """32 lowercase hex digits, like Fargate task ids."""
        return f"{self._random.getrandbits(128):032x}"

    def deployment_id(self) -> str:
        """`ecs-svc/` and 19 digits, the form ECS gives rolling-update deployments."""
        return f"ecs-svc/{self._random.randrange(10**18, 10**19)}"

    def revision_id(self) -> str:
        """Numeric id of a service revision."""
        return str(self._random.randrange(10**18, 10**19))

    def service_deployment_id(self) -> str:
        """22 URL-safe characters, the form of the last part of a service-deployment ARN."""
        return "".join(self._random.choices(_SERVICE_DEPLOYMENT_ALPHABET, k=22))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def arn(region: str, resource: str) -> str:
    return f"arn:aws:ecs:{region}:{ACCOUNT_ID}:{resource}"


def name_of(name_or_arn: str) -> str:
    """The short name in a name-or-ARN parameter (ECS accepts either everywhere)."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.rsplit("/", 1)[-1]
    return name_or_arn
