"""`aws_role_arn`: the Deployer assumes the role (moto's STS stands in for AWS's), then deploys."""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack

import pytest

from ecsdeploy._aws_session import new_session
from ecsdeploy._credentials import Role, RoleSession, RoleSessions
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.drone import PluginSettings, main
from ecsdeploy.exceptions import AssumeRoleError, NothingChangedError
from tests._fixtures.accounts import create_web, revisions
from tests._fixtures.simulator_process import CLUSTER, REGION, SimulatedEcs

ROLE = "arn:aws:iam::123456789012:role/deploy"


@pytest.fixture
def sts_at(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Base credentials in the environment and STS served by moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)
    return moto_url


@pytest.mark.anyio
@pytest.mark.usefixtures("sts_at")
async def test_the_session_carries_the_roles_credentials() -> None:
    """Calls made with the role's session are the assumed role's, named after the label."""
    async with AsyncExitStack() as stack:
        sessions = RoleSessions(new_session(), stack)
        role = await sessions.session(Role(ROLE), REGION, label="drone")
        assert role.session is not None
        async with role.session.client("sts", region_name=REGION) as sts:
            identity = await sts.get_caller_identity()
    assert ":assumed-role/deploy/ecsdeploy-drone" in identity["Arn"]


async def _assume(role_arn: str) -> RoleSession:
    async with AsyncExitStack() as stack:
        sessions = RoleSessions(new_session(), stack, retry=RetryPolicy.fast())
        return await sessions.session(Role(role_arn), REGION, label="drone")


def _unreachable_sts(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.anyio
async def test_an_unreachable_sts_is_an_aws_failure_before_any_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """STS cannot be reached: NothingChangedError (exit 1 at the front), naming the role."""
    _unreachable_sts(monkeypatch)
    with pytest.raises(NothingChangedError, match=ROLE) as raised:
        await _assume(ROLE)
    assert "nothing changed" in str(raised.value)


@pytest.mark.anyio
@pytest.mark.usefixtures("sts_at")
async def test_a_role_sts_refuses_is_an_assume_role_error() -> None:
    """A malformed role ARN: AssumeRoleError, bad settings (exit 2), before asking STS."""
    with pytest.raises(AssumeRoleError, match="not-an-arn"):
        await _assume("not-an-arn")


def test_the_plugin_exits_1_when_sts_is_unreachable(
    simulated: SimulatedEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An STS outage before any change is exit 1 "nothing changed", not bad settings (2)."""
    service = simulated.create_service()
    before = simulated.image(service)
    _unreachable_sts(monkeypatch)
    settings = {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_SERVICE": service,
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_CONTAINER": "nginx",
        "PLUGIN_IMAGE": "myorg/nginx:assumed",
        "PLUGIN_AWS_ROLE_ARN": ROLE,
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "AWS_MAX_ATTEMPTS": "1",
    }
    assert main(settings) == 1
    assert simulated.image(service) == before


@pytest.mark.usefixtures("sts_at")
def test_the_plugin_deploys_with_the_assumed_role(simulated: SimulatedEcs) -> None:
    """PLUGIN_AWS_ROLE_ARN: the role is assumed, then the deployment runs: exit 0."""
    service = simulated.create_service()
    settings = {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_SERVICE": service,
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_CONTAINER": "nginx",
        "PLUGIN_IMAGE": "myorg/nginx:assumed",
        "PLUGIN_AWS_ROLE_ARN": ROLE,
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "PLUGIN_POLL_INTERVAL": "0.05",
    }
    assert main(settings) == 0
    assert simulated.image(service) == "myorg/nginx:assumed"


def test_the_plugin_deploys_into_the_roles_account_with_the_simulators_sts(
    simulated: SimulatedEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PLUGIN_AWS_ROLE_ARN of account A, STS served by the simulator: A's service is deployed
    (with credentials the Deployer keeps fresh), the default account's is not."""
    role = "arn:aws:iam::210987654321:role/ecsdeploy"
    create_web(simulated, role)
    create_web(simulated, None)
    for name, value in {**simulated.environ(), "AWS_ENDPOINT_URL_STS": simulated.url}.items():
        monkeypatch.setenv(name, value)
    settings = {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_SERVICE": "web",
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_CONTAINER": "nginx",
        "PLUGIN_IMAGE": "myorg/nginx:2.0",
        "PLUGIN_AWS_ROLE_ARN": role,
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "PLUGIN_POLL_INTERVAL": "0.05",
    }
    assert main(settings) == 0
    assert revisions(simulated, role)[-1] == (
        f"arn:aws:ecs:{REGION}:210987654321:task-definition/web:2"
    )
    assert simulated.image("web") == "myorg/nginx:1.0"


def test_the_role_setting_is_a_release_file_override() -> None:
    """With release_file, aws_role_arn replaces [defaults]' role_arn like --role-arn does."""
    settings = PluginSettings.from_environ(
        {"PLUGIN_AWS_REGION": REGION, "PLUGIN_RELEASE_FILE": "r.toml", "PLUGIN_AWS_ROLE_ARN": ROLE}
    )
    assert settings.release_overrides() == {"role_arn": ROLE}
