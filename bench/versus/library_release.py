"""ecsdeploy as a library: one release of every service in a JSON spec (scenario g).

    python library_release.py spec.json

Prints one JSON line (outcome, counts) and exits 0 when the release succeeded, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import aioboto3
import anyio

from ecsdeploy import Deployer, DeploySettings, ImageChange, Release, Stage, Target


async def run(spec: dict[str, Any]) -> bool:
    targets = [
        Target(spec["cluster"], service, [ImageChange(spec["container"], image)])
        for service, image in spec["services"].items()
    ]
    settings = DeploySettings(timeout=spec["timeout"], poll_interval=spec["poll_interval"])
    async with Deployer(
        session=aioboto3.Session(),
        region=spec["region"],
        endpoint_url=os.environ["AWS_ENDPOINT_URL_ECS"],
        settings=settings,
    ) as deployer:
        result = await deployer.release(
            Release([Stage("all", targets)], max_concurrency=len(targets), atomic=False)
        )
    outcomes: dict[str, int] = {}
    for service in result.services:
        key = service.result.outcome.value if service.result is not None else "not started"
        outcomes[key] = outcomes.get(key, 0) + 1
    print(json.dumps({"outcome": result.outcome.value, "services": outcomes}), flush=True)
    return result.succeeded


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    sys.exit(0 if anyio.run(run, spec) else 1)


if __name__ == "__main__":
    main()
