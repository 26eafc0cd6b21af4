"""`ecsdeploy deploy` against a simulator process: every exit code, dry runs, redaction."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from ecsdeploy.cli import main
from tests._fixtures.simulator_process import (
    CLUSTER,
    ECSDEPLOY,
    FAST,
    SimulatedEcs,
    json_lines,
    results,
    run_process,
)


def deploy(simulated: SimulatedEcs, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main,
        ["deploy", "--cluster", CLUSTER, *FAST, "--no-live", *args],
        env=env if env is not None else simulated.environ(),
    )


def test_a_good_image_succeeds_and_exits_0(simulated: SimulatedEcs) -> None:
    """The service ends on the new image; the log lines end with a SUCCEEDED result."""
    service = simulated.create_service()
    result = deploy(simulated, "--service", service, "--image", "nginx=myorg/nginx:2.0")
    assert result.exit_code == 0, result.output + result.stderr
    assert simulated.image(service) == "myorg/nginx:2.0"
    lines = json_lines(result.stdout)
    phases = [line["phase"] for line in lines if line["event"] == "ecsdeploy.phase"]
    assert phases == ["REGISTER", "UPDATE", "WATCH", "SUCCEEDED"]
    (final,) = results(result.stdout)
    assert final["outcome"] == "SUCCEEDED"
    assert final["exit_code"] == 0
    assert final["service"] == service


def test_a_crashing_image_is_rolled_back_and_exits_1_as_a_process(
    simulated: SimulatedEcs,
) -> None:
    """A real `ecsdeploy` process: rolled back, exit 1, the exit code of the task in the log."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:crash-cli", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    completed = run_process(
        [
            *(ECSDEPLOY, "deploy", "--cluster", CLUSTER, "--service", service, *FAST),
            *("--image", "nginx=myorg/nginx:crash-cli"),
        ],
        simulated.environ(),
    )
    assert completed.returncode == 1, completed.stderr
    assert simulated.task_definition(service) == old
    (final,) = results(completed.stdout)
    assert final["outcome"] == "ROLLED_BACK"
    assert final["rolled_back_by"] == "ecsdeploy"
    assert "exit 1" in str(final["reason"])
    assert any("Essential container" in task for task in final["stopped_tasks"])


