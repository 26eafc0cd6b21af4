"""`ecsdeploy release FILE.toml` with a migration task in a stage, against a simulator process."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from ecsdeploy.cli import main
from tests._fixtures.simulator_process import CLUSTER, FAST, REGION, SimulatedEcs, results


def migration_release(tmp_path: Path, service: str, image: str) -> Path:
    path = tmp_path / "release.toml"
    path.write_text(
        f"""
[defaults]
region = "{REGION}"
cluster = "{CLUSTER}"

[[stage]]
name = "apps"

[[stage.task]]
name = "migrate"
task_definition_of = "{service}"
command = {{ nginx = ["migrate", "--up"] }}

[[stage.service]]
service = "{service}"
images = {{ nginx = "{image}" }}
"""
    )
    return path


def release(simulated: SimulatedEcs, path: Path) -> Result:
    return CliRunner().invoke(
        main, ["release", str(path), *FAST, "--no-live"], env=simulated.environ()
    )


def migration_exits(simulated: SimulatedEcs, image: str, code: int) -> None:
    simulated.add_rule(
        {"image": image, "behavior": "exit", "command": "migrate*", "exit_code": code, "after": 5}
    )


def test_a_migration_exiting_0_lets_its_stage_deploy_and_exits_0(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """The task line reports exit 0, then the service is on its new image."""
    service = simulated.create_service()
    migration_exits(simulated, "myorg/nginx:2.0-cli", 0)
    result = release(simulated, migration_release(tmp_path, service, "myorg/nginx:2.0-cli"))
    assert result.exit_code == 0, result.stdout + result.stderr
    (task,) = results(result.stdout, "ecsdeploy.release.task")
    assert (task["service"], task["outcome"], task["exit_codes"]) == (
        "task:migrate",
        "SUCCEEDED",
        {"nginx": 0},
    )
    assert simulated.image(service) == "myorg/nginx:2.0-cli"


def test_a_failing_migration_exits_1_and_deploys_nothing(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """Exit 5 from the migration: exit code 1, the exit code in the task line, service unchanged."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    migration_exits(simulated, "myorg/nginx:2.0-bad", 5)
    result = release(simulated, migration_release(tmp_path, service, "myorg/nginx:2.0-bad"))
    assert result.exit_code == 1, result.stdout + result.stderr
    (task,) = results(result.stdout, "ecsdeploy.release.task")
    assert (task["outcome"], task["exit_codes"], task["stop_code"]) == (
        "FAILED",
        {"nginx": 5},
        "EssentialContainerExited",
    )
    (line,) = results(result.stdout, "ecsdeploy.release.service")
    assert line["outcome"] == "SKIPPED"
    assert simulated.task_definition(service) == old


def test_an_invalid_stage_task_exits_2_naming_the_file_and_line(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """A [[stage.task]] without a task definition: exit 2, `release.toml:LINE`, nothing run."""
    path = tmp_path / "release.toml"
    path.write_text(
        f'[defaults]\ncluster = "{CLUSTER}"\n[[stage]]\n[[stage.task]]\nname = "migrate"\n'
    )
    result = release(simulated, path)
    assert result.exit_code == 2
    assert f"{path}:4: stage[1].task[1]" in result.stderr
    assert "task_definition_of" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dry_run_checks_the_task_and_says_what_it_would_run(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """--dry-run names the revision and command the migration would run, and runs nothing."""
    service = simulated.create_service()
    path = migration_release(tmp_path, service, "myorg/nginx:2.0-dry")
    result = CliRunner().invoke(
        main, ["release", str(path), *FAST, "--dry-run"], env=simulated.environ()
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (
        f"{CLUSTER}/task:migrate: would run the revision this release deploys to {service}"
        in result.stdout
    )
    assert "nginx: command ['migrate', '--up']" in result.stdout
    listed = simulated.ecs.list_tasks(cluster=CLUSTER, startedBy="ecsdeploy")
    assert listed["taskArns"] == []
    assert len(simulated.revisions(service)) == 1


def test_a_release_of_only_tasks_runs_in_the_region_its_file_names(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """No AWS_REGION: a migration-only release takes its region from the file, as services do."""
    service = simulated.create_service()
    migration_exits(simulated, "myorg/nginx:1.0", 0)
    path = tmp_path / "release.toml"
    path.write_text(
        f'[defaults]\nregion = "{REGION}"\ncluster = "{CLUSTER}"\n[[stage]]\nname = "migrate"\n'
        f'[[stage.task]]\nname = "migrate"\ntask_definition_of = "{service}"\n'
        'command = { nginx = ["migrate", "--up"] }\n'
    )
    env = {**simulated.environ(), "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    result = CliRunner().invoke(main, ["release", str(path), *FAST, "--no-live"], env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    (task,) = results(result.stdout, "ecsdeploy.release.task")
    assert (task["outcome"], task["exit_codes"]) == ("SUCCEEDED", {"nginx": 0})
