"""The scripts in examples/ work as their docstrings say: each runs as a subprocess against the
simulator (endpoint and region from the environment) and leaves the services as reported."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from aiohttp import web

from ecsdeploy.sim import Simulator
from tests.packaging.example_services import POLL_INTERVAL, ExampleServices, subprocess_environment

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLUSTER = "examples"
OLD, NEW, CRASHING = "myorg/web:1.0", "myorg/web:2.0", "myorg/web:bad-2.0"
#: Poll on the simulator's scale, and give up in seconds rather than minutes if a test breaks.
FAST = ("--poll-interval", POLL_INTERVAL, "--timeout", "30")


async def run_example(sim: Simulator, script: str, *arguments: str) -> tuple[int, str]:
    """Run examples/`script` with this Python; its exit code and its stdout."""
    completed: subprocess.CompletedProcess[bytes] = await anyio.run_process(
        [sys.executable, str(EXAMPLES / script), *arguments, *FAST],
        env=subprocess_environment(sim.endpoint_url),
        check=False,
    )
    return completed.returncode, completed.stdout.decode()


def crash_on_start(sim: Simulator) -> None:
    sim.add_rule({"image": "myorg/web:bad*", "behavior": "crash", "exit_code": 1, "after": 5})


# -- deploy_one.py ---------------------------------------------------------------------------


async def test_deploy_one_deploys_the_image(
    sim: Simulator, example_services: ExampleServices
) -> None:
    """A good image is deployed, reported as SUCCEEDED, and the script exits 0."""
    await example_services.create_service(CLUSTER, "web", {"web": OLD})

    code, out = await run_example(
        sim, "deploy_one.py",
        "--cluster", CLUSTER, "--service", "web", "--container", "web", "--image", NEW,
    )  # fmt: skip

    assert code == 0, out
    assert out.startswith(f"{CLUSTER}/web: SUCCEEDED")
    assert await example_services.running(CLUSTER, "web") == {"web": NEW}


async def test_deploy_one_rolls_back_a_crashing_image(
    sim: Simulator, example_services: ExampleServices
) -> None:
    """An image whose container exits 1 is rolled back; the output names the exit code."""
    before = await example_services.create_service(CLUSTER, "web", {"web": OLD})
    crash_on_start(sim)

    code, out = await run_example(
        sim, "deploy_one.py",
        "--cluster", CLUSTER, "--service", "web", "--container", "web", "--image", CRASHING,
    )  # fmt: skip

    assert code == 1, out
    assert out.startswith(f"{CLUSTER}/web: ROLLED_BACK")
    assert f"rolled back by ecsdeploy to: {before}" in out
    assert "(web: exit 1)" in out
    assert await example_services.running(CLUSTER, "web") == {"web": OLD}


async def test_deploy_one_exits_2_for_an_unknown_container(
    sim: Simulator, example_services: ExampleServices
) -> None:
    """Naming a container the task definition lacks changes nothing and exits 2."""
    await example_services.create_service(CLUSTER, "web", {"web": OLD})

    code, out = await run_example(
        sim, "deploy_one.py",
        "--cluster", CLUSTER, "--service", "web", "--container", "nginx", "--image", NEW,
    )  # fmt: skip

    assert code == 2, out
    assert out.startswith(f"{CLUSTER}/web: FAILED")
    assert "web:1 has no container 'nginx'" in out
    assert await example_services.running(CLUSTER, "web") == {"web": OLD}


# -- release_many.py -------------------------------------------------------------------------


async def test_release_many_deploys_the_canary_then_the_fleet(
    sim: Simulator, example_services: ExampleServices
) -> None:
    """Every service gets the image, and the summary has one SUCCEEDED line per service."""
    for service in ("api", "worker", "scheduler"):
        await example_services.create_service(CLUSTER, service, {"app": OLD})

    code, out = await run_example(
        sim, "release_many.py", "--cluster", CLUSTER, "--container", "app", "--image", NEW,
        "--canary", "api", "--service", "worker", "--service", "scheduler",
    )  # fmt: skip

    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith(f"release {NEW}: SUCCEEDED")
    summary = [line.split()[:3] for line in lines[1:]]
    assert summary == [
        ["canary", f"{CLUSTER}/api", "SUCCEEDED"],
        ["fleet", f"{CLUSTER}/worker", "SUCCEEDED"],
        ["fleet", f"{CLUSTER}/scheduler", "SUCCEEDED"],
    ]
    for service in ("api", "worker", "scheduler"):
        assert await example_services.running(CLUSTER, service) == {"app": NEW}


async def test_release_many_changes_nothing_when_one_service_is_wrong(
    sim: Simulator, example_services: ExampleServices
) -> None:
    """A fleet service without the container fails validation before the canary deploys."""
    await example_services.create_service(CLUSTER, "api", {"app": OLD})
    await example_services.create_service(CLUSTER, "worker", {"worker": OLD})

    code, out = await run_example(
        sim, "release_many.py", "--cluster", CLUSTER, "--container", "app", "--image", NEW,
        "--canary", "api", "--service", "worker",
    )  # fmt: skip

    assert code == 2, out
    lines = out.splitlines()
    assert lines[0].startswith(f"release {NEW}: FAILED")
    assert "worker:1 has no container 'app'" in lines[1]
    assert [line.split()[:3] for line in lines[2:]] == [
        ["canary", f"{CLUSTER}/api", "SKIPPED"],
        ["fleet", f"{CLUSTER}/worker", "SKIPPED"],
    ]
    assert await example_services.running(CLUSTER, "api") == {"app": OLD}
    assert await example_services.running(CLUSTER, "worker") == {"worker": OLD}


# -- custom_check.py -------------------------------------------------------------------------


class ProbeTarget:
    """A tiny HTTP server answering every GET with `status`, counting the requests."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.requests = 0
        self.url = ""

    async def handle(self, _: web.Request) -> web.Response:
        self.requests += 1
        return web.Response(status=self.status, text="ok" if self.status < 400 else "down")