def test_rollback_disabled_leaves_the_failure_in_place_and_exits_1(
    simulated: SimulatedEcs,
) -> None:
    """--no-rollback: FAILED, exit 1, the service keeps the new revision."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:crash-kept", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    result = deploy(
        simulated, "--service", service, "--image", "nginx=myorg/nginx:crash-kept", "--no-rollback"
    )
    assert result.exit_code == 1
    assert simulated.task_definition(service) != old


def test_a_rollback_that_fails_exits_3(simulated: SimulatedEcs) -> None:
    """New image crashes and the old one can no longer be pulled: ROLLBACK_FAILED, exit 3."""
    service = simulated.create_service(image="myorg/nginx:old-gone")
    simulated.add_rule({"image": "myorg/nginx:old-gone", "behavior": "pull_error"})
    simulated.add_rule(
        {"image": "myorg/nginx:crash-both", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    # ECS's own rollback (StopServiceDeployment) would keep the old tasks that still run; the
    # rollback that must fail is a redeployment of the old revision, whose image is gone.
    simulated.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})
    # The rollback keeps trying until its deadline (the same as --timeout): keep it short.
    result = deploy(
        simulated,
        "--service",
        service,
        "--image",
        "nginx=myorg/nginx:crash-both",
        "--timeout",
        "3",
    )
    assert result.exit_code == 3, result.stdout
    (final,) = results(result.stdout)
    assert final["outcome"] == "ROLLBACK_FAILED"


def test_an_unknown_container_exits_2_and_registers_nothing(simulated: SimulatedEcs) -> None:
    """Bad input is one line on stderr, exit 2, and no new revision in the account."""
    service = simulated.create_service()
    before = simulated.revisions(service)
    result = deploy(simulated, "--service", service, "--image", "nginxx=myorg/nginx:2.0")
    assert result.exit_code == 2
    assert simulated.revisions(service) == before
    assert "nginxx" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--image", "nginx"], "--image"),
        (["--env", "nginx=KEY"], "--env"),
        (["--timeout", "-1", "--image", "nginx=a:1"], "--timeout"),
        (["--log-format", "xml", "--image", "nginx=a:1"], "--log-format"),
    ],
)
def test_malformed_options_are_usage_errors(
    simulated: SimulatedEcs, args: list[str], complaint: str
) -> None:
    """Malformed values exit 2 naming the option, before any AWS call."""
    result = deploy(simulated, "--service", "anything", *args)
    assert result.exit_code == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_region_says_how_to_give_one(simulated: SimulatedEcs) -> None:
    """No --region and no AWS_REGION: exit 2 and what to set."""
    env = {**simulated.environ(), "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    result = deploy(simulated, "--service", "x", "--image", "nginx=a:1", env=env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: no AWS region: pass --region REGION or set AWS_REGION (or AWS_DEFAULT_REGION)"
    ]


def test_dry_run_prints_the_redacted_diff_and_changes_nothing(simulated: SimulatedEcs) -> None:
    """--dry-run shows image and env changes, hides secret-looking values, registers nothing."""
    service = simulated.create_service()
    before = simulated.revisions(service)
    old = simulated.task_definition(service)
    result = deploy(
        simulated,
        "--service",
        service,
        "--image",
        "nginx=myorg/nginx:3.0",
        "--env",
        "nginx:DB_PASSWORD=hunter2-very-secret",
        "--secret",
        "nginx:API_KEY=arn:aws:secretsmanager:us-east-2:123456789012:secret:api",
        "--dry-run",
    )
    assert result.exit_code == 0, result.stderr
    assert "myorg/nginx:1.0" in result.stdout
    assert "myorg/nginx:3.0" in result.stdout
    assert "DB_PASSWORD" in result.stdout
    assert "hunter2-very-secret" not in result.stdout + result.stderr
    assert "nothing was changed" in result.stdout
    assert simulated.revisions(service) == before
    assert simulated.task_definition(service) == old


def test_several_services_deploy_at_once_and_exit_with_the_worst_code(
    simulated: SimulatedEcs,
) -> None:
    """Two --service options: one succeeds, the other has no such container; exit code 1 (2
    would promise that nothing changed), the bad input still named on stderr."""
    good = simulated.create_service()
    odd = simulated.create_service(container="app")
    result = deploy(
        simulated, "--service", good, "--service", odd, "--image", "nginx=myorg/nginx:multi"
    )
    outcomes = {line["service"]: line["outcome"] for line in results(result.stdout)}
    assert outcomes == {good: "SUCCEEDED", odd: "FAILED"}
    assert simulated.image(good) == "myorg/nginx:multi"
    assert result.exit_code == 1
    assert f"{CLUSTER}/{odd}" in result.stderr


def test_secret_values_never_reach_the_output(simulated: SimulatedEcs) -> None:
    """A secret-looking env value is deployed but never printed, in log lines or errors."""
    service = simulated.create_service()
    result = deploy(
        simulated, "--service", service, "--env", "nginx:DB_PASSWORD=hunter2-very-secret"
    )
    assert result.exit_code == 0, result.stderr
    assert "hunter2-very-secret" not in result.stdout + result.stderr
    described = simulated.ecs.describe_task_definition(
        taskDefinition=simulated.task_definition(service)
    )
    environment = described["taskDefinition"]["containerDefinitions"][0]["environment"]
    assert {"name": "DB_PASSWORD", "value": "hunter2-very-secret"} in environment


def test_region_and_endpoint_may_be_given_as_options(simulated: SimulatedEcs) -> None:
    """--region and --endpoint-url stand in for AWS_REGION and AWS_ENDPOINT_URL_ECS."""
    service = simulated.create_service()
    env = {**simulated.environ(), "AWS_REGION": "", "AWS_ENDPOINT_URL_ECS": ""}
    result = deploy(
        simulated,
        *("--service", service, "--image", "nginx=myorg/nginx:options"),
        *("--region", "us-east-2", "--endpoint-url", simulated.url),
        env=env,
    )
    assert result.exit_code == 0, result.stderr
    assert simulated.image(service) == "myorg/nginx:options"


def test_a_service_that_cannot_roll_exits_2_and_names_the_setting(
    simulated: SimulatedEcs,
) -> None:
    """minimumHealthyPercent 100 / maximumPercent 100: exit 2, nothing changed, which setting."""
    service = simulated.create_service(maximum_percent=100)
    before = simulated.revisions(service)
    result = CliRunner().invoke(
        main,
        ["deploy", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live",
         "--image", "nginx=myorg/nginx:2"],
        env=simulated.environ(),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "maximumPercent" in result.stderr
    assert simulated.revisions(service) == before
    assert simulated.image(service) == "myorg/nginx:1.0"


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--endpoint-url", "notaurl", "--endpoint-url: 'notaurl' is not an http(s) URL"),
        ("--region", "us east", "--region: 'us east' is not an AWS region name"),
    ],
)
def test_a_malformed_endpoint_or_region_is_bad_input(
    simulated: SimulatedEcs, option: str, value: str, complaint: str
) -> None:
    """A malformed endpoint URL or region is exit 2 naming it, not a traceback."""
    result = deploy(simulated, "--service", "web", "--image", "nginx=a:1", option, value)
    assert result.exit_code == 2, result.output
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_aws_max_attempts_bounds_the_retries_of_each_call(simulated: SimulatedEcs) -> None:
    """AWS_MAX_ATTEMPTS=2, as for every AWS tool: an outage costs two calls, then exit 1."""
    service = simulated.create_service()
    before = simulated.task_definition(service)
    simulated.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    calls_before = simulated.calls("DescribeServices")
    result = deploy(
        simulated,
        *("--service", service, "--image", "nginx=myorg/nginx:2.0"),
        env={**simulated.environ(), "AWS_MAX_ATTEMPTS": "2"},
    )
    assert result.exit_code == 1, result.output + result.stderr
    assert "nothing changed" in result.output
    assert simulated.calls("DescribeServices") - calls_before == 2
    simulated.clear_rules()
    assert simulated.task_definition(service) == before


@pytest.mark.parametrize("value", ["0", "three", "-1"])
def test_an_aws_max_attempts_that_is_no_count_is_bad_input(
    simulated: SimulatedEcs, value: str
) -> None:
    """AWS_MAX_ATTEMPTS that is no whole number of at least 1: exit 2 naming it, before any call."""
    service = simulated.create_service()
    calls_before = simulated.calls("DescribeServices")
    result = deploy(
        simulated,
        *("--service", service, "--image", "nginx=myorg/nginx:2.0"),
        env={**simulated.environ(), "AWS_MAX_ATTEMPTS": value},
    )
    assert result.exit_code == 2, result.output + result.stderr
    assert "AWS_MAX_ATTEMPTS" in result.stderr
    assert simulated.calls("DescribeServices") == calls_before
