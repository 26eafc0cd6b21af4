"""Release-file keys for accounts and regions: role_arn, external_id, regions (pure parsing)."""

from __future__ import annotations

import pytest

from ecsdeploy import parse_release
from ecsdeploy._credentials import Role, role_session_name
from ecsdeploy.exceptions import AssumeRoleError, ReleaseFileError
from tests._fixtures.release_text import Value, org_service, release_text, stage

ROLE_A = "arn:aws:iam::210987654321:role/ecsdeploy"
ROLE_B = "arn:aws:iam::345678901234:role/ecsdeploy"


SERVICE = """
[[stage]]
[[stage.service]]
service = "web"
images = { web = "org/web:2" }
"""

MIGRATE_WEB: dict[str, Value] = {"name": "migrate", "task_definition_of": "web"}


def test_defaults_give_every_service_a_role_and_external_id() -> None:
    """role_arn and external_id in [defaults] reach each target, with the role's account."""
    release = parse_release(
        f'[defaults]\ncluster = "prod"\nrole_arn = "{ROLE_A}"\nexternal_id = "x-1"\n' + SERVICE
    )
    (target,) = release.targets
    assert (target.role_arn, target.external_id, target.account) == (ROLE_A, "x-1", "210987654321")
    assert str(target) == "210987654321:prod/web"


def test_an_override_replaces_the_default_role_but_not_a_services_own() -> None:
    """--role-arn beats [defaults]' role_arn, never the role a service names itself."""
    text = release_text(
        stage(org_service("web"), org_service("api", role_arn=ROLE_A)),
        defaults={"cluster": "prod", "role_arn": ROLE_A},
    )
    release = parse_release(text, overrides={"role_arn": ROLE_B})
    assert [t.role_arn for t in release.targets] == [ROLE_B, ROLE_A]


def test_regions_fan_one_service_out_to_each_region() -> None:
    """`regions` makes one target per region: same service, same change."""
    release = parse_release(
        '[defaults]\ncluster = "prod"\n'
        + SERVICE.replace(
            'service = "web"', 'service = "web"\nregions = ["eu-west-1", "us-east-2"]'
        )
    )
    assert [(t.region, t.service, t.changes) for t in release.targets] == [
        ("eu-west-1", "web", release.targets[0].changes),
        ("us-east-2", "web", release.targets[0].changes),
    ]


def test_a_services_region_wins_over_default_regions() -> None:
    """[defaults] regions fan out every service except one that names its own region."""
    text = release_text(
        stage(org_service("web"), org_service("api", region="ap-southeast-2")),
        defaults={"cluster": "prod", "regions": ["us-east-2", "eu-west-1"]},
    )
    release = parse_release(text)
    assert [str(t) for t in release.targets] == [
        "us-east-2/prod/web",
        "eu-west-1/prod/web",
        "ap-southeast-2/prod/api",
    ]


def test_region_on_the_command_line_replaces_default_regions() -> None:
    """--region over [defaults]' regions: one target, in that region."""
    text = '[defaults]\ncluster = "prod"\nregions = ["us-east-2", "eu-west-1"]\n' + SERVICE
    release = parse_release(text, overrides={"region": "ca-central-1"})
    assert [t.region for t in release.targets] == ["ca-central-1"]


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ('region = "us-east-2"\nregions = ["eu-west-1"]', "either 'region' or 'regions'"),
        ("regions = []", "name at least one region"),
        ('regions = ["eu-west-1", "eu-west-1"]', "listed twice"),
        ('external_id = "x-1"', "external_id needs a role_arn"),
    ],
)
def test_bad_location_keys_are_reported_at_their_line(snippet: str, problem: str) -> None:
    """Contradictory or empty location keys: a ReleaseFileError naming the problem."""
    text = '[defaults]\ncluster = "prod"\n' + SERVICE.replace(
        'service = "web"', f'service = "web"\n{snippet}'
    )
    with pytest.raises(ReleaseFileError, match=problem) as raised:
        parse_release(text)
    assert raised.value.line is not None


def test_the_same_service_in_two_accounts_is_two_services() -> None:
    """One name, one region, two roles in two accounts: not a repeated service."""
    text = release_text(
        stage(org_service("web", role_arn=ROLE_A), org_service("web", role_arn=ROLE_B)),
        defaults={"cluster": "prod"},
    )
    assert len(parse_release(text).targets) == 2


def test_session_names_stay_within_stss_charset_and_length() -> None:
    """`ecsdeploy-<label>`: other characters become '-', cut at 64."""
    assert role_session_name("web 2.0/eu") == "ecsdeploy-web-2.0-eu"
    long = role_session_name("x" * 100)
    assert len(long) == 64
    assert long.startswith("ecsdeploy-xxx")