@pytest.fixture
def probe_status() -> int:
    return 200


@pytest.fixture
async def probe_target(probe_status: int) -> AsyncIterator[ProbeTarget]:
    target = ProbeTarget(probe_status)
    app = web.Application()
    app.router.add_get("/healthz", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    target.url = f"http://{host}:{port}/healthz"
    try:
        yield target
    finally:
        await runner.cleanup()


async def test_custom_check_succeeds_when_the_probe_answers(
    sim: Simulator, example_services: ExampleServices, probe_target: ProbeTarget
) -> None:
    """With the probe answering 200, the deploy succeeds after at least three answers in a row."""
    await example_services.create_service(CLUSTER, "web", {"web": OLD})

    code, out = await run_example(
        sim, "custom_check.py",
        "--cluster", CLUSTER, "--service", "web", "--container", "web", "--image", NEW,
        "--probe-url", probe_target.url,
    )  # fmt: skip

    assert code == 0, out
    assert out.startswith(f"{CLUSTER}/web: SUCCEEDED")
    probe = re.escape(probe_target.url)
    answered = re.search(rf"http-probe: {probe} answered 2xx (\d+) times in a row", out)
    assert answered is not None
    assert probe_target.requests >= int(answered.group(1)) >= 3
    assert await example_services.running(CLUSTER, "web") == {"web": NEW}


@pytest.mark.parametrize("probe_status", [503])
async def test_custom_check_rolls_back_when_the_probe_fails(
    sim: Simulator, example_services: ExampleServices, probe_target: ProbeTarget
) -> None:
    """ECS sees healthy tasks, but the probe's 503s fail the deploy and it is rolled back."""
    await example_services.create_service(CLUSTER, "web", {"web": OLD})

    code, out = await run_example(
        sim, "custom_check.py",
        "--cluster", CLUSTER, "--service", "web", "--container", "web", "--image", NEW,
        "--probe-url", probe_target.url,
    )  # fmt: skip

    assert code == 1, out
    assert out.startswith(f"{CLUSTER}/web: ROLLED_BACK")
    assert f"{probe_target.url}: HTTP 503 (3 times in a row)" in out
    assert probe_target.requests == 3
    assert await example_services.running(CLUSTER, "web") == {"web": OLD}
