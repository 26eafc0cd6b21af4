"""action.yml, run as the GitHub runner runs a composite action, against `ecsdeploy sim`.

The runner is reproduced by `github_runner.Runner`. The "Install ecsdeploy" step (a venv in
RUNNER_TEMP and `pip install` of the action's checkout) is replaced by this test environment,
where ecsdeploy is installed already: the venv's python runs this environment's, except in the
one test that runs the whole action, install step included.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from ecsdeploy import github
from tests._fixtures.simulator_process import CLUSTER, REGION, SimulatedEcs
from tests.packaging.github_runner import (
    RUNNER_TEMP,
    ActionRun,
    Runner,
    load_action,
    read_outputs,
)

INSTALL_STEP = "Install ecsdeploy"
#: drone-deploy-ecs / amazon-ecs-deploy-task-definition users' input names, kept.
AWS_ACTION_INPUTS = {"cluster", "service", "wait-for-service-stability", "wait-for-minutes"}


@pytest.fixture
def runner(tmp_path: Path, simulated: SimulatedEcs) -> Runner:
    """A runner whose job holds credentials for the simulator (as configure-aws-credentials
    would leave them) and whose RUNNER_TEMP holds the venv the install step would have made,
    its python this test environment's."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INPUT_"))}
    venv_python = tmp_path / RUNNER_TEMP / "ecsdeploy-venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    venv_python.chmod(0o755)
    environment = {
        **inherited,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return Runner(tmp_path, environment)


def deploy(runner: Runner, simulated: SimulatedEcs, **inputs: str) -> ActionRun:
    """Use the action with the simulator's endpoint and region, polling fast."""
    given = {
        "aws-region": REGION,
        "endpoint-url": simulated.url,
        "poll-interval": "0.05",
        "timeout": "30",
        **{name.replace("_", "-"): value for name, value in inputs.items()},
    }
    return runner.run(given, skip=(INSTALL_STEP,))


def running_task_definition(simulated: SimulatedEcs, service: str) -> str:
    described = simulated.ecs.describe_services(cluster=CLUSTER, services=[service])
    arn: str = described["services"][0]["taskDefinition"]
    return arn


def running_image(simulated: SimulatedEcs, service: str) -> str:
    arn = running_task_definition(simulated, service)
    task_definition = simulated.ecs.describe_task_definition(taskDefinition=arn)
    image: str = task_definition["taskDefinition"]["containerDefinitions"][0]["image"]
    return image


def test_a_good_deploy_sets_outputs_and_a_summary_row(
    runner: Runner, simulated: SimulatedEcs
) -> None:
    """Success: outputs name the new revision the service runs; the summary has its row."""
    service = simulated.create_service("gha-good")

    run = deploy(
        runner,
        simulated,
        cluster=CLUSTER,
        service=service,
        container_name="nginx",
        image="myorg/nginx:2.0",
    )

    assert not run.failed, run.steps
    arn = running_task_definition(simulated, service)
    assert arn.endswith(f":task-definition/{service}:2")
    assert running_image(simulated, service) == "myorg/nginx:2.0"
    assert run.outputs == {
        "outcome": "SUCCEEDED",
        "exit-code": "0",
        "task-definition-arn": arn,
        "task-definition-arns": json.dumps({f"{CLUSTER}/{service}": arn}),
    }
    assert f"| {CLUSTER} | {service} | SUCCEEDED | {arn} |" in run.summary
    assert run.annotations == []


def test_a_crashing_image_fails_the_step_with_an_error_annotation(
    runner: Runner, simulated: SimulatedEcs
) -> None:
    """A crash: exit 1, rolled back, the stop reason in an ::error:: titled with the service."""
    service = simulated.create_service("gha-crash")
    simulated.add_rule(
        {"image": "myorg/nginx:crash-gha", "behavior": "crash", "exit_code": 1, "after": 5}
    )

    run = deploy(
        runner, simulated, cluster=CLUSTER, service=service, images="nginx=myorg/nginx:crash-gha"
    )

    assert run.steps["Deploy"].returncode == 1
    assert running_image(simulated, service) == "myorg/nginx:1.0"
    assert run.outputs["outcome"] == "ROLLED_BACK"
    assert run.outputs["exit-code"] == "1"
    assert run.outputs["task-definition-arn"] == ""
    [annotation] = run.annotations
    assert annotation.level == "error"
    assert annotation.properties["title"] == f"ecsdeploy: {CLUSTER}/{service} ROLLED_BACK"
    assert "Essential container in task exited (nginx: exit 1)" in annotation.message
    assert f"| {CLUSTER} | {service} | ROLLED_BACK |  |" in run.summary


def test_several_services_from_a_multiline_input(runner: Runner, simulated: SimulatedEcs) -> None:
    """`service` one per line: both deployed; task-definition-arns maps each to its revision."""
    first, second = simulated.create_service("gha-one"), simulated.create_service("gha-two")

    run = deploy(
        runner,
        simulated,
        cluster=CLUSTER,
        service=f"{first}\n{second}\n",
        images="nginx=myorg/nginx:3.0",
    )

    assert not run.failed, run.steps
    assert json.loads(run.outputs["task-definition-arns"]) == {
        f"{CLUSTER}/{first}": running_task_definition(simulated, first),
        f"{CLUSTER}/{second}": running_task_definition(simulated, second),
    }
    assert run.outputs["task-definition-arn"] == ""
    assert running_image(simulated, first) == running_image(simulated, second) == "myorg/nginx:3.0"


def test_a_missing_service_beside_a_deployed_one_is_not_exit_2(
    runner: Runner, simulated: SimulatedEcs
) -> None:
    """Exit 2 says nothing changed: with another service deployed, a missing one makes it 1."""
    service = simulated.create_service("gha-beside")

    run = deploy(
        runner,
        simulated,
        cluster=CLUSTER,
        service=f"{service}\ngha-no-such-service",
        images="nginx=myorg/nginx:6.0",
    )

    assert running_image(simulated, service) == "myorg/nginx:6.0"
    assert run.steps["Deploy"].returncode == 1
    assert (run.outputs["outcome"], run.outputs["exit-code"]) == ("FAILED", "1")
    [annotation] = run.annotations
    assert annotation.properties["title"] == f"ecsdeploy: {CLUSTER}/gha-no-such-service FAILED"


def test_bad_input_exits_2_with_an_annotation_and_changes_nothing(
    runner: Runner, simulated: SimulatedEcs
) -> None:
    """`wait-for-service-stability: false` is refused: exit 2, BAD_INPUT, service untouched."""
    service = simulated.create_service("gha-bad")

    run = deploy(
        runner,
        simulated,
        cluster=CLUSTER,
        service=service,
        images="nginx=myorg/nginx:9.9",
        wait_for_service_stability="false",
    )

    assert run.steps["Deploy"].returncode == 2
    assert run.outputs["outcome"] == "BAD_INPUT"
    assert [a.message for a in run.annotations] == [
        "input wait-for-service-stability: false is not supported; ecsdeploy always watches "
        "its deployment to the end (omit the input or set it to true)"
    ]
    assert "**Error:** input wait-for-service-stability" in run.summary
    assert running_task_definition(simulated, service).endswith(f"{service}:1")


def test_a_release_file_input_runs_the_release(
    runner: Runner, simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """`release-file` deploys the file's services; each gets a summary row."""
    service = simulated.create_service("gha-release")
    (tmp_path / "release.toml").write_text(
        f'[release]\nname = "gha"\n\n[defaults]\nregion = "{REGION}"\ncluster = "{CLUSTER}"\n\n'
        f'[[stage]]\nname = "all"\n\n[[stage.service]]\nservice = "{service}"\n'
        'images = { nginx = "myorg/nginx:4.0" }\n'
    )

    run = deploy(runner, simulated, release_file="release.toml")

    assert not run.failed, run.steps
    assert running_image(simulated, service) == "myorg/nginx:4.0"
    arn = running_task_definition(simulated, service)
    assert run.outputs["task-definition-arn"] == arn
    assert f"| {CLUSTER} | {service} | SUCCEEDED | {arn} |" in run.summary


def test_a_cancelled_job_rolls_back_and_exits_3(runner: Runner, simulated: SimulatedEcs) -> None:
    """Cancelling the job mid-watch (the runner signals the step's shell) rolls the service back."""
    service = simulated.create_service("gha-cancel")
    old = running_task_definition(simulated, service)
    simulated.add_rule(
        {"image": "myorg/nginx:gha-never-ready", "behavior": "slow_start", "seconds": 36000}
    )
    inputs = {
        "aws-region": REGION,
        "endpoint-url": simulated.url,
        "poll-interval": "0.05",
        "timeout": "600",
        "cluster": CLUSTER,
        "service": service,
        "images": "nginx=myorg/nginx:gha-never-ready",
    }

    # The runner waits 7.5 s after its SIGINT; more here, so a loaded machine's slow rollback
    # is not mistaken for a signal that never arrived.
    run = runner.run(
        inputs,
        skip=(INSTALL_STEP,),
        cancel_when=lambda stdout: "phase=WATCH" in stdout,
        sigint_timeout=60,
    )

    assert run.steps["Deploy"].returncode == 3, run.steps["Deploy"]
    assert "interrupted by SIGINT" in run.steps["Deploy"].stderr
    assert running_task_definition(simulated, service) == old
    assert run.outputs["outcome"] == "INTERRUPTED"
    assert run.outputs["exit-code"] == "3"


@pytest.mark.packaging
@pytest.mark.timeout(300)
def test_the_whole_action_installs_deploys_and_leaves_the_jobs_path_alone(
    tmp_path: Path, simulated: SimulatedEcs
) -> None:
    """With its install step: it deploys, and later steps' python and pip are still the job's."""
    service = simulated.create_service("gha-install")
    test_bin = str(Path(sys.executable).parent)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INPUT_"))}
    # The job's own PATH, without this test environment's venv (the step installs ecsdeploy),
    # its python3 the interpreter under this one, as a runner image's own.
    runner_bin = tmp_path / "runner-bin"
    runner_bin.mkdir()
    (runner_bin / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    job_path = [str(runner_bin)] + [
        p for p in inherited.get("PATH", os.defpath).split(os.pathsep) if p != test_bin
    ]
    runner = Runner(
        tmp_path,
        {
            **inherited,
            **simulated.environ(),
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": os.pathsep.join(job_path),
        },
    )

    run = runner.run(
        {
            "aws-region": REGION,
            "endpoint-url": simulated.url,
            "poll-interval": "0.05",
            "timeout": "30",
            "cluster": CLUSTER,
            "service": service,
            "images": "nginx=myorg/nginx:5.0",
        }
    )

    assert not run.failed, run.steps
    assert running_image(simulated, service) == "myorg/nginx:5.0"
    assert run.outputs["outcome"] == "SUCCEEDED"
    assert run.path_additions == []


def test_every_input_reaches_the_deploy_step() -> None:
    """Each declared input is passed to the Deploy step as INPUT_<NAME>, and nothing else is."""
    action = load_action()
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "deploy"]
    expected = {
        f"INPUT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
        for name in action["inputs"]
    }
    assert step["env"] == expected
    assert set(action["inputs"]) >= AWS_ACTION_INPUTS


def test_an_unexpected_error_still_reports_exit_3_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash of ours mid-deploy is "look now" (3), with outputs and an annotation, not exit 1."""

    async def crash(*args: object) -> NoReturn:
        raise RuntimeError("a bug in the deployment code")

    monkeypatch.setattr(github, "run", crash)
    output = tmp_path / "output"
    environ = {
        "INPUT_AWS_REGION": REGION,
        "INPUT_CLUSTER": CLUSTER,
        "INPUT_SERVICE": "web",
        "INPUT_IMAGES": "web=myorg/web:2",
        "GITHUB_OUTPUT": str(output),
    }

    code = github.main(environ)

    assert code == 3
    assert read_outputs(output)["outcome"] == "UNKNOWN"
    assert read_outputs(output)["exit-code"] == "3"
    printed = capsys.readouterr()
    assert "::error title=ecsdeploy::RuntimeError: a bug in the deployment code" in printed.out
    assert "Traceback" in printed.err


def test_an_sts_outage_before_any_change_is_exit_1_like_every_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STS unreachable for role-to-assume: exit 1 FAILED "nothing changed", as the CLI and the
    Drone plugin exit through the front layer, not 3 "state unknown"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    output = tmp_path / "output"
    environ = {
        "AWS_MAX_ATTEMPTS": "1",
        "INPUT_AWS_REGION": REGION,
        "INPUT_CLUSTER": CLUSTER,
        "INPUT_SERVICE": "web",
        "INPUT_IMAGES": "web=myorg/web:2",
        "INPUT_ROLE_TO_ASSUME": "arn:aws:iam::123456789012:role/deploy",
        "GITHUB_OUTPUT": str(output),
    }

    code = github.main(environ)

    assert (code, read_outputs(output)["exit-code"]) == (1, "1")
    assert read_outputs(output)["outcome"] == "FAILED"


def _github_environ(simulated: SimulatedEcs, service: str, output: Path) -> dict[str, str]:
    return {
        "INPUT_AWS_REGION": REGION,
        "INPUT_ENDPOINT_URL": simulated.url,
        "INPUT_CLUSTER": CLUSTER,
        "INPUT_SERVICE": service,
        "INPUT_IMAGES": "nginx=myorg/nginx:2.0",
        "INPUT_POLL_INTERVAL": "0.05",
        "GITHUB_OUTPUT": str(output),
    }


def test_aws_max_attempts_in_the_given_environment_bounds_each_call(
    simulated: SimulatedEcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main(environ)` takes AWS_MAX_ATTEMPTS from `environ`, as it takes every input."""
    for name, value in simulated.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    service = simulated.create_service("gha-attempts")
    simulated.add_rule({"operation": "DescribeServices", "error": "ServerException"})
    calls_before = simulated.calls("DescribeServices")
    output = tmp_path / "output"
    environ = {**_github_environ(simulated, service, output), "AWS_MAX_ATTEMPTS": "2"}

    assert github.main(environ) == 1
    assert simulated.calls("DescribeServices") - calls_before == 2


def test_an_aws_max_attempts_that_is_no_count_is_an_error_annotation(
    simulated: SimulatedEcs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AWS_MAX_ATTEMPTS=0: exit 2 BAD_INPUT, an error annotation naming it, no AWS call."""
    service = simulated.create_service("gha-attempts-bad")
    calls_before = simulated.calls("DescribeServices")
    output = tmp_path / "output"
    environ = {**_github_environ(simulated, service, output), "AWS_MAX_ATTEMPTS": "0"}

    assert github.main(environ) == 2
    assert read_outputs(output)["outcome"] == "BAD_INPUT"
    assert "::error title=ecsdeploy::AWS_MAX_ATTEMPTS: '0'" in capsys.readouterr().out
    assert simulated.calls("DescribeServices") == calls_before
