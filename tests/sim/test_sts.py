"""STS on the simulator: AssumeRole's sessions belong to the role's account and expire on the
simulated clock; GetCallerIdentity says who signed; roles can be refused or guarded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from botocore.exceptions import ClientError

from ecsdeploy._aws_session import new_session
from ecsdeploy.sim import Simulator
from tests.sim.aws_cli import AWS, aws_env
from tests.sim.conftest import NO_RETRIES
from tests.sim.control_api import call

pytestmark = pytest.mark.anyio

ROLE = "arn:aws:iam::210987654321:role/deploy/ecsdeploy"


@pytest.fixture
async def sts(sim: Simulator) -> AsyncIterator[Any]:
    """An aioboto3 STS client to `sim` with the default (non-STS) credentials."""
    async with new_session().client("sts", config=NO_RETRIES, **sim.client_kwargs()) as client:
        yield client


def with_credentials(sim: Simulator, credentials: dict[str, Any]) -> dict[str, Any]:
    """Client keyword arguments signing with an AssumeRole session's credentials."""
    return {
        **sim.client_kwargs(),
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
        "config": NO_RETRIES,
    }


async def test_assume_role_hands_out_a_session_of_the_roles_account(
    sim: Simulator, sts: Any
) -> None:
    """AssumeRole returns ASIA credentials expiring DurationSeconds of simulated time later,
    and the key belongs to the account in the role's ARN."""
    sim.clock.speed = 0
    now = sim.clock.now()
    answer = await sts.assume_role(
        RoleArn=ROLE, RoleSessionName="ecsdeploy-release", DurationSeconds=1800
    )
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert len(credentials["SecretAccessKey"]) == 40
    assert credentials["Expiration"].timestamp() == pytest.approx(now + 1800, abs=0.001)
    assert answer["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::210987654321:assumed-role/ecsdeploy/ecsdeploy-release"
    )
    assert answer["AssumedRoleUser"]["AssumedRoleId"].endswith(":ecsdeploy-release")
    assert sim.account_of(credentials["AccessKeyId"]) == "210987654321"
    assert sim.account_of("testing") == "123456789012"


async def test_caller_identity_follows_the_signing_credentials(sim: Simulator, sts: Any) -> None:
    """GetCallerIdentity answers the default account for plain keys and the assumed role for
    session keys."""
    plain = await sts.get_caller_identity()
    assert plain["Account"] == "123456789012"
    assert plain["Arn"].startswith("arn:aws:iam::123456789012:user/")
    session = await sts.assume_role(RoleArn=ROLE, RoleSessionName="s1")
    async with new_session().client(
        "sts", **with_credentials(sim, session["Credentials"])
    ) as assumed:
        identity = await assumed.get_caller_identity()
    assert identity["Account"] == "210987654321"
    assert identity["Arn"] == "arn:aws:sts::210987654321:assumed-role/ecsdeploy/s1"
    assert identity["UserId"] == session["AssumedRoleUser"]["AssumedRoleId"]


async def test_expired_session_is_refused_by_every_service(sim: Simulator, sts: Any) -> None:
    """Past its simulated expiration a session's key gets ExpiredTokenException from ECS and
    from STS itself."""
    sim.clock.speed = 0
    sim.set_session_lifetime(60)
    session = await sts.assume_role(RoleArn=ROLE, RoleSessionName="short")
    kwargs = with_credentials(sim, session["Credentials"])
    async with (
        new_session().client("ecs", **kwargs) as ecs,
        new_session().client("sts", **kwargs) as assumed,
    ):
        assert (await ecs.list_clusters())["clusterArns"] == []
        await sim.advance(61)
        for attempt in (ecs.list_clusters(), assumed.get_caller_identity()):
            with pytest.raises(ClientError) as raised:
                await attempt
            assert raised.value.response["Error"]["Code"] == "ExpiredTokenException"
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Fresh credentials work again.
    assert (await sts.get_caller_identity())["Account"] == "123456789012"


