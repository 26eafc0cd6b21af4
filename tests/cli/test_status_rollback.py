"""`ecsdeploy status` and `ecsdeploy rollback` against a simulator process."""

from __future__ import annotations

from click.testing import CliRunner, Result

from ecsdeploy.cli import main
from tests._fixtures.simulator_process import CLUSTER, FAST, SimulatedEcs, results


def invoke(simulated: SimulatedEcs, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=simulated.environ())


def deploy_image(simulated: SimulatedEcs, service: str, image: str) -> Result:
    return invoke(
        simulated, "deploy", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live",
        "--image", f"nginx={image}",
    )  # fmt: skip


def test_status_shows_deployments_events_and_stop_reasons(simulated: SimulatedEcs) -> None:
    """After a crash was rolled back, status names the stop code, reason and exit code."""
    service = simulated.create_service()
    simulated.add_rule(
        {"image": "myorg/nginx:crash-status", "behavior": "crash", "exit_code": 3, "after": 5}
    )
    assert deploy_image(simulated, service, "myorg/nginx:crash-status").exit_code == 1
    result = invoke(simulated, "status", "--cluster", CLUSTER, "--service", service)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "deployments" in out
    assert "PRIMARY" in out
    assert f"{service}:1" in out
    assert "COMPLETED" in out
    assert "steady state" in out
    assert "EssentialContainerExited" in out
    assert "Essential container in task exited" in out
    assert "nginx: exit 3" in out


def test_status_of_a_missing_service_exits_2(simulated: SimulatedEcs) -> None:
    """A service that does not exist is bad input: one line on stderr, exit 2."""
    simulated.ecs.create_cluster(clusterName=CLUSTER)
    result = invoke(simulated, "status", "--cluster", CLUSTER, "--service", "no-such-service")
    assert result.exit_code == 2
    assert "no-such-service" in result.stderr
    assert "Traceback" not in result.stderr


def test_rollback_returns_to_the_previous_active_revision(simulated: SimulatedEcs) -> None:
    """Without --to, the newest ACTIVE revision older than the current one; watched, exit 0."""
    service = simulated.create_service()
    assert deploy_image(simulated, service, "myorg/nginx:2.0").exit_code == 0
    assert deploy_image(simulated, service, "myorg/nginx:3.0").exit_code == 0
    assert simulated.task_definition(service).endswith(f"{service}:3")
    # Revision 2 deregistered: the rollback skips it and lands on revision 1.
    simulated.ecs.deregister_task_definition(taskDefinition=f"{service}:2")
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert simulated.task_definition(service).endswith(f"{service}:1")
    assert simulated.image(service) == "myorg/nginx:1.0"
    (final,) = results(result.stdout)
    assert final["outcome"] == "SUCCEEDED"


def test_rollback_to_a_bare_revision_number(simulated: SimulatedEcs) -> None:
    """--to 1 means revision 1 of the service's own family."""
    service = simulated.create_service()
    assert deploy_image(simulated, service, "myorg/nginx:2.0").exit_code == 0
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, "--to", "1",
        *FAST, "--no-live",
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert simulated.task_definition(service).endswith(f"{service}:1")


def test_a_rollback_to_a_broken_revision_returns_to_the_current_one(
    simulated: SimulatedEcs,
) -> None:
    """If the earlier revision no longer comes up, the service goes back to where it was: 1."""
    service = simulated.create_service(image="myorg/nginx:was-fine")
    assert deploy_image(simulated, service, "myorg/nginx:2.0").exit_code == 0
    current = simulated.task_definition(service)
    simulated.add_rule({"image": "myorg/nginx:was-fine", "behavior": "pull_error"})
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live"
    )
    assert result.exit_code == 1, result.stdout
    assert simulated.task_definition(service) == current
    (final,) = results(result.stdout)
    assert final["outcome"] == "ROLLED_BACK"


def test_rollback_without_an_older_revision_exits_2(simulated: SimulatedEcs) -> None:
    """A service on revision 1 has nothing to roll back to; the message says to use --to."""
    service = simulated.create_service()
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live"
    )
    assert result.exit_code == 2
    assert "--to" in result.stderr
    assert simulated.task_definition(service).endswith(f"{service}:1")


def test_rollback_is_not_refused_by_one_missing_answer(simulated: SimulatedEcs) -> None:
    """ECS answers MISSING once (eventual consistency): the rollback still runs, exit 0."""
    service = simulated.create_service()
    assert deploy_image(simulated, service, "myorg/nginx:2.0").exit_code == 0
    simulated.add_rule({"operation": "DescribeServices", "error": "missing", "count": 1})
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert simulated.image(service) == "myorg/nginx:1.0"


def test_rollback_is_not_misled_by_one_stale_answer(simulated: SimulatedEcs) -> None:
    """ECS answers with an older state once: the rollback still returns to the revision before
    the current one, never further back."""
    service = simulated.create_service()
    assert deploy_image(simulated, service, "myorg/nginx:2.0").exit_code == 0
    assert deploy_image(simulated, service, "myorg/nginx:3.0").exit_code == 0
    simulated.add_rule(
        {"operation": "DescribeServices", "error": "stale", "seconds": 100000, "count": 1}
    )
    result = invoke(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert simulated.image(service) == "myorg/nginx:2.0"
