"""The Drone entry point against a simulator process: the original settings, every exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecsdeploy.drone import main
from tests._fixtures.simulator_process import (
    CLUSTER,
    ECSDEPLOY_DRONE,
    REGION,
    SimulatedEcs,
    json_lines,
    results,
    run_process,
    simulator_process,
)


@pytest.fixture(scope="module")
def instant_simulated() -> Iterator[SimulatedEcs]:
    """A simulator fast enough that a rollout ends before the plugin's first look, so the
    original 10-second check interval (unchangeable with the original settings) costs nothing:
    should the first look come early anyway, the test only takes 10 s longer."""
    with simulator_process(speed=20000) as url:
        yield SimulatedEcs(url)


def original_settings(service: str, image: str) -> dict[str, str]:
    """drone-deploy-ecs's README example, with this test's service and image."""
    return {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_SERVICE": service,
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_CONTAINER": "nginx",
        "PLUGIN_IMAGE": image,
        "PLUGIN_MAX_DEPLOY_CHECKS": "10",
    }


@pytest.fixture
def aws_env(simulated: SimulatedEcs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The credentials a Drone runner would hold; aioboto3 reads them from the process."""
    for name, value in simulated.environ().items():
        monkeypatch.setenv(name, value)


def plugin(simulated: SimulatedEcs, service: str, image: str, **extra: str) -> dict[str, str]:
    """The original settings plus ours: the simulator's endpoint and a fast poll."""
    return {
        **original_settings(service, image),
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "PLUGIN_POLL_INTERVAL": "0.05",
        **{f"PLUGIN_{k.upper()}": v for k, v in extra.items()},
    }


