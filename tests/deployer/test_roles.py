"""Several roles in one release, end to end on the simulator through a recording proxy: each
role is assumed once and at the same time as the others, and each role's services are read
with that role's own credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import pytest

from ecsdeploy import Deployer, ImageChange, Release, Stage, Target
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, REGION, SPEED
from tests.deployer.accounts import ACCOUNT_A, ROLE_A, create_service, deployer_to, image_in
from tests.deployer.recording_proxy import Call, RecordingProxy, recording_proxy

pytestmark = pytest.mark.anyio

#: A second role in account A, for another team's services.
ROLE_PAYMENTS = f"arn:aws:iam::{ACCOUNT_A}:role/payments-deploy"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=SPEED, seed=21) as simulator:
        yield simulator


#: STS's longest session: 43 s of wall time on the simulator's clock, which no test outlasts
#: (an hour's session would expire within 4 s of a loaded machine and be assumed again).
LONGEST_SESSION = 43200


@asynccontextmanager
async def deployer_through(
    sim: Simulator, proxy: RecordingProxy, roles: Iterable[str]
) -> AsyncIterator[Deployer]:
    """A Deployer whose ECS and STS calls all go through `proxy`, assuming `roles` for the
    longest session."""
    for role in roles:
        sim.configure_role(role, max_session_duration=LONGEST_SESSION)
    async with deployer_to(proxy.url, role_session_seconds=LONGEST_SESSION) as deployer:
        yield deployer


def to_2(service: str, role: str) -> Target:
    return Target(CLUSTER, service, [ImageChange("nginx", "myorg/nginx:2.0")], role_arn=role)


async def test_different_roles_are_assumed_at_once_and_each_role_once(sim: Simulator) -> None:
    """Ten services of five roles: five AssumeRole calls, in flight together (each takes 500
    simulated seconds), not one after another."""
    roles = [f"arn:aws:iam::{ACCOUNT_A}:role/team-{n}" for n in range(5)]
    services = {f"svc-{n}": roles[n % 5] for n in range(10)}
    for service in services:
        await create_service(sim, ROLE_A, REGION, service)
    sim.add_rule(
        {"operation": "sts:AssumeRole", "error": "latency", "seconds": 500, "clock": "simulated"}
    )
    release = Release([Stage("all", [to_2(service, role) for service, role in services.items()])])

    async with recording_proxy(sim) as proxy, deployer_through(sim, proxy, roles) as deployer:
        result = await deployer.release(release)

    assert result.succeeded, result.error
    assumed = [call.params["RoleArn"] for call in proxy.of("sts:AssumeRole")]
    assert sorted(assumed) == roles
    assert proxy.most_at_once["sts:AssumeRole"] > 1


async def test_each_roles_services_are_read_with_that_roles_credentials(sim: Simulator) -> None:
    """Two roles of one account, one cluster: each may touch only its own service (else
    AccessDenied, as IAM answers), and both deploy; every read of a service was signed by a
    session of the role that deploys it."""
    owners = {"web": ROLE_A, "payments": ROLE_PAYMENTS}
    for service in owners:
        await create_service(sim, ROLE_A, REGION, service)

    def not_its_own(call: Call) -> bool:
        return any(owners.get(service) != call.role for service in call.services)

    release = Release([Stage("apps", [to_2(service, role) for service, role in owners.items()])])
    async with (
        recording_proxy(sim, deny=not_its_own) as proxy,
        deployer_through(sim, proxy, owners.values()) as deployer,
    ):
        result = await deployer.release(release)

    assert result.succeeded, result.error or [s.reason for s in result.services]
    assert proxy.denied == []
    reads = proxy.of("DescribeServices")
    for service, role in owners.items():
        signers = {call.role for call in reads if service in call.services}
        assert signers == {role}, service
        assert await image_in(sim, ROLE_A, REGION, service) == "myorg/nginx:2.0"
