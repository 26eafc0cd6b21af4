"""Service-deployment record reads in the poll tick: one lookup for concurrent readers, and a
slow read holds up no other service's observation."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from ecsdeploy import Deployer, Target
from ecsdeploy._deployer import gateway_of
from ecsdeploy._observer import ClusterObserver
from ecsdeploy._service_deployments import RecordTracker, refresh_records
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices

REGION = "us-east-2"
ROLE = "arn:aws:iam::210987654321:role/ecsdeploy"
#: Nothing listens on the discard port: an AssumeRole sent there fails.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _clean_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECS",
        "AWS_ENDPOINT_URL_STS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.anyio
async def test_concurrent_record_reads_make_one_lookup_not_two(
    ecs_simulator: Simulator, ecs_services: EcsServices, ecs_deployer: Deployer
) -> None:
    """The tick's record read and the records loop looking up the same record at one moment
    make one ListServiceDeployments, counted once towards MAX_LOOKUPS (two halved its minute)."""
    await ecs_services.create()
    gateway = await gateway_of(ecs_deployer)
    # Created an hour from now: no record is listed for it, every lookup misses.
    tracker = RecordTracker(created_at=ecs_simulator.clock.now() + 3600, wanted=True)
    before = ecs_simulator.stats()["calls"].get("ListServiceDeployments", 0)
    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(refresh_records, gateway, CLUSTER, {tracker: "webapp"})
    after = ecs_simulator.stats()["calls"].get("ListServiceDeployments", 0)
    assert (tracker.lookups, after - before) == (1, 1)


@pytest.mark.anyio
async def test_one_services_slow_record_read_does_not_hold_other_watches(
    ecs_simulator: Simulator, ecs_services: EcsServices, ecs_deployer: Deployer
) -> None:
    """While the tick reads one deployment's record (its service-deployment API hangs), the
    other services' observations of that tick are already published."""
    await ecs_services.create("webapp")
    await ecs_services.create("api")
    api = await ecs_services.describe("api")
    gateway = await gateway_of(ecs_deployer)
    observer = ClusterObserver(gateway, CLUSTER)
    # webapp's watched deployment is not listed: its record is wanted at once (and hangs).
    tracker = RecordTracker(created_at=ecs_simulator.clock.now())
    observer.watch(Target(CLUSTER, "webapp"), "ecs-svc/0", poll_interval=5, records=tracker)
    ours = str(api["deployments"][0]["id"])
    other = observer.watch(Target(CLUSTER, "api"), ours, poll_interval=5)
    ecs_simulator.add_rule(
        {
            "operation": "ListServiceDeployments",
            "error": "latency",
            "seconds": 10**7,
            "clock": "simulated",
        }
    )
    tick_done = anyio.Event()

    async def tick() -> None:
        await observer.tick()
        tick_done.set()

    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        observation = await other.next()
        assert observation.deployment is not None
        assert observation.deployment["id"] == ours
        assert not tick_done.is_set()
        group.cancel_scope.cancel()
