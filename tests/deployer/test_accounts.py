"""Releases across accounts and regions, end to end on the simulator (ECS and STS over HTTP):
each target deploys with its own role's credentials into its own account's state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from ecsdeploy import (
    Deployer,
    ImageChange,
    Location,
    OneOffTask,
    Outcome,
    Release,
    ServiceState,
    Stage,
    Target,
    TaskState,
    parse_release,
)
from ecsdeploy._credentials import Role
from ecsdeploy._deployer import pacing_of, role_sessions_of
from ecsdeploy._release.runner import repeated_services
from ecsdeploy._retry import RetryPolicy
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, POLL_INTERVAL, REGION, SPEED, offline_session
from tests._fixtures.release_text import Value, nginx_web, release_text, stage
from tests._fixtures.scenario import CRASH
from tests.deployer.accounts import (
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    REGIONS,
    ROLE_A,
    ROLE_B,
    create_service,
    deployer_to,
    ecs_in,
    image_in,
    revisions_in,
    service_in,
)

pytestmark = pytest.mark.anyio

CANARY, *REST = REGIONS


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator on the usual fast clock, serving ECS and STS on one port."""
    async with Simulator(speed=SPEED, seed=14) as simulator:
        yield simulator


@pytest.fixture
async def deployer(sim: Simulator) -> AsyncIterator[Deployer]:
    """A Deployer whose ECS and STS are the simulator's."""
    async with deployer_to(sim.endpoint_url) as opened:
        yield opened


PACED: dict[str, Value] = {"cluster": CLUSTER, "poll_interval": POLL_INTERVAL, "timeout": 60}
"""The defaults of a release on the simulator's fast clock."""


def two_accounts_three_regions(*, last: str = "myorg/nginx:2.0") -> str:
    """Canary: account A's canary region. Then A's other regions and all of B's (a `regions`
    fan-out). Last: account A's last region alone, with image `last`."""
    return release_text(
        stage(nginx_web(role_arn=ROLE_A, region=CANARY), name="canary"),
        stage(
            nginx_web(role_arn=ROLE_A, region=REST[0]),
            nginx_web(role_arn=ROLE_B, regions=list(REGIONS)),
            name="rest",
        ),
        stage(nginx_web(last, role_arn=ROLE_A, region=REST[1]), name="last"),
        release={"name": "web-2.0"},
        defaults=PACED,
    )


A_IN_CANARY: dict[str, Value] = {**PACED, "role_arn": ROLE_A, "region": CANARY}
"""Paced defaults deploying with role A in the canary region."""

LOCATIONS = [(role, region) for role in (ROLE_A, ROLE_B) for region in REGIONS]


async def arrange(sim: Simulator) -> None:
    """`web` on myorg/nginx:1.0 in every (account, region), and one in the default account."""
    for role, region in [*LOCATIONS, (None, CANARY)]:
        await create_service(sim, role, region)


async def test_a_release_across_two_accounts_and_three_regions_succeeds(
    sim: Simulator, deployer: Deployer
) -> None:
    """Every (account, region) runs the new revision, registered there with its own ARNs; the
    default account's service of the same name is untouched."""
    await arrange(sim)
    release = parse_release(two_accounts_three_regions())

    result = await deployer.release(release)

    assert result.outcome is Outcome.SUCCEEDED
    groups = result.by_location()
    assert list(groups) == sorted(
        Location(account, region) for account in (ACCOUNT_A, ACCOUNT_B) for region in REGIONS
    )
    assert all(len(services) == 1 for services in groups.values())
    for role, region in LOCATIONS:
        account = role.split(":")[4]
        service = await service_in(sim, role, region)
        assert service["serviceArn"] == f"arn:aws:ecs:{region}:{account}:service/{CLUSTER}/web"
        assert service["taskDefinition"] == (
            f"arn:aws:ecs:{region}:{account}:task-definition/web:2"
        )
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
        assert await image_in(sim, role, region) == "myorg/nginx:2.0"
    untouched = await service_in(sim, None, CANARY)
    assert untouched["taskDefinition"] == (
        f"arn:aws:ecs:{CANARY}:{DEFAULT_ACCOUNT}:task-definition/web:1"
    )


