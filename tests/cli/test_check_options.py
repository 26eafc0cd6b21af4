"""The --check-* options of deploy, release and rollback."""

from __future__ import annotations

from click.testing import CliRunner

from ecsdeploy._front.aws import AwsOptions
from ecsdeploy.checks import Alarms, HttpProbe, TargetHealth
from ecsdeploy.cli import main
from ecsdeploy.cli._options import DeployOptions


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
