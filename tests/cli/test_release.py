"""`ecsdeploy release FILE.toml` against a simulator process."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from ecsdeploy.cli import main
from tests._fixtures.simulator_process import CLUSTER, FAST, REGION, SimulatedEcs, results


def release_file(tmp_path: Path, first: str, second: str, *, second_image: str) -> Path:
    path = tmp_path / "release.toml"
    path.write_text(
        f"""
[release]
name = "cli-test"
atomic = true

[defaults]
region = "{REGION}"
cluster = "{CLUSTER}"

[[stage]]
name = "first"

[[stage.service]]
service = "{first}"
images = {{ nginx = "myorg/nginx:${{VERSION}}" }}
env = {{ nginx = {{ DB_PASSWORD = "hunter2-very-secret" }} }}

[[stage]]
name = "second"

[[stage.service]]
service = "{second}"
images = {{ nginx = "{second_image}" }}
"""
    )
    return path


def release(simulated: SimulatedEcs, path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        ["release", str(path), *FAST, "--no-live", *args],
        env={**simulated.environ(), "VERSION": "2.0"},
    )


def test_a_release_deploys_its_stages_and_exits_0(simulated: SimulatedEcs, tmp_path: Path) -> None:
    """Both stages succeed; ${VERSION} comes from the environment."""
    first, second = simulated.create_service(), simulated.create_service()
    path = release_file(tmp_path, first, second, second_image="myorg/nginx:2.0")
    result = release(simulated, path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert simulated.image(first) == simulated.image(second) == "myorg/nginx:2.0"
    (final,) = results(result.stdout, "ecsdeploy.release.result")
    assert final["outcome"] == "SUCCEEDED"
    assert "hunter2-very-secret" not in result.stdout + result.stderr


def test_an_atomic_release_rolls_back_the_earlier_stage_and_exits_1(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """The second stage crashes: both services end on their old revisions, exit 1."""
    first, second = simulated.create_service(), simulated.create_service()
    old = simulated.task_definition(first), simulated.task_definition(second)
    simulated.add_rule(
        {"image": "myorg/nginx:crash-release", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    path = release_file(tmp_path, first, second, second_image="myorg/nginx:crash-release")
    result = release(simulated, path)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert (simulated.task_definition(first), simulated.task_definition(second)) == old
    services = results(result.stdout, "ecsdeploy.release.service")
    states = {line["service"]: line["outcome"] for line in services}
    assert states == {first: "ROLLED_BACK", second: "ROLLED_BACK"}


def test_a_dry_run_plans_every_service_and_changes_nothing(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """--dry-run prints each service's diff, secrets redacted, and registers nothing."""
    first, second = simulated.create_service(), simulated.create_service()
    path = release_file(tmp_path, first, second, second_image="myorg/nginx:9.9")
    result = release(simulated, path, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"{CLUSTER}/{first}" in result.stdout
    assert f"{CLUSTER}/{second}" in result.stdout
    assert "myorg/nginx:9.9" in result.stdout
    assert "DB_PASSWORD" in result.stdout
    assert "hunter2-very-secret" not in result.stdout
    assert len(simulated.revisions(first)) == len(simulated.revisions(second)) == 1


def test_a_bad_release_file_exits_2_with_the_problem(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """A release file with an unknown key is one clear error, exit 2, nothing deployed."""
    path = tmp_path / "bad.toml"
    path.write_text('[[stage]]\nname = "x"\n[[stage.service]]\nservice = "a"\ncolour = "red"\n')
    result = release(simulated, path)
    assert result.exit_code == 2
    assert "colour" in result.stderr
    assert "Traceback" not in result.stderr
