"""`ecsdeploy sim` as a real process, and the helpers tests use to arrange state in it.

Shared by the CLI and Drone tests: both fronts are exercised against the simulator exactly as a
user would point them at AWS, through AWS_ENDPOINT_URL_ECS or --endpoint-url.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import select
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # typed only with boto3-stubs
import pytest
from botocore.config import Config

from ecsdeploy.sim import STALE_HISTORY_VARIABLE

REGION = "us-east-2"
CLUSTER = "dev-ecs-cluster"
ECSDEPLOY = str(Path(sys.executable).with_name("ecsdeploy"))
ECSDEPLOY_DRONE = str(Path(sys.executable).with_name("ecsdeploy-drone"))
READY = re.compile(r"^ECS simulator listening on (http://\S+)$")
#: Simulated seconds per wall second, and CLI options that poll and give up on that scale.
SPEED = 300
FAST = ["--poll-interval", "0.05", "--timeout", "30"]

_names = itertools.count(1)


@contextmanager
def simulator_process(speed: float = SPEED) -> Iterator[str]:
    """Start `ecsdeploy sim --port 0`, read its ready line, yield the URL, terminate it.

    It keeps an hour of service answers for stale-read rules added later."""
    process = subprocess.Popen(
        [ECSDEPLOY, "sim", "--port", "0", "--speed", str(speed), "--seed", "5"],
        env={**os.environ, STALE_HISTORY_VARIABLE: "3600"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        if not ready:
            pytest.fail("the simulator printed nothing within 15 s")
        match = READY.match(process.stdout.readline().rstrip("\n"))
        assert match, "the simulator did not print its ready line"
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@dataclass
class SimulatedEcs:
    """Arranges and inspects state in a simulator process over HTTP (boto3 and /_sim/)."""

    url: str
    ecs: Any = field(init=False)

    _clients: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.ecs = self.ecs_in(REGION)

    def ecs_in(self, region: str) -> Any:
        """A boto3 ECS client to the simulator in `region`, retries off (one per region)."""
        if region not in self._clients:
            self._clients[region] = boto3.client(
                "ecs",
                endpoint_url=self.url,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[region]

    def control(self, path: str, body: Mapping[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.url}/_sim/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def add_rule(self, rule: Mapping[str, Any]) -> None:
        self.control("rules", rule)

    def clear_rules(self) -> None:
        request = urllib.request.Request(f"{self.url}/_sim/rules", method="DELETE")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def calls(self, operation: str) -> int:
        """How many `operation` calls the simulator has received since its last reset."""
        with urllib.request.urlopen(f"{self.url}/_sim/stats", timeout=10) as response:
            return int(json.loads(response.read())["calls"].get(operation, 0))

    def reset(self) -> None:
        """Forget every resource and rule: what one test left cannot slow or mislead the next."""
        self.control("reset", {})

    def advance(self, seconds: float) -> None:
        self.control("advance", {"seconds": seconds})

    def environ(self) -> dict[str, str]:
        """What a shell pointed at this simulator has: credentials, region, endpoint."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_ECS": self.url,
        }

    def create_service(
        self,
        prefix: str = "webapp",
        *,
        image: str = "myorg/nginx:1.0",
        desired: int = 2,
        container: str = "nginx",
        environment: list[dict[str, str]] | None = None,
        maximum_percent: int = 200,
    ) -> str:
        """A steady service running `image` in `container`; its (unique) name."""
        name = f"{prefix}-{next(_names)}"
        self.ecs.create_cluster(clusterName=CLUSTER)
        registered = self.ecs.register_task_definition(
            family=name,
            containerDefinitions=[
                {
                    "name": container,
                    "image": image,
                    "essential": True,
                    "memory": 128,
                    "environment": environment or [],
                }
            ],
        )
        self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
            desiredCount=desired,
            deploymentConfiguration={
                "minimumHealthyPercent": 100,
                "maximumPercent": maximum_percent,
            },
        )
        self.advance(600)
        return name

    def task_definition(self, service: str) -> str:
        described = self.ecs.describe_services(cluster=CLUSTER, services=[service])
        return str(described["services"][0]["taskDefinition"])

    def image(self, service: str) -> str:
        described = self.ecs.describe_task_definition(taskDefinition=self.task_definition(service))
        return str(described["taskDefinition"]["containerDefinitions"][0]["image"])

    def revisions(self, family: str) -> list[str]:
        listed = self.ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")
        return list(listed["taskDefinitionArns"])


def run_process(
    argv: list[str], environ: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a front as a real process with only `environ` (plus PATH) as its environment."""
    env = {"PATH": "/usr/bin:/bin", **environ}
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def json_lines(output: str) -> list[dict[str, Any]]:
    """The structured log lines of a front's stdout."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def results(output: str, event: str = "ecsdeploy.result") -> list[dict[str, Any]]:
    """The result lines (one per service) of a front's stdout."""
    return [line for line in json_lines(output) if line["event"] == event]
