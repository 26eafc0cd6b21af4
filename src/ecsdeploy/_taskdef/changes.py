"""The changes a deploy can make to a task definition, and their text forms.

A change is a small frozen value naming one container. Values check what they can check alone
(a well-formed image, non-empty names) when they are built; what needs the task definition (does
the container exist, do two changes contradict each other) is checked by `build_revision`.

The text forms are what the CLI options and the Drone plugin settings carry:

- ``CONTAINER=IMAGE`` — `parse_image_change`
- ``CONTAINER:NAME=VALUE`` — `parse_env_change` (VALUE may be empty)
- ``CONTAINER:NAME`` — `parse_unset_env`
- ``CONTAINER:NAME=VALUE_FROM`` — `parse_secret_change`
- ``CONTAINER:NAME`` — `parse_unset_secret`

Container names follow ECS's rule (letters, digits, ``_`` and ``-``), so neither ``:`` nor
``=`` can be part of one and the first of each separates unambiguously; a value may contain both.
Error messages never repeat what follows the ``=`` of an environment change: it may be a password.
"""

from __future__ import annotations

import dataclasses
import re

from ecsdeploy._taskdef.images import parse_image_reference
from ecsdeploy._taskdef.redaction import Redactor
from ecsdeploy.exceptions import InvalidChangeError

__all__ = [
    "Change",
    "ImageChange",
    "SetEnv",
    "SetSecret",
    "UnsetEnv",
    "UnsetSecret",
    "parse_env_change",
    "parse_image_change",
    "parse_secret_change",
    "parse_unset_env",
    "parse_unset_secret",
]

_CONTAINER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


def _require_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidChangeError(f"{kind} must be a non-empty string, got {value!r}")
    if "=" in value:
        raise InvalidChangeError(f"{kind} {value!r} cannot contain '='")


@dataclasses.dataclass(frozen=True, slots=True)
class ImageChange:
    """Run `image` in `container`. The image must follow the Docker reference grammar."""

    container: str
    image: str

    def __post_init__(self) -> None:
        _require_name("container name", self.container)
        parse_image_reference(self.image)


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class SetEnv:
    """Set environment variable `name` of `container` to `value`.

    An existing variable keeps its position and gets the new value; a new one is appended. The
    repr hides `value` when `name` looks secret to the default `Redactor`.
    """

    container: str
    name: str
    value: str

    def __post_init__(self) -> None:
        _require_name("container name", self.container)
        _require_name("environment variable name", self.name)
        if not isinstance(self.value, str):
            raise InvalidChangeError(
                f"environment variable {self.container}:{self.name} needs a string value"
            )

    def __repr__(self) -> str:
        shown = Redactor.default().redact_value(self.name, self.value)
        return f"SetEnv(container={self.container!r}, name={self.name!r}, value={shown!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class UnsetEnv:
    """Remove environment variable `name` from `container`; a no-op if it is not set."""

    container: str
    name: str

    def __post_init__(self) -> None:
        _require_name("container name", self.container)
        _require_name("environment variable name", self.name)


@dataclasses.dataclass(frozen=True, slots=True)
class SetSecret:
    """Expose the secret at `value_from` (an ARN or SSM parameter) as `name` in `container`.

    `value_from` is a reference, not the secret itself, so it is shown in reprs and diffs.
    """

    container: str
    name: str
    value_from: str

    def __post_init__(self) -> None:
        _require_name("container name", self.container)
        _require_name("secret name", self.name)
        if not isinstance(self.value_from, str) or not self.value_from:
            raise InvalidChangeError(
                f"secret {self.container}:{self.name} needs a non-empty valueFrom "
                "(a Secrets Manager or SSM Parameter Store ARN, or a parameter name)"
            )


@dataclasses.dataclass(frozen=True, slots=True)
class UnsetSecret:
    """Remove secret `name` from `container`; a no-op if it is not set."""

    container: str
    name: str

    def __post_init__(self) -> None:
        _require_name("container name", self.container)
        _require_name("secret name", self.name)


Change = ImageChange | SetEnv | UnsetEnv | SetSecret | UnsetSecret
"""Any one change to a task definition."""


