"""Running the AWS CLI against the simulator: its path and a clean environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ecsdeploy.sim import Simulator

AWS = str(Path(sys.executable).with_name("aws"))


def aws_env(sim: Simulator) -> dict[str, str]:
    """The CLI's environment: endpoint and dummy credentials, no user config leaking in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_ECS=sim.endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env
