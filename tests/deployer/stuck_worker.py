"""Two services for the release tests: `api`, and `worker` with a deployment that never turns
healthy, so the release's later stage times out and rolls back."""

from __future__ import annotations

from ecsdeploy import DeploySettings, ImageChange, Target
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, POLL_INTERVAL, EcsServices

#: An image whose tasks stay unhealthy for a simulated hour.
STUCK = "myorg/nginx:stuck"


async def api_and_stuck_worker(
    ecs_services: EcsServices, sim: Simulator, *, worker_timeout: float
) -> tuple[str, Target]:
    """Steady services `api` and `worker` (one task each); `api`'s revision, and a Target moving
    `worker` to STUCK that times out after `worker_timeout` s (30 s to roll back)."""
    api = await ecs_services.create("api", desired=1)
    await ecs_services.create("worker", desired=1)
    sim.add_rule({"image": STUCK, "behavior": "slow_start", "seconds": 3600})
    stuck = Target(
        CLUSTER,
        "worker",
        [ImageChange("nginx", STUCK)],
        settings=DeploySettings(
            timeout=worker_timeout, poll_interval=POLL_INTERVAL, rollback_timeout=30
        ),
    )
    return api, stuck