async def test_ecs_backend_receives_the_callers_account(
    sim: Simulator, sts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ECS request reaches the backend with the account of the credentials it was
    signed with."""
    accounts: list[str] = []
    handle = sim.backend.handle

    def spy(region: str, operation: str, params: dict[str, Any], **context: Any) -> Any:
        accounts.append(context["account"])
        return handle(region, operation, params, **context)

    monkeypatch.setattr(sim.backend, "handle", spy)
    session = await sts.assume_role(RoleArn=ROLE, RoleSessionName="ecs")
    async with (
        new_session().client("ecs", config=NO_RETRIES, **sim.client_kwargs()) as plain,
        new_session().client("ecs", **with_credentials(sim, session["Credentials"])) as role,
    ):
        await plain.list_clusters()
        await role.list_clusters()
    assert accounts == ["123456789012", "210987654321"]


async def test_unassumable_role_is_access_denied(sim: Simulator, sts: Any) -> None:
    """A role configured unassumable answers AccessDenied naming the caller and the role."""
    sim.configure_role(ROLE, assumable=False)
    with pytest.raises(ClientError) as raised:
        await sts.assume_role(RoleArn=ROLE, RoleSessionName="denied")
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        "User: arn:aws:iam::123456789012:user/ecsdeploy-sim is not authorized to perform: "
        f"sts:AssumeRole on resource: {ROLE}"
    )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_role_requiring_an_external_id_accepts_only_that_one(
    sim: Simulator, sts: Any
) -> None:
    """With an external id configured, AssumeRole without it or with another is AccessDenied."""
    sim.configure_role(ROLE, external_id="tenant-42")
    for given in ({}, {"ExternalId": "tenant-41"}):
        with pytest.raises(ClientError) as raised:
            await sts.assume_role(RoleArn=ROLE, RoleSessionName="xid", **given)
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
    answer = await sts.assume_role(RoleArn=ROLE, RoleSessionName="xid", ExternalId="tenant-42")
    assert sim.account_of(answer["Credentials"]["AccessKeyId"]) == "210987654321"


async def test_duration_above_the_roles_maximum_is_a_validation_error(
    sim: Simulator, sts: Any
) -> None:
    """DurationSeconds beyond the role's MaxSessionDuration is refused as STS refuses it."""
    with pytest.raises(ClientError) as raised:
        await sts.assume_role(RoleArn=ROLE, RoleSessionName="long", DurationSeconds=7200)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "exceeds the MaxSessionDuration" in raised.value.response["Error"]["Message"]
    sim.configure_role(ROLE, max_session_duration=43200)
    await sts.assume_role(RoleArn=ROLE, RoleSessionName="long", DurationSeconds=7200)


async def test_role_rule_through_the_control_api(sim: Simulator, sts: Any) -> None:
    """POST /_sim/rules with ``role`` refuses the role; DELETE /_sim/rules makes it assumable
    again."""
    status, _ = await call(sim, "POST", "/_sim/rules", {"role": ROLE, "assumable": False})
    assert status == 201
    with pytest.raises(ClientError):
        await sts.assume_role(RoleArn=ROLE, RoleSessionName="rule")
    await call(sim, "DELETE", "/_sim/rules")
    await sts.assume_role(RoleArn=ROLE, RoleSessionName="rule")
    status, body = await call(sim, "POST", "/_sim/rules", {"role": ROLE, "assumable": "no"})
    assert status == 400
    assert "'assumable' must be true or false" in body["message"]


async def test_sts_endpoint_from_environment_variable(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_STS, and the global AWS_ENDPOINT_URL, point a client at the simulator."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "anything")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "anything")
    for variable in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(variable, sim.endpoint_url)
        async with new_session().client("sts", region_name="eu-west-1") as client:
            assert (await client.get_caller_identity())["Account"] == "123456789012"
        monkeypatch.delenv(variable)
    assert sim.stats()["calls"] == {"sts:GetCallerIdentity": 2}


async def test_aws_cli_parses_assume_role(sim: Simulator) -> None:
    """``aws sts assume-role`` reads the simulator's XML answer."""
    env = {**aws_env(sim), "AWS_ENDPOINT_URL_STS": sim.endpoint_url}
    argv = [AWS, "sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "cli"]
    with anyio.fail_after(20):
        result = await anyio.run_process([*argv, "--output", "json"], env=env)
    answer = json.loads(result.stdout)
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ecsdeploy/cli")
    assert sim.account_of(answer["Credentials"]["AccessKeyId"]) == "210987654321"


async def test_assume_role_answers_like_moto(sim: Simulator, moto_ecs_url: str) -> None:
    """The simulator's AssumeRole and GetCallerIdentity answers have the members and the
    assumed-role ARN moto's server gives."""
    answers = []
    for url in (sim.endpoint_url, moto_ecs_url):
        kwargs = {**sim.client_kwargs(), "endpoint_url": url}
        async with new_session().client("sts", **kwargs) as client:
            role = await client.assume_role(RoleArn=ROLE, RoleSessionName="conformance")
            credentials = role["Credentials"]
            async with new_session().client(
                "sts",
                **{
                    **kwargs,
                    "aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"],
                },
            ) as assumed:
                identity = await assumed.get_caller_identity()
        answers.append((role, identity))
    (ours, our_identity), (moto, moto_identity) = answers
    assert set(ours["Credentials"]) == set(moto["Credentials"])
    assert ours["AssumedRoleUser"]["Arn"] == moto["AssumedRoleUser"]["Arn"]
    assert (our_identity["Account"], our_identity["Arn"]) == (
        moto_identity["Account"],
        moto_identity["Arn"],
    )


async def test_reset_forgets_sessions_and_role_settings(sim: Simulator, sts: Any) -> None:
    """After `Simulator.reset` a session key is an unknown key of the default account and a
    refused role is assumable again."""
    key = (await sts.assume_role(RoleArn=ROLE, RoleSessionName="before"))["Credentials"][
        "AccessKeyId"
    ]
    sim.configure_role(ROLE, assumable=False)
    sim.reset()
    assert sim.account_of(key) == "123456789012"
    answer = await sts.assume_role(RoleArn=ROLE, RoleSessionName="after")
    assert sim.account_of(answer["Credentials"]["AccessKeyId"]) == "210987654321"


@pytest.mark.parametrize("name", ["ecsdeploy-été", "ecsdeploy release"])
async def test_assume_role_refuses_a_session_name_outside_stss_pattern(
    sim: Simulator, sts: Any, name: str
) -> None:
    """A RoleSessionName outside ASCII `[\\w+=,.@-]` (botocore checks only its length) is STS's
    ValidationError."""
    with pytest.raises(ClientError) as raised:
        await sts.assume_role(RoleArn=ROLE, RoleSessionName=name)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "roleSessionName" in raised.value.response["Error"]["Message"]
