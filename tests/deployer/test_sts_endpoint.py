"""STS's endpoint next to a local emulator's `endpoint_url`: botocore's own configuration of
STS (the environment, the config file, the flag that ignores both) is honoured first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsdeploy import Deployer
from ecsdeploy._deployer import gateway_of
from ecsdeploy.sim import Simulator

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
async def test_ignored_sts_variable_leaves_assume_role_at_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AWS_ENDPOINT_URL_STS under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true is ignored by
    botocore, so the emulator's `endpoint_url` still answers AssumeRole (not AWS's STS)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", NOWHERE)
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    async with Simulator(speed=0) as sim:
        deployer = Deployer(region=REGION, endpoint_url=sim.endpoint_url, role_arn=ROLE)
        async with deployer:
            assert deployer._sts_endpoint() == sim.endpoint_url
            gateway = await gateway_of(deployer)
            assert gateway.account == "210987654321"
        assert sim.stats()["calls"].get("sts:AssumeRole") == 1


@pytest.mark.anyio
async def test_config_files_sts_endpoint_wins_over_the_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An STS endpoint in the profile's `services` section of the config file counts as
    AWS_ENDPOINT_URL_STS does: AssumeRole goes there, not to the ECS emulator."""
    async with Simulator(speed=0) as ecs_sim, Simulator(speed=0) as sts_sim:
        config = tmp_path / "config"
        config.write_text(
            "[default]\nservices = local\n\n"
            f"[services local]\nsts =\n  endpoint_url = {sts_sim.endpoint_url}\n"
        )
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        deployer = Deployer(region=REGION, endpoint_url=ecs_sim.endpoint_url, role_arn=ROLE)
        async with deployer:
            gateway = await gateway_of(deployer)
            assert gateway.account == "210987654321"
        assert sts_sim.stats()["calls"].get("sts:AssumeRole") == 1
        assert ecs_sim.stats()["calls"].get("sts:AssumeRole") is None
