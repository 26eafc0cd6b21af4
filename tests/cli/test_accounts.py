"""`ecsdeploy release` across accounts: roles from the file, --role-arn, and a role STS refuses
(exit 2, nothing changed anywhere), against the simulator process's ECS and STS."""

from __future__ import annotations

from pathlib import Path

from tests._fixtures.accounts import (
    ACCOUNT_A,
    ACCOUNT_B,
    ROLE_A,
    ROLE_B,
    create_web,
    revisions,
)
from tests._fixtures.release_text import nginx_web, release_text, stage
from tests._fixtures.simulator_process import (
    CLUSTER,
    ECSDEPLOY,
    REGION,
    SimulatedEcs,
    results,
    run_process,
)

IN_ACCOUNT_A = {"cluster": CLUSTER, "role_arn": ROLE_A}


def release_file(tmp_path: Path) -> Path:
    """`web` in account A (canary), then in account B."""
    path = tmp_path / "accounts.toml"
    path.write_text(
        release_text(
            stage(nginx_web(), name="canary"),
            stage(nginx_web(role_arn=ROLE_B), name="rest"),
            defaults=IN_ACCOUNT_A,
        )
    )
    return path


def environ(simulated: SimulatedEcs) -> dict[str, str]:
    return {**simulated.environ(), "AWS_ENDPOINT_URL_STS": simulated.url}


FAST = ["--poll-interval", "0.05", "--timeout", "30", "--no-live", "--log-format", "json"]


def test_a_release_deploys_each_service_with_its_accounts_role(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """Exit 0; each account registered its own revision 2; results name account and region."""
    create_web(simulated, ROLE_A)
    create_web(simulated, ROLE_B)
    done = run_process(
        [ECSDEPLOY, "release", str(release_file(tmp_path)), *FAST], environ(simulated)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for account, role in ((ACCOUNT_A, ROLE_A), (ACCOUNT_B, ROLE_B)):
        assert revisions(simulated, role)[-1] == (
            f"arn:aws:ecs:{REGION}:{account}:task-definition/web:2"
        )
    rows = results(done.stdout, "ecsdeploy.release.service")
    assert sorted(row["account"] for row in rows) == [ACCOUNT_A, ACCOUNT_B]


def test_a_role_sts_refuses_exits_2_and_changes_nothing_anywhere(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """Account B's role is not assumable: exit 2 naming it; account A (stage 1) is untouched."""
    create_web(simulated, ROLE_A)
    create_web(simulated, ROLE_B)
    simulated.add_rule({"role": ROLE_B, "assumable": False})
    done = run_process(
        [ECSDEPLOY, "release", str(release_file(tmp_path)), *FAST], environ(simulated)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert ROLE_B in done.stdout + done.stderr
    simulated.add_rule({"role": ROLE_B, "assumable": True})
    for account, role in ((ACCOUNT_A, ROLE_A), (ACCOUNT_B, ROLE_B)):
        assert revisions(simulated, role) == [
            f"arn:aws:ecs:{REGION}:{account}:task-definition/web:1"
        ]


def test_role_arn_on_the_command_line_replaces_the_files_default_role(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """--role-arn B over [defaults]' role A: the service deploys in account B."""
    create_web(simulated, ROLE_B)
    path = tmp_path / "one.toml"
    path.write_text(release_text(stage(nginx_web()), defaults=IN_ACCOUNT_A))
    done = run_process(
        [ECSDEPLOY, "release", str(path), "--role-arn", ROLE_B, *FAST], environ(simulated)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert revisions(simulated, ROLE_B)[-1].endswith(f"{ACCOUNT_B}:task-definition/web:2")


def test_a_dry_run_refuses_a_service_named_with_and_without_the_default_region(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """`web` without a region and `web` in the default region are one service twice: the dry
    run exits 2 as the release would, instead of planning it twice."""
    create_web(simulated, ROLE_A)
    path = tmp_path / "twice.toml"
    path.write_text(
        release_text(stage(nginx_web(), nginx_web(region=REGION)), defaults=IN_ACCOUNT_A)
    )
    done = run_process([ECSDEPLOY, "release", str(path), "--dry-run", *FAST], environ(simulated))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "once per release" in done.stdout + done.stderr
    assert "would register" not in done.stdout