async def test_tasks_and_service_deployments_carry_their_account_and_region(
    sim: Simulator, deployer: Deployer
) -> None:
    """Task ARNs and service-deployment ARNs of account B's region name B and that region."""
    region = REST[1]
    await create_service(sim, ROLE_B, region)
    release = parse_release(
        release_text(
            stage(
                nginx_web(
                    cluster=CLUSTER, role_arn=ROLE_B, region=region, poll_interval=POLL_INTERVAL
                )
            )
        )
    )
    result = await deployer.release(release)
    assert result.succeeded
    outcome = result.services[0].result
    assert outcome is not None
    assert outcome.task_definition_arn == f"arn:aws:ecs:{region}:{ACCOUNT_B}:task-definition/web:2"
    async with ecs_in(sim, ROLE_B, region) as ecs:
        tasks = await ecs.list_tasks(cluster=CLUSTER, serviceName="web")
        deployments = await ecs.list_service_deployments(cluster=CLUSTER, service="web")
    assert tasks["taskArns"]
    assert all(
        arn.startswith(f"arn:aws:ecs:{region}:{ACCOUNT_B}:task/{CLUSTER}/")
        for arn in tasks["taskArns"]
    )
    arns = [d["serviceDeploymentArn"] for d in deployments["serviceDeployments"]]
    assert arns
    assert all(
        arn.startswith(f"arn:aws:ecs:{region}:{ACCOUNT_B}:service-deployment/") for arn in arns
    )


async def test_one_assume_role_per_role_and_region_shared_by_its_targets(
    sim: Simulator, deployer: Deployer
) -> None:
    """Six (role, region) pairs: six sessions, each named after the release."""
    await arrange(sim)
    result = await deployer.release(parse_release(two_accounts_three_regions()))
    assert result.succeeded
    sessions = role_sessions_of(deployer)
    assert sessions is not None
    pairs = sorted((s.role.arn, s.region) for s in sessions.sessions)
    assert pairs == sorted(LOCATIONS)
    assert {s.session_name for s in sessions.sessions} == {"ecsdeploy-web-2.0"}


async def test_a_failure_in_the_last_region_rolls_back_every_account_and_region(
    sim: Simulator, deployer: Deployer
) -> None:
    """Atomic: the last region's crash puts all six (account, region) services back on :1."""
    await arrange(sim)
    sim.add_rule(CRASH)
    release = parse_release(two_accounts_three_regions(last="myorg/nginx:crash"))

    result = await deployer.release(release)

    assert result.outcome is Outcome.ROLLED_BACK
    states = {str(loc): [s.state for s in group] for loc, group in result.by_location().items()}
    assert states == {
        f"{account}/{region}": [ServiceState.ROLLED_BACK]
        for account in (ACCOUNT_A, ACCOUNT_B)
        for region in REGIONS
    }
    for role, region in LOCATIONS:
        account = role.split(":")[4]
        service = await service_in(sim, role, region)
        assert service["taskDefinition"] == (
            f"arn:aws:ecs:{region}:{account}:task-definition/web:1"
        ), (role, region)


async def test_a_role_that_cannot_be_assumed_changes_nothing_anywhere(
    sim: Simulator, deployer: Deployer
) -> None:
    """Account B's role is refused: exit 2 naming it, and no account registered anything."""
    await arrange(sim)
    sim.configure_role(ROLE_B, assumable=False)

    result = await deployer.release(parse_release(two_accounts_three_regions()))

    assert result.exit_code == 2
    assert result.error is not None
    assert ROLE_B in result.error
    assert all(s.result is None for s in result.services)
    for role, region in [(ROLE_A, r) for r in REGIONS]:
        assert await revisions_in(sim, role, region) == [
            f"arn:aws:ecs:{region}:{ACCOUNT_A}:task-definition/web:1"
        ]


async def test_a_wrong_external_id_is_bad_input(sim: Simulator, deployer: Deployer) -> None:
    """The role's trust policy wants an external id the target does not give: exit 2."""
    await create_service(sim, ROLE_A, CANARY)
    sim.configure_role(ROLE_A, external_id="expected-id")
    release = parse_release(
        release_text(
            stage(nginx_web()),
            defaults={
                "cluster": CLUSTER,
                "role_arn": ROLE_A,
                "external_id": "another-id",
                "region": CANARY,
            },
        )
    )
    result = await deployer.release(release)
    assert result.exit_code == 2
    assert result.error is not None
    assert "not authorized to perform: sts:AssumeRole" in result.error
    sim.configure_role(ROLE_A)  # so that the test itself can look
    assert await revisions_in(sim, ROLE_A, CANARY) == [
        f"arn:aws:ecs:{CANARY}:{ACCOUNT_A}:task-definition/web:1"
    ]


