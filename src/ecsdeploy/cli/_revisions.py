"""Which revision `ecsdeploy rollback` returns a service to."""

from __future__ import annotations

from ecsdeploy._gateway import EcsGateway
from ecsdeploy.exceptions import InputError, TaskDefinitionNotFoundError

__all__ = ["family_and_revision", "previous_active_revision", "rollback_revision"]


def family_and_revision(task_definition: str) -> tuple[str, int]:
    """`arn:...:task-definition/web:7` or `web:7` → ("web", 7)."""
    name = task_definition.rsplit("/", 1)[-1]
    family, _, revision = name.rpartition(":")
    if not family or not revision.isdigit():
        raise InputError(f"{task_definition!r} is not a task definition revision (family:N)")
    return family, int(revision)


async def previous_active_revision(gateway: EcsGateway, current: str) -> str:
    """The newest ACTIVE revision of `current`'s family older than it.

    Walks down `family:N-1`, `N-2`, … skipping INACTIVE (deregistered) and deleted revisions;
    a service's recent past is a few revisions back, so this costs a few calls.
    """
    family, revision = family_and_revision(current)
    for older in range(revision - 1, 0, -1):
        try:
            described = await gateway.describe_task_definition(f"{family}:{older}")
        except TaskDefinitionNotFoundError:
            continue
        task_definition = described["taskDefinition"]
        if task_definition.get("status", "ACTIVE") == "ACTIVE":
            return str(task_definition["taskDefinitionArn"])
    raise InputError(
        f"no ACTIVE revision of {family!r} older than {family}:{revision}; "
        "name the one to return to with --to"
    )


async def rollback_revision(gateway: EcsGateway, current: str, to: str | None) -> str:
    """The ARN to roll back to: `to` (ARN, `family:revision` or a bare revision number of the
    current family), or else the previous ACTIVE revision."""
    if to is None:
        return await previous_active_revision(gateway, current)
    if to.isdigit():
        family, _ = family_and_revision(current)
        to = f"{family}:{to}"
    described = await gateway.describe_task_definition(to)
    arn = str(described["taskDefinition"]["taskDefinitionArn"])
    if arn == current:
        raise InputError(f"the service already runs {arn}; nothing to roll back to")
    return arn
