"""Test your release scripts and custom health checks against the bundled ECS simulator.

A pytest plugin: enable it with ``pytest -p ecsdeploy.testing`` (or
``pytest_plugins = ["ecsdeploy.testing"]`` in your top-level conftest.py). Fixtures:

- ``ecs_simulator``: a running `ecsdeploy.sim.Simulator` on a fast clock;
- ``ecs_client``: an aioboto3 ECS client to it, for arranging state;
- ``ecs_services``: `EcsServices`, which creates steady services and reads them back;
- ``ecs_deployer``: an open `ecsdeploy.Deployer` pointed at the simulator.

Builders for unit-testing a `HealthCheck` without any server: `observation`, `deployment`,
`stopped_task`.
"""

from __future__ import annotations

from ecsdeploy._public import publish as _publish
from ecsdeploy.testing._observations import (
    OLD_DEPLOYMENT_ID,
    OUR_DEPLOYMENT_ID,
    deployment,
    observation,
    stopped_task,
)
from ecsdeploy.testing._plugin import (
    CLUSTER,
    POLL_INTERVAL,
    REGION,
    SPEED,
    EcsServices,
    anyio_backend,
    ecs_client,
    ecs_deployer,
    ecs_services,
    ecs_simulator,
    offline_session,
)

# Sorted case-insensitively (tests/test_package.py checks it), not in ruff's isort order.
__all__ = [  # noqa: RUF022
    "anyio_backend",
    "CLUSTER",
    "deployment",
    "ecs_client",
    "ecs_deployer",
    "ecs_services",
    "ecs_simulator",
    "EcsServices",
    "observation",
    "offline_session",
    "OLD_DEPLOYMENT_ID",
    "OUR_DEPLOYMENT_ID",
    "POLL_INTERVAL",
    "REGION",
    "SPEED",
    "stopped_task",
]

_publish(globals(), __all__, __name__)
