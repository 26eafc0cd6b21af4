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
from dataclasses import dataclass
from typing import Any

from ecsdeploy._front.logs import LOG_FORMATS, LogFormat
from ecsdeploy._front.values import boolean
from ecsdeploy._region import region_from_environment
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import ImageChange, parse_image_change
from ecsdeploy.exceptions import InputError

__all__ = ["DEFAULT_MAX_DEPLOY_CHECKS", "PluginSettings", "PluginSettingsError", "parse_bool"]

#: drone-deploy-ecs: "10 second between checks + 60 checks = 600 seconds = 10 minutes".
DEFAULT_MAX_DEPLOY_CHECKS = 60
CHECK_INTERVAL = 10.0


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


def _log_format(value: str) -> LogFormat:
    lowered = value.lower() or "json"
    for known in LOG_FORMATS:
        if lowered == known:
            return known
    raise PluginSettingsError(f"setting log_format: {value!r} is not one of json, console")


def _images(environ: Mapping[str, str]) -> tuple[ImageChange, ...]:
    changes: list[ImageChange] = []
    container, image = _setting(environ, "container"), _setting(environ, "image")
    if container or image:
        if not (container and image):
            missing = "container" if image else "image"
            raise PluginSettingsError(f"setting {missing} is required with container and image")
        try:
            changes.append(ImageChange(container, image))
        except InputError as exc:
            raise PluginSettingsError(f"setting container/image: {exc}") from exc
    for item in _listed(_setting(environ, "images")):
        try:
            changes.append(parse_image_change(item))
        except InputError as exc:
            raise PluginSettingsError(f"setting images: {exc}") from exc
    return tuple(changes)


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

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> PluginSettings:
        """Parse and check the PLUGIN_* variables; PluginSettingsError names the bad one."""
        mode = _setting(environ, "mode").lower()
        if mode not in ("", "rolling"):
            raise PluginSettingsError(
                f"setting mode: {mode!r} is not supported; ecsdeploy does rolling deployments "
                "(omit mode or set it to rolling)"
            )
        region = region_from_environment(_setting(environ, "aws_region"), environ)
        if not region:
            raise PluginSettingsError("setting aws_region is required (e.g. aws_region: us-east-2)")
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
            region=region,
            cluster=cluster,
            services=services,
            changes=changes,
            max_deploy_checks=_positive_int(
                "max_deploy_checks", _setting(environ, "max_deploy_checks")
            ),
            rollback=not parse_bool("disable_rollbacks", _setting(environ, "disable_rollbacks")),
            role_arn=_setting(environ, "aws_role_arn") or None,
            timeout=_positive_float("timeout", _setting(environ, "timeout")),
            poll_interval=_positive_float("poll_interval", _setting(environ, "poll_interval")),
            bake=_non_negative_float("bake", _setting(environ, "bake")),
            release_file=release_file,
            log_format=log_format,
            endpoint_url=_setting(environ, "endpoint_url") or None,
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
        }
        return {key: value for key, value in overrides.items() if value is not None}
