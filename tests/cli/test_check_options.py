"""The --check-* options of deploy, release and rollback."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from click.testing import CliRunner, Result

from ecsdeploy._front.aws import AwsOptions
from ecsdeploy.checks import Alarms, HttpProbe, TargetHealth
from ecsdeploy.cli import main
from ecsdeploy.cli._options import DeployOptions
from tests._fixtures.simulator_process import CLUSTER, FAST, REGION, SimulatedEcs, results


def options(**checks: object) -> DeployOptions:
    return DeployOptions(
        timeout=None,
        poll_interval=None,
        no_rollback=False,
        bake=None,
        max_checks=None,
        aws=AwsOptions("us-east-2"),
        log_format=None,
        live=False,
        **checks,  # type: ignore[arg-type]
    )


def test_check_options_become_extra_checks_of_a_deploy() -> None:
    """deploy's settings carry the checks the options ask for, after the built-ins."""
    given = options(
        check_target_health=True,
        check_alarms=("web-5xx", "web-p99"),
        check_alarm_prefix="web-",
        check_http=("https://web.example.com/health",),
    )
    assert given.settings.extra_checks == (
        TargetHealth(),
        Alarms("web-5xx", "web-p99", prefix="web-"),
        HttpProbe("https://web.example.com/health"),
    )


def test_check_options_override_a_release_files_keys() -> None:
    """release hands the options over as the release file's own keys; unset ones stay out."""
    given = options(check_alarms=("web-5xx",), check_http=("http://x.test/",))
    assert given.overrides() == {
        "region": "us-east-2",
        "alarms": ["web-5xx"],
        "http_checks": [{"url": "http://x.test/"}],
    }
    assert "target_health" not in options().overrides()
    assert options().settings.extra_checks == ()


def test_a_bad_check_url_is_a_usage_error_before_any_aws_call() -> None:
    """--check-http without http(s):// exits 2 with the probe's own explanation."""
    result = CliRunner().invoke(
        main,
        [
            *("deploy", "--cluster", "c", "--service", "s", "--image", "a=b:1"),
            *("--region", "us-east-2", "--check-http", "web.example.com/health"),
        ],
    )
    assert result.exit_code == 2
    assert "http:// or https://" in result.output


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("--check-alarm", "alarm names are non-empty strings"),
        ("--check-alarm-prefix", "must not be empty"),
    ],
)
def test_an_empty_alarm_option_is_a_usage_error(option: str, problem: str) -> None:
    """An empty alarm name or prefix exits 2 naming the option, not 1 with no message."""
    result = CliRunner().invoke(
        main,
        [
            *("deploy", "--cluster", "c", "--service", "s", "--image", "a=b:1"),
            *("--region", "us-east-2", option, " "),
        ],
    )
    assert result.exit_code == 2, repr(result.exception)
    assert option in result.output
    assert problem in result.output


def test_a_refused_check_url_is_shown_without_its_password() -> None:
    """--check-http's usage error does not print the URL's credentials."""
    result = CliRunner().invoke(
        main,
        [
            *("deploy", "--cluster", "c", "--service", "s", "--image", "a=b:1"),
            *("--region", "us-east-2", "--check-http", "ftp://admin:hunter2@web.example.com/"),
        ],
    )
    assert result.exit_code == 2
    assert "http:// or https://" in result.output
    assert "hunter2" not in result.output


def test_a_malformed_check_url_is_a_usage_error() -> None:
    """--check-http with a port out of range exits 2 naming the problem, not with a crash."""
    result = CliRunner().invoke(
        main,
        [
            *("deploy", "--cluster", "c", "--service", "s", "--image", "a=b:1"),
            *("--region", "us-east-2", "--check-http", "http://web.example.com:99999/health"),
        ],
    )
    assert result.exit_code == 2, repr(result.exception)
    assert "Port out of range" in result.output


