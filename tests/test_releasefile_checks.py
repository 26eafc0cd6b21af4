"""Release-file keys for the AWS and HTTP health checks: target_health, alarms, http_checks."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from ecsdeploy import DeploySettings, Release, parse_release
from ecsdeploy.checks import Alarms, HttpProbe, TargetHealth
from ecsdeploy.exceptions import ReleaseFileError

SERVICES = """\
[[stage]]
[[stage.service]]
cluster = "prod"
service = "api"
images = { api = "myorg/app:1" }
[[stage.service]]
cluster = "prod"
service = "worker"
images = { worker = "myorg/app:1" }
"""


def parse(text: str, **options: Any) -> Release:
    return parse_release(textwrap.dedent(text), source="release.toml", environ={}, **options)


def extra(release: Release, service: str) -> tuple[object, ...]:
    (target,) = [t for t in release.targets if t.service == service]
    assert target.settings is not None
    return target.settings.extra_checks


def test_defaults_add_the_checks_to_every_service() -> None:
    """[defaults] target_health, alarms, alarm_prefix and http_checks become checks."""
    release = parse(
        """\
        [defaults]
        target_health = true
        alarms = ["api-5xx", "api-p99"]
        alarm_prefix = "prod-"
        [[defaults.http_checks]]
        url = "https://api.example.com/health"
        expect = 204
        times = 2
        headers = { Host = "api.internal" }
        timeout = 2
        failures = 4
        """
        + SERVICES
    )
    expected = (
        TargetHealth(),
        Alarms("api-5xx", "api-p99", prefix="prod-"),
        HttpProbe(
            "https://api.example.com/health",
            expect=204,
            times=2,
            headers={"Host": "api.internal"},
            timeout=2.0,
            failures=4,
        ),
    )
    assert extra(release, "api") == expected
    assert extra(release, "worker") == expected


def test_a_services_own_keys_replace_the_defaults() -> None:
    """A service's alarms replace [defaults]' alarms; target_health = false turns it off."""
    text = SERVICES.replace(
        'service = "worker"\n',
        'service = "worker"\nalarms = ["worker-lag"]\ntarget_health = false\n',
    )
    release = parse('[defaults]\ntarget_health = true\nalarms = ["api-5xx"]\n' + text)
    assert extra(release, "api") == (TargetHealth(), Alarms("api-5xx"))
    assert extra(release, "worker") == (Alarms("worker-lag"),)


def test_overrides_beat_defaults_and_keep_the_base_extra_checks() -> None:
    """Command-line checks replace [defaults]' and come after the Deployer's own extra checks."""
    base = DeploySettings(extra_checks=(TargetHealth(threshold=9),))
    release = parse(
        '[defaults]\nalarms = ["file-alarm"]\n' + SERVICES,
        settings=base,
        overrides={"alarms": ["cli-alarm"], "http_checks": [{"url": "http://x.test/"}]},
    )
    assert extra(release, "api") == (
        TargetHealth(threshold=9),
        Alarms("cli-alarm"),
        HttpProbe("http://x.test/"),
    )


def test_a_release_without_check_keys_adds_no_check() -> None:
    """The new keys are opt-in."""
    assert extra(parse(SERVICES), "api") == ()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('target_health = "yes"', "target_health: expected a boolean"),
        ('alarms = "api-5xx"', "alarms: expected an array of alarm names"),
        ('alarms = ["ok", ""]', "alarms: alarm names are non-empty strings"),
        ('http_checks = { url = "http://x/" }', "http_checks: expected an array of tables"),
        ("http_checks = [{ expect = 200 }]", "http check 1: no 'url'"),
        ('http_checks = [{ url = "http://x/", expectt = 200 }]', "did you mean 'expect'"),
        ('http_checks = [{ url = "x.test/health" }]', "http:// or https://"),
        ('http_checks = [{ url = "http://x:99999/" }]', "http check 1: HttpProbe's URL"),
        ('http_checks = [{ url = "http://x/", expect = "200" }]', "expect: expected an HTTP"),
        ('http_checks = [{ url = "http://x/", headers = { Host = 1 } }]', "header 'Host'"),
        (
            'http_checks = [{ url = "http://x/", headers = { X-Trace = "a\\nb" } }]',
            "header 'X-Trace' has a control character",
        ),
    ],
)
def test_bad_check_values_name_the_line_and_key(line: str, problem: str) -> None:
    """A bad value fails the whole file before anything is deployed, pointing at its line."""
    with pytest.raises(ReleaseFileError) as raised:
        parse("[defaults]\n" + line + "\n" + SERVICES)
    assert raised.value.line == 2
    assert problem in str(raised.value)
