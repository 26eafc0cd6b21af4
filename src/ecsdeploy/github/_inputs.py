"""The action's inputs (INPUT_* variables) → what to deploy and how.

Names follow aws-actions/amazon-ecs-deploy-task-definition where they mean the same
(`cluster`, `service`, `wait-for-service-stability`, `wait-for-minutes`) and
amazon-ecs-render-task-definition's `container-name` + `image`; ours on top: `images`,
`release-file`, `timeout`, `poll-interval`, `bake`, `rollback`, `role-to-assume`, `aws-region`,
`endpoint-url`. action.yml sets one INPUT_<NAME> variable per input, hyphens as underscores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import InvalidRegionError
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url, validate_region_name

from ecsdeploy._front.values import boolean
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import ImageChange, parse_image_change
from ecsdeploy.exceptions import InputError

__all__ = ["ActionInputError", "ActionInputs"]


class ActionInputError(InputError):
    """An input is missing or has a value that does not parse; nothing was changed."""


def _input(environ: Mapping[str, str], name: str) -> str:
    return environ.get("INPUT_" + name.upper().replace("-", "_"), "").strip()


def _listed(value: str) -> list[str]:
    """Workflow authors write lists one per line (a YAML block) or comma-separated."""
    return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]


def _boolean(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _input(environ, name)
    if not value:
        return default
    try:
        return boolean(value)
    except ValueError as exc:
        raise ActionInputError(f"input {name}: {value!r} is not a boolean (true or false)") from exc


def _seconds(environ: Mapping[str, str], name: str, *, zero_ok: bool = False) -> float | None:
    value = _input(environ, name)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not (number >= 0 if zero_ok else number > 0):
        raise ActionInputError(
            f"input {name}: {value!r} is not a {'' if zero_ok else 'positive '}number"
        )
    return number


def _images(environ: Mapping[str, str]) -> tuple[ImageChange, ...]:
    changes: list[ImageChange] = []
    container, image = _input(environ, "container-name"), _input(environ, "image")
    if container or image:
        if not (container and image):
            missing = "container-name" if image else "image"
            raise ActionInputError(f"input {missing} is required with container-name and image")
        try:
            changes.append(ImageChange(container, image))
        except InputError as exc:
            raise ActionInputError(f"input container-name/image: {exc}") from exc
    for item in _listed(_input(environ, "images")):
        try:
            changes.append(parse_image_change(item))
        except InputError as exc:
            raise ActionInputError(f"input images: {exc}") from exc
    return tuple(changes)


def _region(environ: Mapping[str, str]) -> str:
    for source, region in (
        ("input aws-region", _input(environ, "aws-region")),
        ("AWS_REGION", environ.get("AWS_REGION", "")),
        ("AWS_DEFAULT_REGION", environ.get("AWS_DEFAULT_REGION", "")),
    ):
        if region:
            # botocore refuses it only when the first client is made, deep in the deployment.
            try:
                validate_region_name(region)
            except InvalidRegionError as exc:
                raise ActionInputError(f"{source}: {region!r} is not an AWS region name") from exc
            return region
    raise ActionInputError(
        "input aws-region is required (or AWS_REGION, as aws-actions/"
        "configure-aws-credentials sets it)"
    )


def _endpoint_url(environ: Mapping[str, str]) -> str | None:
    url = _input(environ, "endpoint-url")
    if not url:
        return None
    # The check botocore makes when the first client is made, deep in the deployment.
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        raise ActionInputError(
            f"input endpoint-url: {url!r} is not an http(s) URL (e.g. http://localhost:4566)"
        )
    return url


def _timeout(environ: Mapping[str, str]) -> float | None:
    timeout = _seconds(environ, "timeout")
    minutes = _seconds(environ, "wait-for-minutes")
    if timeout is not None and minutes is not None:
        raise ActionInputError("inputs timeout and wait-for-minutes say the same thing; give one")
    return timeout if minutes is None else minutes * 60


@dataclass(frozen=True, slots=True)
class ActionInputs:
    """Everything the step asked for, validated. `None` means "not given"."""

    region: str
    cluster: str | None
    services: tuple[str, ...]
    changes: tuple[ImageChange, ...]
    release_file: str | None
    timeout: float | None
    poll_interval: float | None
    bake: float | None
    rollback: bool
    role_arn: str | None
    endpoint_url: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Parse and check the INPUT_* variables; ActionInputError names the bad one."""
        if not _boolean(environ, "wait-for-service-stability", True):
            raise ActionInputError(
                "input wait-for-service-stability: false is not supported; ecsdeploy always "
                "watches its deployment to the end (omit the input or set it to true)"
            )
        region = _region(environ)
        release_file = _input(environ, "release-file") or None
        cluster = _input(environ, "cluster") or None
        services = tuple(dict.fromkeys(_listed(_input(environ, "service"))))
        changes = _images(environ)
        if release_file is None:
            for name, present in (("cluster", cluster), ("service", services)):
                if not present:
                    raise ActionInputError(f"input {name} is required (or release-file)")
            if not changes:
                raise ActionInputError(
                    "nothing to deploy: set container-name and image, or images (ctr=img lines)"
                )
        elif services or changes:
            raise ActionInputError(
                "input release-file names its own services and images; drop service, "
                "container-name, image and images"
            )
        return cls(
            region=region,
            cluster=cluster,
            services=services,
            changes=changes,
            release_file=release_file,
            timeout=_timeout(environ),
            poll_interval=_seconds(environ, "poll-interval"),
            bake=_seconds(environ, "bake", zero_ok=True),
            rollback=_boolean(environ, "rollback", True),
            role_arn=_input(environ, "role-to-assume") or None,
            endpoint_url=_endpoint_url(environ),
        )

    def deploy_settings(self) -> DeploySettings:
        return DeploySettings().with_overrides(
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            rollback=None if self.rollback else False,
            bake=self.bake,
        )

    def release_overrides(self) -> dict[str, Any]:
        """Only what the step gave, so the release file's own [defaults] still apply."""
        overrides = {
            "timeout": self.timeout,
            "poll_interval": self.poll_interval,
            "rollback": None if self.rollback else False,
            "bake": self.bake,
            "cluster": self.cluster,
        }
        return {key: value for key, value in overrides.items() if value is not None}
