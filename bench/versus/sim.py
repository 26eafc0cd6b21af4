"""The simulator the tools share: an `ecsdeploy sim` process, driven over its control API.

Everything here talks plain HTTP (urllib for ``/_sim/``, boto3 for ECS), so the harness measures
the tools, never itself. Setting up a scenario's services happens with time frozen and
throttling off; the tools then run with the scenario's speed and throttling.
"""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-2"
CLUSTER = "bench"
CONTAINER = "app"
OLD_IMAGE = "myorg/app:1"
CRASH_RULE = {"image": "*:crash", "behavior": "crash", "exit_code": 1, "after": 5}
"""Tasks of any image tagged ``crash`` exit 1 five simulated seconds after they start."""

_READY = re.compile(r"^ECS simulator listening on (http://\S+)$")
_ECSDEPLOY = str(Path(sys.executable).with_name("ecsdeploy"))


@contextmanager
def simulator_process() -> Iterator[Simulator]:
    """`ecsdeploy sim` on a free port for the whole benchmark, stopped afterwards."""
    process = subprocess.Popen(
        [_ECSDEPLOY, "sim", "--port", "0", "--speed", "0", "--seed", "13"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline().rstrip("\n") if ready else ""
        match = _READY.match(line)
        if not match:
            raise RuntimeError(f"the simulator did not start: {line!r}")
        yield Simulator(match.group(1), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Simulator:
    url: str
    pid: int

    def control(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def reset(self) -> None:
        self.control("POST", "/_sim/reset")

    def speed(self, speed: float) -> None:
        self.control("POST", "/_sim/speed", {"speed": speed})

    def throttle(self, enabled: bool) -> None:
        self.control("POST", "/_sim/throttle", {"enabled": enabled})

    def advance(self, seconds: float) -> None:
        self.control("POST", "/_sim/advance", {"seconds": seconds})

    def add_rule(self, rule: Mapping[str, Any]) -> None:
        self.control("POST", "/_sim/rules", rule)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.control("GET", "/_sim/stats")
        return stats

    def now(self) -> float:
        return float(self.stats()["now"])

    def timeline(self) -> list[dict[str, Any]]:
        deployments: list[dict[str, Any]] = self.control("GET", "/_sim/timeline")["deployments"]
        return deployments

    def ecs(self) -> Any:
        return boto3.client(
            "ecs",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(retries={"mode": "standard", "total_max_attempts": 10}),
        )

    def client_env(self) -> dict[str, str]:
        """What every tool gets: the simulator as ECS, dummy credentials, the region."""
        return {
            "AWS_ENDPOINT_URL_ECS": self.url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def service_names(count: int) -> list[str]:
    return [f"svc-{index:04d}" for index in range(count)]


def set_up(
    sim: Simulator, services: Sequence[str], *, families: int, breaker: bool, desired: int
) -> None:
    """A steady cluster of `services` (two tasks each, on `families` task-definition families),
    with time frozen and no throttling while it is built."""
    sim.speed(0)
    sim.throttle(False)
    sim.reset()
    ecs = sim.ecs()
    ecs.create_cluster(clusterName=CLUSTER)
    revisions = [
        ecs.register_task_definition(
            family=f"app-{index:04d}",
            containerDefinitions=[
                {
                    "name": CONTAINER,
                    "image": OLD_IMAGE,
                    "memory": 128,
                    "essential": True,
                    "environment": [{"name": "MODE", "value": "bench"}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        for index in range(families)
    ]
    configuration = {
        "deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    for index, name in enumerate(services):
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=revisions[index % families],
            desiredCount=desired,
            deploymentConfiguration=configuration,
        )
    sim.add_rule(CRASH_RULE)
    sim.advance(600)


def final_task_definitions(sim: Simulator, services: Sequence[str]) -> dict[str, str]:
    ecs = sim.ecs()
    found: dict[str, str] = {}
    for start in range(0, len(services), 10):
        described = ecs.describe_services(
            cluster=CLUSTER, services=list(services[start : start + 10])
        )
        found.update({s["serviceName"]: s["taskDefinition"] for s in described["services"]})
    return found
