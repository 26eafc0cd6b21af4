"""SIGTERM at random points of a real `ecsdeploy release`: nothing it changed is left behind
unless it exits 3 and names the service."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._fixtures.simulator_process import CLUSTER, ECSDEPLOY, SimulatedEcs, simulator_process

SERVICES = 4
#: Random points to cancel at: a few in the test run, 30 in `nox -s soak`.
CANCELLATIONS = int(os.environ.get("ECSDEPLOY_SOAK_CANCELLATIONS", "6"))


@pytest.fixture(scope="module")
def simulated() -> Iterator[SimulatedEcs]:
    with simulator_process() as url:
        yield SimulatedEcs(url)


def release_file(tmp_path: Path, services: list[str], images: list[str]) -> Path:
    lines = ["[release]", "atomic = true", "[defaults]", f'cluster = "{CLUSTER}"']
    lines += ["poll_interval = 0.05", "timeout = 30", "[[stage]]", 'name = "all"']
    for service, image in zip(services, images, strict=True):
        lines += [
            "[[stage.service]]",
            f'service = "{service}"',
            f'images = {{ nginx = "{image}" }}',
        ]
    path = tmp_path / "release.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("seed", range(CANCELLATIONS))
def test_sigterm_at_a_random_point_leaves_nothing_changed_unnamed(
    simulated: SimulatedEcs, tmp_path: Path, seed: int
) -> None:
    """Each service is back on its old revision, or the exit code is 3 and the output names it."""
    rng = random.Random(seed)
    simulated.add_rule({"image": "myorg/nginx:slow", "behavior": "slow_start", "seconds": 60})
    services = [simulated.create_service("cancel") for _ in range(SERVICES)]
    old = {service: simulated.task_definition(service) for service in services}
    images = [rng.choice(["myorg/nginx:2.0", "myorg/nginx:slow"]) for _ in services]
    process = subprocess.Popen(
        [ECSDEPLOY, "release", str(release_file(tmp_path, services, images)), "--no-live"],
        env={"PATH": "/usr/bin:/bin", **simulated.environ()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    stop_after = rng.randrange(1, 40)
    for line in process.stdout:
        lines.append(line)
        if len(lines) >= stop_after:
            break
    process.send_signal(signal.SIGTERM)
    rest, errors = process.communicate(timeout=60)
    output = "".join(lines) + rest + errors
    assert "Traceback" not in output
    left = [s for s in services if simulated.task_definition(s) != old[s]]
    if process.returncode == 0:
        # The release had finished before the signal: every service on its new revision.
        assert len(left) == SERVICES
        return
    assert process.returncode in (1, 3), output
    for service in left:
        assert process.returncode == 3, f"{service} left changed, exit {process.returncode}"
        named = [
            json.loads(line)
            for line in output.splitlines()
            if line.startswith("{") and service in line
        ]
        assert named, f"{service} left changed and not named"
