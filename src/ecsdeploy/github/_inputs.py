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

from ecsdeploy._front.aws import AwsOptions
from ecsdeploy._front.values import boolean, image_changes
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import ImageChange
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
    return image_changes(
        container=("container-name", _input(environ, "container-name")),
        image=("image", _input(environ, "image")),
        images=("images", _listed(_input(environ, "images"))),
        kind="input",
        error=ActionInputError,
    )


#: How the step's author names a region.
REGION_HINT = (
    "input aws-region is required (or AWS_REGION, as aws-actions/configure-aws-credentials sets it)"
)


def _aws(environ: Mapping[str, str]) -> AwsOptions:
    """The region (input, then the job's AWS_REGION), endpoint and role, checked."""
    given = AwsOptions(
        _input(environ, "aws-region") or None,
        _input(environ, "endpoint-url") or None,
        _input(environ, "role-to-assume") or None,
        region_hint=REGION_HINT,
        region_source="input aws-region",
        endpoint_source="input endpoint-url",
    )
    return given.checked(environ, error=ActionInputError)


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
    #: The attempts of each AWS call (AWS_MAX_ATTEMPTS of the environment parsed).
    retry: RetryPolicy | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Parse and check the INPUT_* variables; ActionInputError names the bad one."""
        if not _boolean(environ, "wait-for-service-stability", True):
            raise ActionInputError(
                "input wait-for-service-stability: false is not supported; ecsdeploy always "
                "watches its deployment to the end (omit the input or set it to true)"
            )
        aws = _aws(environ)
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
        assert aws.region is not None
        return cls(
            region=aws.region,
            cluster=cluster,
            services=services,
            changes=changes,
            release_file=release_file,
            timeout=_timeout(environ),
            poll_interval=_seconds(environ, "poll-interval"),
            bake=_seconds(environ, "bake", zero_ok=True),
            rollback=_boolean(environ, "rollback", True),
            role_arn=aws.role_arn,
            endpoint_url=aws.endpoint_url,
            retry=aws.retry,
        )

    def aws(self) -> AwsOptions:
        """Where the deployment goes and as whom, for `AwsOptions.deployer`."""
        return AwsOptions(
            self.region,
            self.endpoint_url,
            self.role_arn,
            region_hint=REGION_HINT,
            region_source="input aws-region",
            endpoint_source="input endpoint-url",
            retry=self.retry,
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
            "role_arn": self.role_arn,
        }
        return {key: value for key, value in overrides.items() if value is not None}