async def test_credentials_are_refreshed_during_a_release_longer_than_their_lifetime(
    sim: Simulator, deployer: Deployer
) -> None:
    """Sessions last 900 simulated seconds; a release with a 2000 s bake outlives them, its
    expired credentials are renewed, and it succeeds."""
    await create_service(sim, ROLE_A, CANARY)
    sim.set_session_lifetime(900)
    release = parse_release(
        release_text(
            stage(nginx_web()),
            defaults={**A_IN_CANARY, "bake": 2000 / SPEED},
        )
    )
    with capture_logs() as logs:
        result = await deployer.release(release)

    assert result.succeeded, result.services[0].reason
    sessions = role_sessions_of(deployer)
    assert sessions is not None
    (session,) = sessions.sessions
    assert result.duration * SPEED > 2 * 900  # the release outlived two sessions' lifetimes
    assert session.assumed >= 2
    events = [entry["event"] for entry in logs]
    assert "ecsdeploy.credentials.expired" in events
    assert "ecsdeploy.credentials.refreshed" in events
    assert await image_in(sim, ROLE_A, CANARY) == "myorg/nginx:2.0"


async def test_each_account_and_region_is_paced_by_its_own_buckets(
    sim: Simulator, deployer: Deployer
) -> None:
    """Rate limiters per (account, region): each saw exactly its own location's calls."""
    await arrange(sim)
    # Sessions of an hour of simulated time end after 3.6 s of a busy machine's wall time,
    # and a call refused for an expired token is sent again: counted twice.
    sim.set_session_lifetime(12 * 3600)
    result = await deployer.release(parse_release(two_accounts_three_regions()))
    assert result.succeeded
    limiters = pacing_of(deployer).limiters
    assert sorted(limiters, key=str) == sorted(
        ((account, region) for account in (ACCOUNT_A, ACCOUNT_B) for region in REGIONS), key=str
    )
    for limiter in limiters.values():
        assert limiter.taken("UpdateService") == 1
        assert limiter.taken("RegisterTaskDefinition") == 1
        assert limiter.taken("DescribeServices") >= 1
    assert len({id(limiter) for limiter in limiters.values()}) == 6


async def test_a_health_checks_read_renews_credentials_aws_says_expired(
    sim: Simulator, deployer: Deployer
) -> None:
    """CloudWatch and ELBv2 reads of the health checks that meet an expired token get the
    role's session renewed and are sent again, as ECS calls are."""
    sim.set_session_lifetime(900)
    role = Role(ROLE_A)
    await deployer._gateway(CANARY, role)
    reads = deployer._reads[(role, CANARY)]
    sim.set_alarm("web-5xx", "OK")
    await sim.advance(1000)  # the session expired on the simulator's clock, not on ours

    with capture_logs() as logs:
        alarms = await reads.describe_alarms(names=["web-5xx"])

    assert [a["AlarmArn"] for a in alarms] == [
        f"arn:aws:cloudwatch:{CANARY}:{ACCOUNT_A}:alarm:web-5xx"
    ]
    sessions = role_sessions_of(deployer)
    assert sessions is not None
    assert [s.assumed for s in sessions.sessions] == [2]
    assert "ecsdeploy.credentials.expired" in [entry["event"] for entry in logs]


async def test_a_release_named_in_any_alphabet_assumes_its_roles(
    sim: Simulator, deployer: Deployer
) -> None:
    """STS takes ASCII session names only: a release named "mise-à-jour-été" deploys with a
    session named in that charset instead of failing as a role that cannot be assumed."""
    await create_service(sim, ROLE_A, CANARY)
    release = parse_release(
        release_text(stage(nginx_web()), release={"name": "mise-à-jour-été"}, defaults=A_IN_CANARY)
    )

    result = await deployer.release(release)

    assert result.succeeded, result.error or result.services[0].reason
    sessions = role_sessions_of(deployer)
    assert sessions is not None
    assert [s.session_name for s in sessions.sessions] == ["ecsdeploy-mise-a-jour-ete"]
    assert await image_in(sim, ROLE_A, CANARY) == "myorg/nginx:2.0"


