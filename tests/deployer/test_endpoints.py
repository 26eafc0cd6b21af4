"""An explicit endpoint is ECS's: a local emulator's serves the checks' services too, an AWS
endpoint (a VPC endpoint, say) serves ECS only."""

from __future__ import annotations

import pytest
from botocore.loaders import create_loader

from ecsdeploy import Deployer
from ecsdeploy._credentials import Role
from ecsdeploy._deployer import gateway_of, role_sessions_of
from ecsdeploy._endpoints import serves_every_service
from ecsdeploy.sim import Simulator

REGION = "us-east-2"
VPC_ENDPOINT = "https://vpce-0a1b2c3d-4e5f6a7b.ecs.us-east-2.vpce.amazonaws.com"


@pytest.fixture(autouse=True)
def _no_endpoint_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECS",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
        "AWS_ENDPOINT_URL_CLOUDWATCH",
    ):
        monkeypatch.delenv(name, raising=False)


async def _endpoints(endpoint_url: str) -> dict[str, str]:
    async with Deployer(region=REGION, endpoint_url=endpoint_url) as deployer:
        return {
            service: (await deployer._client(REGION, service)).meta.endpoint_url
            for service in ("ecs", "elbv2", "cloudwatch")
        }


@pytest.mark.anyio
async def test_an_ecs_vpc_endpoint_serves_ecs_only() -> None:
    """ECS goes to the VPC endpoint; ELBv2 and CloudWatch to their own regional endpoints."""
    assert await _endpoints(VPC_ENDPOINT) == {
        "ecs": VPC_ENDPOINT,
        "elbv2": f"https://elasticloadbalancing.{REGION}.amazonaws.com",
        "cloudwatch": f"https://monitoring.{REGION}.amazonaws.com",
    }


@pytest.mark.anyio
async def test_a_local_emulator_serves_every_service() -> None:
    """The simulator's (or LocalStack's) one URL serves ECS, ELBv2 and CloudWatch alike."""
    local = "http://127.0.0.1:4566"
    assert set((await _endpoints(local)).values()) == {local}


@pytest.mark.parametrize(
    ("url", "every_service"),
    [
        ("https://ecs.us-east-1.amazonaws.com", False),
        ("https://ecs-fips.us-gov-west-1.amazonaws.com", False),
        ("https://ecs.cn-north-1.amazonaws.com.cn", False),
        ("https://ecs.us-east-1.api.aws", False),
        ("https://ECS.US-EAST-1.AMAZONAWS.COM.", False),
        ("http://localhost:4566", True),
        ("http://sim.internal:8080", True),
        ("https://amazonaws.com.example.org", True),
        ("https://notamazonaws.com", True),
    ],
)
def test_aws_endpoints_are_told_from_emulators_by_their_domain(
    url: str, every_service: bool
) -> None:
    """Hosts in AWS's partition domains serve one service; any other host is an emulator."""
    assert serves_every_service(url) is every_service


@pytest.mark.parametrize(
    "url",
    [
        "https://ecs.cn-north-1.api.amazonwebservices.com.cn",
        "https://ecs.eusc-de-east-1.api.amazonwebservices.eu",
        "https://ecs-fips.us-iso-east-1.api.aws.ic.gov",
        "https://ecs.us-isob-east-1.api.aws.scloud",
        "https://ecs.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
        "https://ecs.us-isof-south-1.api.aws.hci.ic.gov",
    ],
)
def test_dual_stack_endpoints_of_every_partition_serve_one_service(url: str) -> None:
    """A dual-stack endpoint (each partition's dualStackDnsSuffix in botocore's partitions.json,
    China's and the isolated regions' included) is an AWS endpoint, not an emulator."""
    assert serves_every_service(url) is False


def test_every_partition_botocore_knows_is_an_aws_domain() -> None:
    """Each partition of the installed botocore, by its DNS suffix and its dual-stack one."""
    partitions = create_loader().load_data("partitions")["partitions"]
    suffixes = {
        suffix
        for partition in partitions
        for suffix in (
            partition["outputs"].get("dnsSuffix"),
            partition["outputs"].get("dualStackDnsSuffix"),
        )
        if suffix
    }
    assert len(suffixes) >= 10
    shown_as_emulators = [s for s in sorted(suffixes) if serves_every_service(f"https://ecs.r.{s}")]
    assert shown_as_emulators == []


@pytest.mark.anyio
async def test_a_local_emulators_endpoint_serves_assume_role_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`endpoint_url` of the simulator and a role, no STS endpoint named: the role is assumed
    at the simulator (in its account), not at AWS's STS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    role = "arn:aws:iam::210987654321:role/ecsdeploy"
    async with (
        Simulator(speed=0) as sim,
        Deployer(region=REGION, endpoint_url=sim.endpoint_url, role_arn=role) as deployer,
    ):
        gateway = await gateway_of(deployer)
        assert gateway.account == "210987654321"
        assert sim.stats()["calls"].get("sts:AssumeRole") == 1


@pytest.mark.anyio
async def test_an_aws_endpoint_leaves_sts_to_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ECS VPC endpoint does not answer AssumeRole: STS keeps its own endpoint, here the one
    AWS_ENDPOINT_URL_STS names."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    role = "arn:aws:iam::210987654321:role/ecsdeploy"
    async with Simulator(speed=0) as sim:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sim.endpoint_url)
        async with Deployer(region=REGION, endpoint_url=VPC_ENDPOINT, role_arn=role) as deployer:
            sessions = role_sessions_of(deployer)
            assert sessions is not None
            session = await sessions.session(Role(role), REGION, label="web")
            assert session.assumed == 1
        assert sim.stats()["calls"].get("sts:AssumeRole") == 1