def parse_image_change(text: str) -> ImageChange:
    """``CONTAINER=IMAGE`` → `ImageChange`, e.g. ``web=myorg/web:1.2``."""
    expected = "expected CONTAINER=IMAGE, e.g. web=myorg/web:1.2"
    container, equals, image = text.partition("=")
    if not equals:
        raise InvalidChangeError(f"image change {text!r} has no '=': {expected}")
    _check_container(container, f"image change {text!r}", expected)
    if not image:
        raise InvalidChangeError(f"image change {text!r} has no image after '=': {expected}")
    return ImageChange(container, image)


def parse_env_change(text: str) -> SetEnv:
    """``CONTAINER:NAME=VALUE`` → `SetEnv`, e.g. ``web:LOG_LEVEL=debug``; VALUE may be empty."""
    expected = "expected CONTAINER:NAME=VALUE, e.g. web:LOG_LEVEL=debug"
    shown = _without_value(text)
    container, name, equals, value = _split_named(text, f"environment change {shown}", expected)
    if not equals:
        raise InvalidChangeError(
            f"environment change {shown} has no '=VALUE': {expected} "
            "(to remove a variable, unset it instead)"
        )
    return SetEnv(container, name, value)


def parse_unset_env(text: str) -> UnsetEnv:
    """``CONTAINER:NAME`` → `UnsetEnv`, e.g. ``web:DEBUG``."""
    expected = "expected CONTAINER:NAME, e.g. web:DEBUG"
    shown = _without_value(text)
    container, name, equals, _ = _split_named(
        text, f"environment variable to unset {shown}", expected
    )
    if equals:
        raise InvalidChangeError(f"environment variable to unset {shown} has a value: {expected}")
    return UnsetEnv(container, name)


def parse_secret_change(text: str) -> SetSecret:
    """``CONTAINER:NAME=VALUE_FROM`` → `SetSecret`, e.g. ``web:DB_PASSWORD=arn:aws:ssm:…``."""
    expected = "expected CONTAINER:NAME=VALUE_FROM, e.g. web:DB_PASSWORD=arn:aws:secretsmanager:…"
    container, name, equals, value_from = _split_named(text, f"secret {text!r}", expected)
    if not equals or not value_from:
        raise InvalidChangeError(f"secret {text!r} has no '=VALUE_FROM': {expected}")
    return SetSecret(container, name, value_from)


def parse_unset_secret(text: str) -> UnsetSecret:
    """``CONTAINER:NAME`` → `UnsetSecret`, e.g. ``web:OLD_TOKEN``."""
    expected = "expected CONTAINER:NAME, e.g. web:OLD_TOKEN"
    container, name, equals, _ = _split_named(text, f"secret to unset {text!r}", expected)
    if equals:
        raise InvalidChangeError(f"secret to unset {text!r} has a value: {expected}")
    return UnsetSecret(container, name)


def _split_named(text: str, what: str, expected: str) -> tuple[str, str, str, str]:
    """Split ``CONTAINER:NAME[=VALUE]`` into container, name, '=' or '', value."""
    container, colon, rest = text.partition(":")
    if not colon:
        raise InvalidChangeError(f"{what} has no ':' after the container name: {expected}")
    _check_container(container, what, expected)
    name, equals, value = rest.partition("=")
    if not name:
        raise InvalidChangeError(f"{what} has no name after ':': {expected}")
    return container, name, equals, value


def _check_container(container: str, what: str, expected: str) -> None:
    if not container:
        raise InvalidChangeError(f"{what} has no container name: {expected}")
    if "=" in container:
        # Whatever follows '=' may be a secret value, so the name is not repeated.
        raise InvalidChangeError(f"{what}: the container name contains '=': {expected}")
    if not _CONTAINER_NAME.fullmatch(container):
        raise InvalidChangeError(
            f"{what}: container name {container!r} may contain only letters, digits, '_' and '-' "
            f"(up to 255): {expected}"
        )


def _without_value(text: str) -> str:
    """`text` quoted, with anything after its first '=' elided: it may be a secret."""
    head, equals, _ = text.partition("=")
    return repr(f"{head}=…" if equals else head)