async def test_a_service_named_with_and_without_the_default_region_is_one_service(
    sim: Simulator, deployer: Deployer
) -> None:
    """A canary stage on the Deployer's region (no `region`) and a `regions` fan-out listing
    that region name one service twice: bad input before anything changes, as any repeat."""
    for region in REGIONS:
        await create_service(sim, ROLE_A, region)
    release = parse_release(
        release_text(
            stage(nginx_web(), name="canary"),
            stage(nginx_web(regions=list(REGIONS)), name="everywhere"),
            defaults={**PACED, "role_arn": ROLE_A},
        )
    )

    result = await deployer.release(release)

    assert result.exit_code == 2
    assert result.error is not None
    assert "once per release" in result.error
    assert f"{ACCOUNT_A}:{REGION}/{CLUSTER}/web" in result.error
    for region in REGIONS:
        assert await image_in(sim, ROLE_A, region) == "myorg/nginx:1.0"


@pytest.mark.parametrize(
    ("task_region", "service_region"),
    [(REGION, None), (None, REGION)],
    ids=["task-names-the-default-region", "service-names-the-default-region"],
)
async def test_a_task_and_its_service_in_the_default_region_match_named_or_not(
    sim: Simulator, deployer: Deployer, task_region: str | None, service_region: str | None
) -> None:
    """A migration naming the Deployer's region runs the revision the release deploys to a
    service that names no region (and the other way round), in that service's account."""
    await create_service(sim, ROLE_A, REGION)
    sim.add_rule(
        {"image": "myorg/nginx:2.0", "behavior": "exit", "command": "migrate*", "after": 20}
    )
    web = Target(
        CLUSTER,
        "web",
        [ImageChange("nginx", "myorg/nginx:2.0")],
        region=service_region,
        role_arn=ROLE_A,
    )
    migrate = OneOffTask(
        "migrate",
        cluster=CLUSTER,
        region=task_region,
        task_definition_of="web",
        command={"nginx": ["migrate"]},
    )

    result = await deployer.release(Release([Stage("apps", [web], tasks=[migrate])]))

    assert result.succeeded, result.error or [t.reason for t in result.tasks]
    (task,) = result.tasks
    assert task.state is TaskState.SUCCEEDED
    assert task.task_definition_arn == f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:task-definition/web:2"
    assert task.task_arn is not None
    assert task.task_arn.startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT_A}:task/")
    assert await image_in(sim, ROLE_A, REGION) == "myorg/nginx:2.0"


def test_a_task_whose_service_is_in_two_accounts_once_the_default_region_is_read_is_refused() -> (
    None
):
    """`web` of role A without a region and of role B in the Deployer's region: a task taking
    its revision from `web` there has no account to run in, which the release says up front."""
    web = [ImageChange("nginx", "myorg/nginx:2.0")]
    release = Release(
        [
            Stage(
                "apps",
                [
                    Target(CLUSTER, "web", web, role_arn=ROLE_A),
                    Target(CLUSTER, "web", web, region=REGION, role_arn=ROLE_B),
                ],
                tasks=[OneOffTask("migrate", cluster=CLUSTER, task_definition_of="web")],
            )
        ]
    )

    problems = repeated_services(release, REGION)

    assert len(problems) == 1
    assert "one-off task 'migrate'" in problems[0]
    assert f"several accounts ({ACCOUNT_A}, {ACCOUNT_B})" in problems[0]
    assert repeated_services(release, REST[0]) == []


@pytest.mark.parametrize("service", ["ecs", "cloudwatch"])
async def test_an_expired_token_is_renewed_and_resent_with_one_attempt_per_call(
    sim: Simulator, service: str
) -> None:
    """attempts=1 (AWS_MAX_ATTEMPTS=1) bounds the retries of failing calls; a call AWS refused
    for an expired token is still sent again with renewed credentials, ECS's and the checks'."""
    await create_service(sim, ROLE_A, CANARY)
    sim.set_session_lifetime(900)
    sim.set_alarm("web-5xx", "OK")
    async with Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=sim.endpoint_url,
        sts_endpoint_url=sim.endpoint_url,
        retry=RetryPolicy(attempts=1),
    ) as deployer:
        role = Role(ROLE_A)
        gateway = await deployer._gateway(CANARY, role)
        await sim.advance(1000)  # the session expired on the simulator's clock, not on ours
        if service == "ecs":
            services, _ = await gateway.describe_services(CLUSTER, ["web"])
            assert [s["serviceName"] for s in services] == ["web"]
        else:
            alarms = await deployer._reads[(role, CANARY)].describe_alarms(names=["web-5xx"])
            assert [a["AlarmName"] for a in alarms] == ["web-5xx"]
        sessions = role_sessions_of(deployer)
        assert sessions is not None
        assert [s.assumed for s in sessions.sessions] == [2]