def balanced_service(simulated: SimulatedEcs) -> str:
    """A steady awsvpc service whose tasks are targets of an ALB's target group."""
    elbv2 = boto3.client(
        "elbv2",
        endpoint_url=simulated.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    balancer = elbv2.create_load_balancer(Name="cli-alb", Subnets=["subnet-1", "subnet-2"])
    group = elbv2.create_target_group(
        Name="cli-tg", Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    simulated.ecs.create_cluster(clusterName=CLUSTER)
    registered = simulated.ecs.register_task_definition(
        family="balanced",
        networkMode="awsvpc",
        containerDefinitions=[
            {
                "name": "nginx",
                "image": "myorg/nginx:1.0",
                "essential": True,
                "memory": 128,
                "portMappings": [{"containerPort": 8080}],
            }
        ],
    )
    simulated.ecs.create_service(
        cluster=CLUSTER,
        serviceName="balanced",
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
        loadBalancers=[{"targetGroupArn": group, "containerName": "nginx", "containerPort": 8080}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )
    simulated.advance(600)
    return "balanced"


def test_a_denied_check_read_exits_2_naming_the_permission(simulated: SimulatedEcs) -> None:
    """--check-target-health reaches ELBv2 at AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2; its
    denied DescribeTargetHealth exits 2, names the permission, and changes nothing."""
    service = balanced_service(simulated)
    before = simulated.task_definition(service)
    simulated.add_rule({"operation": "elbv2:DescribeTargetHealth", "error": "AccessDenied"})
    env = {**simulated.environ(), "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": simulated.url}
    result = CliRunner().invoke(
        main,
        [
            *("deploy", "--cluster", CLUSTER, *FAST, "--no-live", "--service", service),
            *("--image", "nginx=myorg/nginx:2.0", "--check-target-health"),
        ],
        env=env,
    )
    assert result.exit_code == 2, result.output
    assert "elasticloadbalancing:DescribeTargetHealth" in result.stderr
    assert simulated.task_definition(service) == before
    assert simulated.revisions("balanced") == [before]


def _with_cloudwatch(simulated: SimulatedEcs, *args: str) -> Result:
    """The CLI run with CloudWatch (AWS_ENDPOINT_URL_CLOUDWATCH) at the simulator too."""
    env = {**simulated.environ(), "AWS_ENDPOINT_URL_CLOUDWATCH": simulated.url}
    return CliRunner().invoke(main, list(args), env=env)


def _bad_release_with_a_firing_alarm(simulated: SimulatedEcs, alarm: str) -> tuple[str, str, str]:
    """A service moved from revision 1 to 2, then alarm `alarm` fired: (service, 1, 2)."""
    service = simulated.create_service()
    first = simulated.task_definition(service)
    deployed = _with_cloudwatch(
        simulated, "deploy", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live",
        "--image", "nginx=myorg/nginx:2.0",
    )  # fmt: skip
    assert deployed.exit_code == 0, deployed.output
    simulated.add_rule({"alarm": alarm, "state": "ALARM", "reason": "5xx > 10 since 2.0"})
    return service, first, simulated.task_definition(service)


def test_rollback_check_alarm_runs_while_the_alarm_fires(simulated: SimulatedEcs) -> None:
    """`rollback --check-alarm X` while X is in ALARM is not refused: it rolls back, and
    succeeds once X leaves ALARM after the rollback's update."""
    service, first, _ = _bad_release_with_a_firing_alarm(simulated, "web-5xx")

    def clear_once_rolled_back() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and simulated.task_definition(service) != first:
            time.sleep(0.02)
        simulated.add_rule({"alarm": "web-5xx", "state": "OK", "reason": "back to normal"})

    clearer = threading.Thread(target=clear_once_rolled_back)
    clearer.start()
    result = _with_cloudwatch(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live",
        "--check-alarm", "web-5xx",
    )  # fmt: skip
    clearer.join()
    assert result.exit_code == 0, result.output
    assert simulated.task_definition(service) == first
    (final,) = results(result.stdout)
    assert final["outcome"] == "SUCCEEDED"


def test_rollback_check_alarm_fails_when_the_alarm_stays_in_alarm(
    simulated: SimulatedEcs,
) -> None:
    """X stays in ALARM after the rollback: its verification fails at the timeout (exit 1),
    naming X, and the service is back on the revision it ran before the command."""
    service, _, current = _bad_release_with_a_firing_alarm(simulated, "web-5xx")
    result = _with_cloudwatch(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, "--no-live",
        "--poll-interval", "0.05", "--timeout", "1", "--check-alarm", "web-5xx",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert simulated.task_definition(service) == current
    (final,) = results(result.stdout)
    assert final["outcome"] == "ROLLED_BACK"
    assert "alarm web-5xx has been in ALARM since before the deployment" in final["reason"]


def test_rollback_check_alarm_on_a_missing_alarm_exits_2(simulated: SimulatedEcs) -> None:
    """An alarm CloudWatch does not have stays bad input: exit 2, nothing changed."""
    service, _, current = _bad_release_with_a_firing_alarm(simulated, "web-5xx")
    result = _with_cloudwatch(
        simulated, "rollback", "--cluster", CLUSTER, "--service", service, *FAST, "--no-live",
        "--check-alarm", "web-5xxx",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "no alarm named web-5xxx" in result.output
    assert simulated.task_definition(service) == current
