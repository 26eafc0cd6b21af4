"""Change values check themselves, and the text forms parse into them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from ecsdeploy import (
    Change,
    ImageChange,
    SetEnv,
    SetSecret,
    UnsetEnv,
    UnsetSecret,
    parse_env_change,
    parse_image_change,
    parse_secret_change,
    parse_unset_env,
    parse_unset_secret,
)
from ecsdeploy.exceptions import InputError, InvalidChangeError, InvalidImageError

ARN = "arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf"


def test_changes_are_frozen_values() -> None:
    """Changes compare by value, hash, and cannot be modified."""
    assert SetEnv("web", "A", "1") == SetEnv(container="web", name="A", value="1")
    assert len({UnsetEnv("web", "A"), UnsetEnv("web", "A")}) == 1
    change = ImageChange("web", "nginx:1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.image = "nginx:2"  # type: ignore[misc]


def test_change_is_the_union_of_change_types() -> None:
    """`Change` works with isinstance for every change type."""
    for change in (
        ImageChange("w", "nginx"),
        SetEnv("w", "A", ""),
        UnsetEnv("w", "A"),
        SetSecret("w", "S", ARN),
        UnsetSecret("w", "S"),
    ):
        assert isinstance(change, Change)


def test_image_change_rejects_a_malformed_image() -> None:
    """A bad image is refused when the change is made, before any task definition is read."""
    with pytest.raises(InvalidImageError, match="'Nginx:1'"):
        ImageChange("web", "Nginx:1")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ImageChange("", "nginx"), "container name must be a non-empty string"),
        (lambda: SetEnv("web", "", "x"), "environment variable name must be a non-empty"),
        (lambda: SetEnv("web", "A=B", "x"), "cannot contain '='"),
        (lambda: UnsetEnv("web", ""), "environment variable name must be a non-empty"),
        (lambda: SetSecret("web", "S", ""), "needs a non-empty valueFrom"),
        (lambda: UnsetSecret("", "S"), "container name must be a non-empty string"),
    ],
)
def test_changes_reject_empty_names(make: Callable[[], object], message: str) -> None:
    """Names a change cannot work with are refused with the reason."""
    with pytest.raises(InvalidChangeError, match=message):
        make()


def test_set_env_repr_hides_secret_looking_values() -> None:
    """A password given as a plain variable does not show in a repr."""
    text = repr(SetEnv("web", "DB_PASSWORD", "hunter2"))
    assert "hunter2" not in text
    assert text == "SetEnv(container='web', name='DB_PASSWORD', value='***')"
    assert str(SetEnv("web", "api_key", "k-123")).count("k-123") == 0


def test_set_env_repr_shows_harmless_values() -> None:
    """Values of ordinary variables are shown, so logs stay useful."""
    assert repr(SetEnv("web", "LOG_LEVEL", "debug")) == (
        "SetEnv(container='web', name='LOG_LEVEL', value='debug')"
    )


def test_secret_reference_is_shown() -> None:
    """valueFrom is a reference, not a secret."""
    assert ARN in repr(SetSecret("web", "DB_PASSWORD", ARN))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web=myorg/web:1.2", ImageChange("web", "myorg/web:1.2")),
        ("my_app-2=localhost:5000/app@sha256:" + "a" * 64, None),
    ],
)
def test_parse_image_change(text: str, expected: ImageChange | None) -> None:
    """CONTAINER=IMAGE parses; the image may itself hold ':' and '@'."""
    change = parse_image_change(text)
    container, _, image = text.partition("=")
    assert change == (expected or ImageChange(container, image))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("web", "image change 'web' has no '=': expected CONTAINER=IMAGE"),
        ("=nginx", "has no container name"),
        ("web=", "has no image after '='"),
        ("web app=nginx", "container name 'web app' may contain only letters"),
    ],
)
def test_parse_image_change_errors(text: str, message: str) -> None:
    """Malformed image changes say what is wrong and the expected form."""
    with pytest.raises(InvalidChangeError, match="expected CONTAINER=IMAGE") as caught:
        parse_image_change(text)
    assert message in str(caught.value)


def test_parse_image_change_with_bad_image() -> None:
    """A well-formed change with a malformed image raises InvalidImageError."""
    with pytest.raises(InvalidImageError, match="must be lowercase"):
        parse_image_change("web=myorg/Web:1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web:LOG_LEVEL=debug", SetEnv("web", "LOG_LEVEL", "debug")),
        ("web:EMPTY=", SetEnv("web", "EMPTY", "")),
        (
            "web:URL=postgres://u:p@h:5432/db?a=b",
            SetEnv("web", "URL", "postgres://u:p@h:5432/db?a=b"),
        ),
    ],
)
def test_parse_env_change(text: str, expected: SetEnv) -> None:
    """The first ':' ends the container, the first '=' the name; the value keeps the rest."""
    assert parse_env_change(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DB_PASSWORD=hunter2", "environment change 'DB_PASSWORD=…' has no ':'"),
        ("web:=hunter2", "has no name after ':'"),
        (":DB_PASSWORD=hunter2", "has no container name"),
        ("web:DB_PASSWORD", "has no '=VALUE'"),
        ("a=hunter2:X=1", "the container name contains '='"),
    ],
)
def test_parse_env_change_errors_never_echo_the_value(text: str, message: str) -> None:
    """A malformed environment change is refused without repeating what follows '='."""
    with pytest.raises(InvalidChangeError) as caught:
        parse_env_change(text)
    assert message in str(caught.value)
    assert "expected CONTAINER:NAME=VALUE" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_parse_unset_env() -> None:
    """CONTAINER:NAME parses to UnsetEnv."""
    assert parse_unset_env("web:DEBUG") == UnsetEnv("web", "DEBUG")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DEBUG", "has no ':'"),
        ("web:", "has no name after ':'"),
        ("web:DB_PASSWORD=hunter2", "has a value"),
    ],
)
def test_parse_unset_env_errors(text: str, message: str) -> None:
    """Malformed unsets say what is wrong, without echoing a value."""
    with pytest.raises(InvalidChangeError, match="expected CONTAINER:NAME") as caught:
        parse_unset_env(text)
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_parse_secret_change() -> None:
    """CONTAINER:NAME=VALUE_FROM parses; an ARN's ':' stay in the reference."""
    assert parse_secret_change(f"web:DB_PASSWORD={ARN}") == SetSecret("web", "DB_PASSWORD", ARN)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("web:DB_PASSWORD", "has no '=VALUE_FROM'"),
        ("web:DB_PASSWORD=", "has no '=VALUE_FROM'"),
        ("DB_PASSWORD", "has no ':'"),
    ],
)
def test_parse_secret_change_errors(text: str, message: str) -> None:
    """Malformed secret changes say what is wrong and the expected form."""
    with pytest.raises(InvalidChangeError, match="expected CONTAINER:NAME=VALUE_FROM") as caught:
        parse_secret_change(text)
    assert message in str(caught.value)


def test_parse_unset_secret() -> None:
    """CONTAINER:NAME parses to UnsetSecret; a value is refused."""
    assert parse_unset_secret("web:OLD_TOKEN") == UnsetSecret("web", "OLD_TOKEN")
    with pytest.raises(InvalidChangeError, match="has a value"):
        parse_unset_secret(f"web:OLD_TOKEN={ARN}")


def test_parse_errors_are_input_errors() -> None:
    """Fronts map every parse failure to exit code 2 through InputError."""
    for parse, text in (
        (parse_image_change, "x"),
        (parse_env_change, "x"),
        (parse_unset_env, "x"),
        (parse_secret_change, "x"),
        (parse_unset_secret, "x"),
    ):
        with pytest.raises(InputError):
            parse(text)
