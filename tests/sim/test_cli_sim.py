"""``ecsdeploy sim`` and ``python -m ecsdeploy.sim`` as real processes, used with boto3."""

from __future__ import annotations

import json
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3  # type: ignore[import-untyped, unused-ignore]  # typed only with boto3-stubs
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner

from ecsdeploy.cli import main

READY = re.compile(r"^ECS simulator listening on (http://127\.0\.0\.1:(\d+))$")
ECSDEPLOY = str(Path(sys.executable).with_name("ecsdeploy"))


def start(argv: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Start the process and read its one ready line (15 s at most)."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 15)
    if not ready:
        process.kill()
        pytest.fail("the simulator printed nothing within 15 s")
    line = process.stdout.readline().rstrip("\n")
    match = READY.match(line)
    assert match, f"unexpected first line {line!r}"
    return process, match.group(1)


def stop(process: subprocess.Popen[str], signum: signal.Signals) -> tuple[int, str]:
    process.send_signal(signum)
    try:
        rest, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, rest


@pytest.fixture
def cli_simulator() -> Iterator[tuple[subprocess.Popen[str], str]]:
    argv = [ECSDEPLOY, "sim", "--port", "0", "--speed", "50", "--seed", "3", "--throttle"]
    process, url = start(argv)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_serves_boto3_and_exits_0_on_sigterm(
    cli_simulator: tuple[subprocess.Popen[str], str],
) -> None:
    """One ready line, ECS over HTTP for boto3, throttling on, exit 0 on SIGTERM."""
    process, url = cli_simulator
    ecs = boto3.client(
        "ecs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    arn = ecs.create_cluster(clusterName="cli")["cluster"]["clusterArn"]
    assert ecs.list_clusters()["clusterArns"] == [arn]
    codes = set()
    for _ in range(25):  # cluster modify actions: a burst of 20, then 1 a second
        try:
            ecs.create_cluster(clusterName="cli")
        except ClientError as error:
            codes.add(error.response["Error"]["Code"])
    assert codes == {"ThrottlingException"}
    with urllib.request.urlopen(url + "/_sim/stats", timeout=10) as response:
        stats = json.load(response)
    assert stats["calls"] == {"CreateCluster": 26, "ListClusters": 1}
    assert stats["throttled"]["CreateCluster"] >= 1
    returncode, rest = stop(process, signal.SIGTERM)
    assert (returncode, rest) == (0, "")


def test_python_m_ecsdeploy_sim_exits_0_on_sigint() -> None:
    """``python -m ecsdeploy.sim`` is the same server; Ctrl-C stops it cleanly."""
    process, url = start([sys.executable, "-m", "ecsdeploy.sim", "--port", "0"])
    try:
        with urllib.request.urlopen(url + "/_sim/health", timeout=10) as response:
            assert response.status == 200
        assert stop(process, signal.SIGINT) == (0, "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sim_is_a_command_of_the_cli() -> None:
    """``ecsdeploy sim`` is registered on the click group with its options."""
    command = main.get_command(None, "sim")  # type: ignore[arg-type]
    assert command is not None
    assert {param.name for param in command.params} >= {"host", "port", "speed", "seed", "throttle"}


def test_busy_port_is_a_clear_error() -> None:
    """A port already in use is a one-line error and exit code 2 (bad configuration)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["sim", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