@pytest.mark.parametrize(
    "role",
    [
        Role("arn:aws:iam::210987654321:user/deploy"),
        Role("arn:aws:iam::2109876:role/deploy"),
        Role(ROLE_A, external_id="x"),
    ],
)
def test_roles_sts_would_refuse_unseen_are_bad_input(role: Role) -> None:
    """Not a role ARN, or an external id too short: AssumeRoleError before asking STS."""
    with pytest.raises(AssumeRoleError):
        role.check()


@pytest.mark.parametrize(
    ("snippet", "key", "hint"),
    [
        (f'role_arn = "{ROLE_B}"', "role_arn", "task_definition_of"),
        ('external_id = "x-1"', "external_id", "task_definition_of"),
        ('regions = ["eu-west-1", "us-east-2"]', "regions", "did you mean 'region'"),
    ],
)
def test_a_task_refuses_location_keys_it_would_silently_ignore(
    snippet: str, key: str, hint: str
) -> None:
    """A one-off task runs with its service's credentials, once: role_arn, external_id and
    regions on a [[stage.task]] are an error at their line, not dropped."""
    text = f"""
[defaults]
cluster = "prod"
[[stage]]
[[stage.task]]
name = "migrate"
task_definition = "migrate:3"
{snippet}
"""
    with pytest.raises(ReleaseFileError, match=f"'{key}'") as raised:
        parse_release(text)
    assert raised.value.line == 8
    assert hint in str(raised.value)


def test_a_task_whose_service_is_in_two_accounts_is_ambiguous() -> None:
    """task_definition_of a service the release deploys in two accounts (same region and
    cluster) names no one account to run in: an error, not a pick of the first."""
    text = release_text(
        stage(
            org_service("web", role_arn=ROLE_A),
            org_service("web", role_arn=ROLE_B),
            tasks=[MIGRATE_WEB],
        ),
        defaults={"cluster": "prod", "region": "us-east-2"},
    )
    with pytest.raises(ReleaseFileError, match="migrate") as raised:
        parse_release(text)
    assert "210987654321" in str(raised.value)
    assert "345678901234" in str(raised.value)


def test_an_external_id_goes_only_with_the_role_it_was_given_with() -> None:
    """[defaults]' external_id is for [defaults]' role: a service naming its own role, or a
    --role-arn replacing that role, does not send it to another account's STS."""
    text = release_text(
        stage(
            org_service("web"),
            org_service("api", role_arn=ROLE_B),
            org_service("jobs", role_arn=ROLE_B, external_id="secret-for-b"),
        ),
        defaults={"cluster": "prod", "role_arn": ROLE_A, "external_id": "secret-for-a"},
    )
    as_written = parse_release(text)
    assert [(t.role_arn, t.external_id) for t in as_written.targets] == [
        (ROLE_A, "secret-for-a"),
        (ROLE_B, None),
        (ROLE_B, "secret-for-b"),
    ]
    role_c = "arn:aws:iam::456789012345:role/ecsdeploy"
    overridden = parse_release(text, overrides={"role_arn": role_c})
    assert [(t.role_arn, t.external_id) for t in overridden.targets] == [
        (role_c, None),
        (ROLE_B, None),
        (ROLE_B, "secret-for-b"),
    ]
    both = parse_release(text, overrides={"role_arn": role_c, "external_id": "secret-for-c"})
    assert [(t.role_arn, t.external_id) for t in both.targets] == [
        (role_c, "secret-for-c"),
        (ROLE_B, None),
        (ROLE_B, "secret-for-b"),
    ]


def test_a_task_under_default_regions_must_name_its_region() -> None:
    """[defaults] regions fans services out; a task runs once, so it names its region (else it
    ran in the Deployer's region with the Deployer's credentials, not its service's)."""
    text = release_text(
        stage(org_service("web"), tasks=[MIGRATE_WEB]),
        defaults={"cluster": "prod", "role_arn": ROLE_A, "regions": ["us-east-2", "eu-west-1"]},
    )
    with pytest.raises(ReleaseFileError, match="set its 'region'") as raised:
        parse_release(text)
    assert raised.value.line == 7
    placed = parse_release(
        text.replace('name = "migrate"', 'name = "migrate"\nregion = "eu-west-1"')
    )
    (task,) = placed.tasks
    assert task.region == "eu-west-1"
    assert placed.stages[0].targets[1].role_arn == ROLE_A
