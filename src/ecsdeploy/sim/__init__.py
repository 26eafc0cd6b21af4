"""The bundled ECS simulator: ECS's wire protocol, real deployment dynamics, a speed-up clock;
with the ELBv2, CloudWatch and STS APIs a deployment needs around ECS, on the same port.

Any AWS client talks to it through ``endpoint_url`` (or ``AWS_ENDPOINT_URL_ECS``,
``AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2``, ``AWS_ENDPOINT_URL_CLOUDWATCH``,
``AWS_ENDPOINT_URL_STS``, or ``AWS_ENDPOINT_URL`` for all)::

    async with Simulator(speed=50) as sim:
        async with aioboto3.Session().client("ecs", **sim.client_kwargs()) as ecs:
            await ecs.create_cluster(clusterName="demo")
            await sim.advance(60)

The library never imports this package; only the ``sim``/``demo`` commands and tests do.
"""

from __future__ import annotations

from ecsdeploy._public import publish as _publish
from ecsdeploy.sim._api.backend import EcsBackend
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._simulator import STALE_HISTORY_VARIABLE, START_BEHIND_VARIABLE, Simulator

# Sorted case-insensitively (tests/test_package.py checks it), not in ruff's isort order.
__all__ = [  # noqa: RUF022
    "EcsBackend",
    "SimClock",
    "Simulator",
    "STALE_HISTORY_VARIABLE",
    "START_BEHIND_VARIABLE",
    "Timings",
]

_publish(globals(), __all__, __name__)
