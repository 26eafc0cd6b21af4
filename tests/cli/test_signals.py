"""SIGTERM (a cancelled CI job) and Ctrl-C during a watch: roll back first, then exit 3."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests._fixtures.simulator_process import CLUSTER, ECSDEPLOY, SimulatedEcs


def deploy_that_never_gets_ready(simulated: SimulatedEcs) -> tuple[str, str, subprocess.Popen[str]]:
    """(service, its old task definition, an `ecsdeploy deploy` process now in WATCH)."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:never-ready", "behavior": "slow_start", "seconds": 36000}
    )
    argv = [ECSDEPLOY, "deploy", "--cluster", CLUSTER, "--service", service, "--no-live"]
    argv += ["--image", "nginx=myorg/nginx:never-ready", "--poll-interval", "0.05"]
    process = subprocess.Popen(
        argv,
        env={"PATH": "/usr/bin:/bin", **simulated.environ()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_phase(process, "WATCH")
    return service, old, process


def wait_for_phase(process: subprocess.Popen[str], phase: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line).get("phase") == phase:
            return
    raise AssertionError(f"the deployment never reached {phase}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_watch_rolls_back_and_exits_3(
    simulated: SimulatedEcs, signum: signal.Signals
) -> None:
    """The process rolls the service back to its old revision before it exits."""
    service, old, process = deploy_that_never_gets_ready(simulated)
    process.send_signal(signum)
    rest, errors = process.communicate(timeout=30)
    assert process.returncode == 3, errors
    assert f"interrupted by {signum.name}" in errors
    assert "Traceback" not in errors
    assert simulated.task_definition(service) == old
    phases = [json.loads(line).get("phase") for line in rest.splitlines()]
    assert "ROLLED_BACK" in phases


def test_a_second_signal_does_not_kill_the_rollback(simulated: SimulatedEcs) -> None:
    """SIGINT then SIGTERM (how a CI runner cancels a job): the rollback still completes."""
    service, old, process = deploy_that_never_gets_ready(simulated)
    # The rollback's UpdateService takes two wall seconds: the second signal lands inside it.
    simulated.add_rule({"operation": "UpdateService", "error": "latency", "seconds": 2})
    process.send_signal(signal.SIGINT)
    wait_for_phase(process, "ROLLBACK")
    process.send_signal(signal.SIGTERM)
    rest, errors = process.communicate(timeout=30)
    assert process.returncode == 3, errors
    assert "SIGTERM received: still winding down" in errors
    assert simulated.task_definition(service) == old
    phases = [json.loads(line).get("phase") for line in rest.splitlines()]
    assert "ROLLED_BACK" in phases
