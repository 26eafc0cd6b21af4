"""Drone's PLUGIN_* variables → what to deploy and how, with drone-deploy-ecs's meanings.

The original plugin's settings keep their meaning: `aws_region`, `cluster`, `service` (a
comma-separated list), `container` + `image`, `max_deploy_checks` (default 60, one check every
10 s, so a 10-minute watch), `disable_rollbacks`, `aws_role_arn`, and `mode` (only `rolling`).
Ours on top: `images`, `timeout`, `poll_interval`, `bake`, `release_file`, `log_format`,
`endpoint_url`. Unlike the original, a value that does not parse is an error (exit 2), never a
silent default, and booleans are booleans (`disable_rollbacks: false` keeps rollbacks on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ecsdeploy._front.aws import AwsOptions
from ecsdeploy._front.logs import LOG_FORMATS, LogFormat
from ecsdeploy._front.values import boolean, image_changes
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import ImageChange
from ecsdeploy.exceptions import InputError

__all__ = [
    "DEFAULT_MAX_DEPLOY_CHECKS",
    "REGION_HINT",
    "PluginSettings",
    "PluginSettingsError",
    "parse_bool",
]

#: drone-deploy-ecs: "10 second between checks + 60 checks = 600 seconds = 10 minutes".
DEFAULT_MAX_DEPLOY_CHECKS = 60
CHECK_INTERVAL = 10.0
#: How the plugin's user names a region.
REGION_HINT = "setting aws_region is required (e.g. aws_region: us-east-2)"


class PluginSettingsError(InputError):
    """A PLUGIN_* setting is missing or has a value that does not parse."""


def _setting(environ: Mapping[str, str], name: str) -> str:
    return environ.get(f"PLUGIN_{name.upper()}", "").strip()


def parse_bool(name: str, value: str) -> bool:
    try:
        return boolean(value)
    except ValueError:
        raise PluginSettingsError(
            f"setting {name}: {value!r} is not a boolean; use true or false (also 1/0, yes/no)"
        ) from None


def _positive_float(name: str, value: str) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise PluginSettingsError(f"setting {name}: {value!r} is not a positive number of seconds")
    return number


def _non_negative_float(name: str, value: str) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:
        raise PluginSettingsError(f"setting {name}: {value!r} is not a number of seconds (>= 0)")
    return number


def _positive_int(name: str, value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise PluginSettingsError(f"setting {name}: {value!r} is not a whole number of at least 1")
    return int(value)


def _listed(value: str) -> list[str]:
    """Drone passes a YAML list as a comma-separated string."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _aws_options(region: str | None, endpoint_url: str | None, role_arn: str | None) -> AwsOptions:
    return AwsOptions(
        region,
        endpoint_url,
        role_arn,
        region_hint=REGION_HINT,
        region_source="setting aws_region",
        endpoint_source="setting endpoint_url",
    )


def _log_format(value: str) -> LogFormat:
    lowered = value.lower() or "json"
    for known in LOG_FORMATS:
        if lowered == known:
            return known
    raise PluginSettingsError(f"setting log_format: {value!r} is not one of json, console")


def _images(environ: Mapping[str, str]) -> tuple[ImageChange, ...]:
    return image_changes(
        container=("container", _setting(environ, "container")),
        image=("image", _setting(environ, "image")),
        images=("images", _listed(_setting(environ, "images"))),
        kind="setting",
        error=PluginSettingsError,
    )


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """Everything the plugin was asked to do, validated. `None` means "not given"."""

    region: str
    cluster: str | None
    services: tuple[str, ...]
    changes: tuple[ImageChange, ...]
    max_deploy_checks: int | None
    rollback: bool
    role_arn: str | None
    timeout: float | None
    poll_interval: float | None
    bake: float | None
    release_file: str | None
    log_format: LogFormat
    endpoint_url: str | None
    #: The attempts of each AWS call (AWS_MAX_ATTEMPTS of the environment parsed).
    retry: RetryPolicy | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> PluginSettings:
        """Parse and check the PLUGIN_* variables; PluginSettingsError names the bad one."""
        mode = _setting(environ, "mode").lower()
        if mode not in ("", "rolling"):
            raise PluginSettingsError(
                f"setting mode: {mode!r} is not supported; ecsdeploy does rolling deployments "
                "(omit mode or set it to rolling)"
            )
        aws = _aws_options(
            _setting(environ, "aws_region") or None,
            _setting(environ, "endpoint_url") or None,
            _setting(environ, "aws_role_arn") or None,
        ).checked(environ, error=PluginSettingsError)
        assert aws.region is not None
        log_format = _log_format(_setting(environ, "log_format"))
        release_file = _setting(environ, "release_file") or None
        cluster = _setting(environ, "cluster") or None
        services = tuple(dict.fromkeys(_listed(_setting(environ, "service"))))
        changes = _images(environ)
        if release_file is None:
            for name, present in (("cluster", cluster), ("service", services)):
                if not present:
                    raise PluginSettingsError(f"setting {name} is required")
            if not changes:
                raise PluginSettingsError(
                    "nothing to deploy: set container and image (or images: ctr=img,ctr2=img2)"
                )
        return cls(
            region=aws.region,
            cluster=cluster,
            services=services,
            changes=changes,
            max_deploy_checks=_positive_int(
                "max_deploy_checks", _setting(environ, "max_deploy_checks")
            ),
            rollback=not parse_bool("disable_rollbacks", _setting(environ, "disable_rollbacks")),
            role_arn=aws.role_arn,
            timeout=_positive_float("timeout", _setting(environ, "timeout")),
            poll_interval=_positive_float("poll_interval", _setting(environ, "poll_interval")),
            bake=_non_negative_float("bake", _setting(environ, "bake")),
            release_file=release_file,
            log_format=log_format,
            endpoint_url=aws.endpoint_url,
            retry=aws.retry,
        )

    def aws(self) -> AwsOptions:
        """Where the deployment goes and as whom, for `AwsOptions.deployer`."""
        return replace(
            _aws_options(self.region, self.endpoint_url, self.role_arn), retry=self.retry
        )

    def deploy_settings(self) -> DeploySettings:
        """The original's watch budget: max_deploy_checks looks (60), one every poll_interval
        (10 s); `timeout` replaces the budget's deadline when given."""
        checks = self.max_deploy_checks or DEFAULT_MAX_DEPLOY_CHECKS
        poll_interval = self.poll_interval or CHECK_INTERVAL
        return DeploySettings(
            timeout=self.timeout or checks * poll_interval,
            poll_interval=poll_interval,
            rollback=self.rollback,
            bake=self.bake or 0.0,
            max_checks=checks,
        )

    def release_overrides(self) -> dict[str, Any]:
        """What the settings override in a release file: only what was given, so the file's own
        [defaults] still apply to everything the step does not set."""
        checks, poll_interval = self.max_deploy_checks, self.poll_interval
        budget = checks * (poll_interval or CHECK_INTERVAL) if checks else None
        overrides = {
            "timeout": self.timeout or budget,
            "poll_interval": poll_interval,
            "rollback": None if self.rollback else False,
            "bake": self.bake,
            "max_checks": checks,
            "cluster": self.cluster,
            # Like --role-arn: the file's [defaults] role gives way, a service's own does not.
            "role_arn": self.role_arn,
        }
        return {key: value for key, value in overrides.items() if value is not None}
