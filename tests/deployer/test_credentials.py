"""Assumed-role credentials on the simulator's STS: refreshed before they expire on the wall
clock, renewed once when AWS says they expired, and the account they deploy into."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aioboto3
import pytest
from botocore.config import Config
from structlog.testing import capture_logs

from ecsdeploy._credentials import Role, RoleSession, RoleSessions
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.exceptions import AwsUnavailableError, NothingChangedError, ThrottledError
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import REGION, offline_session
from tests.deployer.accounts import ACCOUNT_A, ROLE_A

pytestmark = pytest.mark.anyio

#: As the Deployer's clients: the retries are ours, botocore makes one attempt.
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class WallClock:
    """A wall clock the test moves forward (the simulator's own clock is left alone)."""

    def __init__(self) -> None:
        self.now = datetime.datetime.now(datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=1, seed=3) as simulator:
        yield simulator


async def assumed(sim: Simulator, stack: AsyncExitStack, clock: WallClock) -> RoleSession:
    sessions = RoleSessions(
        offline_session(),
        stack,
        sts_endpoint_url=sim.endpoint_url,
        retry=RetryPolicy.fast(),
        client_config=ONE_ATTEMPT,
        clock=clock,
    )
    return await sessions.session(Role(ROLE_A), REGION, label="credentials test")


async def caller_account(sim: Simulator, session: aioboto3.Session) -> str:
    async with session.client("sts", endpoint_url=sim.endpoint_url, region_name=REGION) as sts:
        identity = await sts.get_caller_identity()
    return str(identity["Account"])


async def test_the_session_signs_as_the_roles_account_under_an_ecsdeploy_name(
    sim: Simulator,
) -> None:
    """GetCallerIdentity with the session: the role's account, session `ecsdeploy-<label>`."""
    async with AsyncExitStack() as stack:
        role = await assumed(sim, stack, WallClock())
        assert role.session is not None
        assert await caller_account(sim, role.session) == ACCOUNT_A
    assert role.session_name == "ecsdeploy-credentials-test"


async def test_credentials_are_refreshed_before_they_expire_without_an_error(
    sim: Simulator,
) -> None:
    """Fifty minutes into an hour's session (our clock), the next call assumes the role
    again first: no call ever meets expired credentials."""
    clock = WallClock()
    async with AsyncExitStack() as stack:
        role = await assumed(sim, stack, clock)
        assert role.session is not None
        await caller_account(sim, role.session)
        assert role.assumed == 1
        clock.now += datetime.timedelta(minutes=30)
        await caller_account(sim, role.session)
        assert role.assumed == 1
        clock.now += datetime.timedelta(minutes=20)
        assert await caller_account(sim, role.session) == ACCOUNT_A
        assert role.assumed == 2


async def test_an_expiry_seen_on_replaced_credentials_does_not_assume_again(
    sim: Simulator,
) -> None:
    """renew(generation) of credentials already replaced is ignored; of the current ones, the
    next call assumes the role once more."""
    async with AsyncExitStack() as stack:
        role = await assumed(sim, stack, WallClock())
        assert role.session is not None
        await role.renew(role.generation - 1)
        await caller_account(sim, role.session)
        assert role.assumed == 1
        await role.renew(role.generation)
        await caller_account(sim, role.session)
        await caller_account(sim, role.session)
        assert role.assumed == 2


def sts_down(sim: Simulator, error: str = "ServerException") -> None:
    """Every AssumeRole fails with `error` until the rules are cleared."""
    sim.add_rule({"operation": "sts:AssumeRole", "error": error})


async def test_credentials_still_valid_are_kept_while_sts_fails_their_refresh(
    sim: Simulator,
) -> None:
    """Five minutes before the end of the hour, STS down: the refresh is retried with the
    RetryPolicy, then the call goes on with the credentials in hand (no error); STS is asked
    again once the policy's longest wait has passed, and its new credentials are taken."""
    clock = WallClock()
    async with AsyncExitStack() as stack:
        role = await assumed(sim, stack, clock)
        assert role.session is not None
        clock.now += datetime.timedelta(minutes=55)
        sts_down(sim)

        with capture_logs() as logs:
            assert await caller_account(sim, role.session) == ACCOUNT_A
            assert await caller_account(sim, role.session) == ACCOUNT_A

        assert role.assumed == 1
        assert sim.stats()["calls"]["sts:AssumeRole"] == 1 + RetryPolicy.fast().attempts
        (failed,) = [
            entry for entry in logs if entry["event"] == "ecsdeploy.credentials.refresh_failed"
        ]
        assert failed["kept_valid_credentials"] is True
        sim.clear_rules()
        clock.now += datetime.timedelta(seconds=1)
        assert await caller_account(sim, role.session) == ACCOUNT_A
        assert role.assumed == 2


@pytest.mark.parametrize(
    ("error", "raised"),
    [("ServerException", AwsUnavailableError), ("ThrottlingException", ThrottledError)],
)
async def test_expired_credentials_sts_will_not_refresh_are_a_transient_aws_error(
    sim: Simulator, error: str, raised: type[Exception]
) -> None:
    """Past the session's end with STS failing: the call raises the transient error a watch and a
    rollback wait out (not "nothing changed", not bad input), naming the role; once STS answers
    again the next call gets new credentials."""
    clock = WallClock()
    async with AsyncExitStack() as stack:
        role = await assumed(sim, stack, clock)
        assert role.session is not None
        clock.now += datetime.timedelta(minutes=61)
        sts_down(sim, error)

        with pytest.raises(raised, match=f"could not assume role {ROLE_A}") as failed:
            await caller_account(sim, role.session)

        assert not isinstance(failed.value, NothingChangedError)
        calls = sim.stats()["calls"]["sts:AssumeRole"]
        assert calls == 1 + RetryPolicy.fast().attempts
        with pytest.raises(raised):
            await caller_account(sim, role.session)
        assert sim.stats()["calls"]["sts:AssumeRole"] == calls  # within the pause: not asked
        sim.clear_rules()
        clock.now += datetime.timedelta(seconds=1)
        assert await caller_account(sim, role.session) == ACCOUNT_A
        assert role.assumed == 2