def test_the_original_settings_deploy_as_a_process(instant_simulated: SimulatedEcs) -> None:
    """Exactly the original's settings plus AWS_ENDPOINT_URL_ECS: deployed, exit 0."""
    service = instant_simulated.create_service()
    completed = run_process(
        [ECSDEPLOY_DRONE],
        {**original_settings(service, "myorg/nginx-0123abc"), **instant_simulated.environ()},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert instant_simulated.image(service) == "myorg/nginx-0123abc"
    (final,) = results(completed.stdout)
    assert final["outcome"] == "SUCCEEDED"


def test_bad_settings_exit_2_as_a_module_process() -> None:
    """`python -m ecsdeploy.drone` with max_deploy_checks: abc → one clear line, exit 2."""
    completed = run_process(
        [sys.executable, "-m", "ecsdeploy.drone"],
        {**original_settings("webapp", "myorg/nginx:1"), "PLUGIN_MAX_DEPLOY_CHECKS": "abc"},
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        "Error: setting max_deploy_checks: 'abc' is not a whole number of at least 1"
    ]


@pytest.mark.usefixtures("aws_env")
def test_several_services_deploy_and_exit_0(
    simulated: SimulatedEcs, capsys: pytest.CaptureFixture[str]
) -> None:
    """`service: a,b` deploys both, each to a new revision of its own task definition."""
    first, second = simulated.create_service(), simulated.create_service()
    assert main(plugin(simulated, f"{first},{second}", "myorg/nginx:2.0")) == 0
    assert simulated.image(first) == simulated.image(second) == "myorg/nginx:2.0"
    lines = json_lines(capsys.readouterr().out)
    assert {line["service"] for line in lines if line["event"] == "ecsdeploy.result"} == {
        first,
        second,
    }


@pytest.mark.usefixtures("aws_env")
def test_a_crash_is_rolled_back_and_exits_1(simulated: SimulatedEcs) -> None:
    """Rolled back to the old revision; exit 1."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:crash-drone", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    assert main(plugin(simulated, service, "myorg/nginx:crash-drone")) == 1
    assert simulated.task_definition(service) == old


@pytest.mark.usefixtures("aws_env")
def test_disable_rollbacks_keeps_the_failed_revision_and_exits_1(simulated: SimulatedEcs) -> None:
    """disable_rollbacks: true leaves the crashing revision in place and exits 1."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:crash-kept-drone", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    settings = plugin(simulated, service, "myorg/nginx:crash-kept-drone", disable_rollbacks="true")
    assert main(settings) == 1
    assert simulated.task_definition(service) != old


@pytest.mark.usefixtures("aws_env")
def test_max_deploy_checks_bounds_the_watch(simulated: SimulatedEcs) -> None:
    """A rollout that never finishes is given up after max_deploy_checks looks: exit 1."""
    service = simulated.create_service()
    old = simulated.task_definition(service)
    simulated.add_rule(
        {"image": "myorg/nginx:slow-drone", "behavior": "slow_start", "seconds": 3600}
    )
    # The timeout (ours) leaves the rollback time to finish; the checks bound the watch.
    settings = plugin(
        simulated, service, "myorg/nginx:slow-drone", max_deploy_checks="3", timeout="30"
    )
    assert main(settings) == 1
    assert simulated.task_definition(service) == old


@pytest.mark.usefixtures("aws_env")
def test_an_unknown_container_exits_2_and_registers_nothing(simulated: SimulatedEcs) -> None:
    """A container the task definition lacks exits 2 before any revision is registered."""
    service = simulated.create_service()
    before = simulated.revisions(service)
    settings = {**plugin(simulated, service, "myorg/nginx:2.0"), "PLUGIN_CONTAINER": "nginxx"}
    assert main(settings) == 2
    assert simulated.revisions(service) == before


@pytest.mark.usefixtures("aws_env")
def test_one_changed_service_and_one_bad_input_exit_1_not_2(simulated: SimulatedEcs) -> None:
    """Exit 2 promises nothing changed: with one of two services deployed, it is exit 1."""
    good = simulated.create_service()
    odd = simulated.create_service(container="app")
    assert main(plugin(simulated, f"{good},{odd}", "myorg/nginx:2.0")) == 1
    assert simulated.image(good) == "myorg/nginx:2.0"


@pytest.mark.usefixtures("aws_env")
def test_a_failed_rollback_exits_3(simulated: SimulatedEcs) -> None:
    """The new image crashes and the old one can no longer be pulled: exit 3."""
    service = simulated.create_service(image="myorg/nginx:gone-drone")
    simulated.add_rule({"image": "myorg/nginx:gone-drone", "behavior": "pull_error"})
    simulated.add_rule(
        {"image": "myorg/nginx:crash-both-drone", "behavior": "crash", "exit_code": 1, "after": 5}
    )
    # Without ECS's own rollback (which would keep the old tasks still running), the rollback is
    # a redeployment of the old revision, whose image is gone.
    simulated.add_rule({"operation": "StopServiceDeployment", "error": "AccessDenied"})
    assert main(plugin(simulated, service, "myorg/nginx:crash-both-drone")) == 3


@pytest.mark.usefixtures("aws_env")
def test_a_release_file_runs_with_the_plugin_cluster(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """release_file: the file's services deploy; the plugin's cluster is the default cluster."""
    service = simulated.create_service()
    path = tmp_path / "release.toml"
    path.write_text(
        f'[[stage]]\nname = "one"\n[[stage.service]]\nservice = "{service}"\n'
        'images = { nginx = "myorg/nginx:${TAG}" }\n'
    )
    settings = {
        "PLUGIN_AWS_REGION": REGION,
        "PLUGIN_CLUSTER": CLUSTER,
        "PLUGIN_RELEASE_FILE": str(path),
        "PLUGIN_ENDPOINT_URL": simulated.url,
        "PLUGIN_POLL_INTERVAL": "0.05",
        "TAG": "7.0",
    }
    assert main(settings) == 0
    assert simulated.image(service) == "myorg/nginx:7.0"


@pytest.mark.usefixtures("aws_env")
def test_aws_max_attempts_in_the_given_environment_bounds_each_call(
    simulated: SimulatedEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main(environ)` takes AWS_MAX_ATTEMPTS from `environ`, as it takes every setting."""
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    service = simulated.create_service()
    simulated.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    calls_before = simulated.calls("DescribeServices")
    environ = {**plugin(simulated, service, "myorg/nginx:2.0"), "AWS_MAX_ATTEMPTS": "2"}
    assert main(environ) == 1
    assert simulated.calls("DescribeServices") - calls_before == 2


@pytest.mark.parametrize("value", ["0", "many"])
def test_an_aws_max_attempts_that_is_no_count_exits_2(
    simulated: SimulatedEcs, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """AWS_MAX_ATTEMPTS that is no whole number of at least 1: exit 2 naming it, no AWS call."""
    service = simulated.create_service()
    calls_before = simulated.calls("DescribeServices")
    environ = {**plugin(simulated, service, "myorg/nginx:2.0"), "AWS_MAX_ATTEMPTS": value}
    assert main(environ) == 2
    assert "AWS_MAX_ATTEMPTS" in capsys.readouterr().err
    assert simulated.calls("DescribeServices") == calls_before
