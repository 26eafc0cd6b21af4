"""A re-implementation (not the original Go code) of drone-deploy-ecs's documented rolling loop,
for the benchmark. Run with any Python that has boto3.

What it does, as the plugin's README and source describe it: register one new revision of the
service's task definition with the container's image swapped; then, one service after another,
UpdateService and check every `--check-interval` seconds (10 s in the plugin) up to
`--max-checks` times (60 by default): the first check that sees failedTasks > 0 on the newest
deployment lists and describes its stopped tasks (to log their reasons) and fails; a FAILED
rolloutState fails; COMPLETED succeeds. A failure deploys the previous revision with the same
loop and exits 1 without touching the services after it. Each service here gets its own image
(the plugin shares one revision across services of one family; a Drone pipeline with one step
per service behaves like this).

    python drone_loop.py --cluster C --container app svc-0000=myorg/app:2 ...
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import boto3

_REGISTER_KEYS = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
    "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
)  # fmt: skip


def release(ecs: Any, args: argparse.Namespace, service: str, task_definition: str) -> bool:
    deployment = ecs.update_service(
        cluster=args.cluster, service=service, taskDefinition=task_definition
    )["service"]["deployments"][0]["id"]
    print(f"Started deployment with ID {deployment}", flush=True)
    checks = 0
    while True:
        if checks > args.max_checks:
            print("Reached max check limit. Will attempt rollback", flush=True)
            return False
        time.sleep(args.check_interval)
        checks += 1
        newest = ecs.describe_services(cluster=args.cluster, services=[service])["services"][0][
            "deployments"
        ][0]
        if newest.get("failedTasks", 0) > 0:
            show_failed_tasks(ecs, args.cluster, service, deployment)
            return False
        state = newest.get("rolloutState")
        if state == "COMPLETED":
            return True
        if state != "IN_PROGRESS":
            return False


def show_failed_tasks(ecs: Any, cluster: str, service: str, deployment: str) -> None:
    arns = ecs.list_tasks(
        cluster=cluster, desiredStatus="STOPPED", startedBy=deployment, serviceName=service
    )["taskArns"]
    if arns:
        for task in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]:
            print(f"Task '{task['taskArn']}' failure reason: {task.get('stoppedReason')}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--check-interval", type=float, default=10.0)
    parser.add_argument("--max-checks", type=int, default=60)
    parser.add_argument("deploy", nargs="+", help="SERVICE=IMAGE")
    args = parser.parse_args()
    ecs = boto3.client("ecs")
    for pair in args.deploy:
        service, image = pair.split("=", 1)
        current = ecs.describe_services(cluster=args.cluster, services=[service])["services"][0][
            "taskDefinition"
        ]
        described = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
        spec = {key: described[key] for key in _REGISTER_KEYS if key in described}
        for container in spec["containerDefinitions"]:
            if container["name"] == args.container:
                container["image"] = image
        new = ecs.register_task_definition(**spec)["taskDefinition"]["taskDefinitionArn"]
        print(f"Created new task definition revision {new}", flush=True)
        if not release(ecs, args, service, new):
            print(f"Rolling back failed deployment for service {service}", flush=True)
            if not release(ecs, args, service, current):
                print("Error rolling back", flush=True)
            return 1
        print(f"Deployment succeeded for service '{service}'", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
