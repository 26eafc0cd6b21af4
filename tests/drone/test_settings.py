"""PLUGIN_* variables → PluginSettings: the original plugin's meanings, and clear errors."""

from __future__ import annotations

import pytest

from ecsdeploy import ImageChange
from ecsdeploy.drone._settings import PluginSettings, PluginSettingsError

#: drone-deploy-ecs's README example, as Drone passes it.
ORIGINAL = {
    "PLUGIN_AWS_REGION": "us-east-2",
    "PLUGIN_SERVICE": "webapp",
    "PLUGIN_CLUSTER": "dev-ecs-cluster",
    "PLUGIN_CONTAINER": "nginx",
    "PLUGIN_IMAGE": "myorg/nginx-0123abc",
    "PLUGIN_MAX_DEPLOY_CHECKS": "10",
}


def parse(**changes: str) -> PluginSettings:
    environ = {**ORIGINAL, **{f"PLUGIN_{k.upper()}": v for k, v in changes.items()}}
    return PluginSettings.from_environ({k: v for k, v in environ.items() if v != "<unset>"})


def test_the_original_settings_mean_what_they_meant() -> None:
    """One service, one container's image, 10 checks of 10 s each, rollbacks on."""
    settings = parse()
    assert settings.region == "us-east-2"
    assert settings.cluster == "dev-ecs-cluster"
    assert settings.services == ("webapp",)
    assert settings.changes == (ImageChange("nginx", "myorg/nginx-0123abc"),)
    deploy = settings.deploy_settings()
    assert (deploy.poll_interval, deploy.timeout, deploy.max_checks) == (10.0, 100.0, 10)
    assert deploy.rollback is True


def test_max_deploy_checks_defaults_to_60_checks_of_10_seconds() -> None:
    """Unset, the watch budget is the original's ten minutes."""
    deploy = parse(max_deploy_checks="<unset>").deploy_settings()
    assert (deploy.max_checks, deploy.timeout) == (60, 600.0)


def test_service_is_a_comma_separated_list() -> None:
    """Drone's comma-separated service list is split, trimmed and de-duplicated in order."""
    assert parse(service="webapp, webapp-spot,webapp").services == ("webapp", "webapp-spot")


def test_images_adds_containers_beyond_the_original_one() -> None:
    """`images` adds CONTAINER=IMAGE changes after the original container/image pair."""
    settings = parse(images="sidecar=myorg/envoy:1.30,log=myorg/fluent:2")
    assert settings.changes == (
        ImageChange("nginx", "myorg/nginx-0123abc"),
        ImageChange("sidecar", "myorg/envoy:1.30"),
        ImageChange("log", "myorg/fluent:2"),
    )


def test_timeout_poll_interval_and_bake_override_the_budget() -> None:
    """timeout, poll_interval and bake replace the max_deploy_checks budget's values."""
    deploy = parse(timeout="42", poll_interval="0.5", bake="3").deploy_settings()
    assert (deploy.timeout, deploy.poll_interval, deploy.bake, deploy.max_checks) == (
        42.0,
        0.5,
        3.0,
        10,
    )


@pytest.mark.parametrize(
    ("value", "rollback"),
    [
        *[("true", False), ("1", False), ("yes", False), ("TRUE", False)],
        *[("false", True), ("0", True), ("no", True), ("", True)],
    ],
)
def test_disable_rollbacks_is_a_boolean(value: str, rollback: bool) -> None:
    """`false` keeps rollbacks on (the original disabled them for any non-empty string)."""
    assert parse(disable_rollbacks=value).rollback is rollback


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"max_deploy_checks": "abc"}, "max_deploy_checks: 'abc'"),
        ({"max_deploy_checks": "0"}, "max_deploy_checks: '0'"),
        ({"disable_rollbacks": "maybe"}, "disable_rollbacks: 'maybe' is not a boolean"),
        ({"timeout": "soon"}, "timeout: 'soon'"),
        ({"poll_interval": "-1"}, "poll_interval: '-1'"),
        ({"bake": "x"}, "bake: 'x'"),
        ({"log_format": "xml"}, "log_format: 'xml'"),
        ({"mode": "blue-green"}, "mode: 'blue-green' is not supported"),
        ({"aws_region": "<unset>"}, "aws_region is required"),
        ({"aws_region": "us east"}, "setting aws_region: 'us east' is not an AWS region name"),
        ({"endpoint_url": "localhost:4566"}, "setting endpoint_url: 'localhost:4566' is not"),
        ({"cluster": "<unset>"}, "cluster is required"),
        ({"service": " , "}, "service is required"),
        ({"image": "<unset>"}, "setting image is required with container and image"),
        ({"container": "<unset>"}, "setting container is required with container and image"),
        ({"container": "<unset>", "image": "<unset>"}, "nothing to deploy"),
        ({"images": "sidecar"}, "setting images: "),
    ],
)
def test_bad_settings_are_errors_that_name_the_setting(
    changes: dict[str, str], complaint: str
) -> None:
    """Never a silent default: the error names the setting and the bad value."""
    with pytest.raises(PluginSettingsError) as raised:
        parse(**changes)
    assert complaint in str(raised.value)


def test_a_release_file_is_overridden_only_by_settings_given() -> None:
    """Unset settings leave the release file's [defaults] alone; given ones override them."""
    bare = parse(
        release_file="r.toml",
        service="<unset>",
        container="<unset>",
        image="<unset>",
        cluster="<unset>",
        max_deploy_checks="<unset>",
    )
    assert bare.release_overrides() == {}
    given = parse(release_file="r.toml", max_deploy_checks="6", disable_rollbacks="true")
    assert given.release_overrides() == {
        "timeout": 60.0,
        "rollback": False,
        "max_checks": 6,
        "cluster": "dev-ecs-cluster",
    }


def test_a_release_file_needs_no_service_or_image() -> None:
    """With release_file set, cluster, service, container and image may all be unset."""
    settings = parse(
        release_file="release.toml",
        service="<unset>",
        container="<unset>",
        image="<unset>",
        cluster="<unset>",
    )
    assert settings.release_file == "release.toml"
    assert settings.services == ()
