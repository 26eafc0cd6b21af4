"""Secret-looking values are recognised by name and hidden."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from ecsdeploy import Redactor, redact_task_definition
from ecsdeploy._taskdef.redaction import DEFAULT_PATTERNS, REDACTED


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "db_password",
        "MYSQL_PASSWD",
        "CLIENT_SECRET",
        "GITHUB_TOKEN",
        "api_key",
        "AWS_SECRET_ACCESS_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "PRIVATE_KEY_PEM",
        "BasicAuth",
        "splunk-token",
    ],
)
def test_default_patterns_catch_common_secret_names(name: str) -> None:
    """Names matching a default pattern, in any case, look secret."""
    assert Redactor.default().looks_secret(name)
    assert Redactor.default().redact_value(name, "s3cr3t") == REDACTED


@pytest.mark.parametrize("name", ["LOG_LEVEL", "PORT", "DATABASE_HOST", "awslogs-group"])
def test_ordinary_names_are_shown(name: str) -> None:
    """Names matching no pattern keep their values."""
    assert not Redactor.default().looks_secret(name)
    assert Redactor.default().redact_value(name, "value") == "value"


def test_default_is_the_documented_pattern_set() -> None:
    """Redactor() and Redactor.default() use DEFAULT_PATTERNS."""
    assert Redactor() == Redactor.default()
    assert Redactor.default().patterns == DEFAULT_PATTERNS


def test_custom_patterns_replace_the_defaults() -> None:
    """Redactor(patterns=...) hides exactly what its patterns match, case-insensitively."""
    redactor = Redactor(patterns=("*_DSN", "STRIPE_?"))
    assert redactor.patterns == ("*_DSN", "STRIPE_?")
    assert redactor.looks_secret("sentry_dsn")
    assert redactor.looks_secret("STRIPE_1")
    assert not redactor.looks_secret("STRIPE_12")
    assert not redactor.looks_secret("DB_PASSWORD")


def test_extend_adds_patterns() -> None:
    """extend() keeps what was hidden and hides more, leaving the original untouched."""
    extended = Redactor.default().extend("*_DSN")
    assert extended.looks_secret("SENTRY_DSN")
    assert extended.looks_secret("DB_PASSWORD")
    assert not Redactor.default().looks_secret("SENTRY_DSN")


def test_no_patterns_hide_nothing() -> None:
    """An empty pattern set is allowed and hides nothing."""
    assert not Redactor(patterns=()).looks_secret("DB_PASSWORD")


def test_a_single_string_is_not_a_pattern_list() -> None:
    """A bare string would be read as one pattern per character, so it is refused."""
    with pytest.raises(TypeError, match="not a single string"):
        Redactor(patterns="*KEY*")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty string"):
        Redactor(patterns=("",))


def test_redactor_is_frozen() -> None:
    """A redactor cannot be changed after it is made."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Redactor().patterns = ()  # type: ignore[misc]


TASK_DEFINITION: dict[str, Any] = {
    "taskDefinitionArn": "arn:aws:ecs:us-east-2:123:task-definition/web:3",
    "family": "web",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "myorg/web:1",
            "environment": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_PASSWORD", "value": "hunter2"},
            ],
            "secrets": [
                {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-2:123:parameter/t"}
            ],
            "logConfiguration": {
                "logDriver": "splunk",
                "options": {"splunk-url": "https://splunk:8088", "splunk-token": "tok-123"},
            },
            "dockerLabels": {"owner": "payments", "deploy.key": "k-456"},
        }
    ],
    "proxyConfiguration": {
        "containerName": "envoy",
        "properties": [{"name": "AuthHeader", "value": "Bearer b-789"}],
    },
    "tags": [{"key": "team", "value": "payments"}, {"key": "secret-tag", "value": "t-000"}],
    "futureField": {"apiKey": "f-111", "plain": "kept"},
}


def test_redact_task_definition_hides_secret_values_everywhere() -> None:
    """Env values, map entries, name/value properties and tags with secret names are hidden."""
    redacted = redact_task_definition(TASK_DEFINITION)
    text = repr(redacted)
    for secret in ("hunter2", "tok-123", "k-456", "b-789", "t-000", "f-111"):
        assert secret not in text
    container = redacted["containerDefinitions"][0]
    assert container["environment"] == [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "DB_PASSWORD", "value": REDACTED},
    ]
    assert container["logConfiguration"]["options"]["splunk-url"] == "https://splunk:8088"
    assert redacted["futureField"]["plain"] == "kept"


def test_redact_task_definition_shows_secret_references() -> None:
    """secrets[].valueFrom is a reference and stays visible; field names never redact."""
    redacted = redact_task_definition(TASK_DEFINITION)
    container = redacted["containerDefinitions"][0]
    assert container["secrets"] == TASK_DEFINITION["containerDefinitions"][0]["secrets"]
    assert redacted["taskDefinitionArn"] == TASK_DEFINITION["taskDefinitionArn"]


def test_redact_task_definition_does_not_mutate_its_input() -> None:
    """The input is left as it was; the result shares nothing with it."""
    before = copy.deepcopy(TASK_DEFINITION)
    redacted = redact_task_definition(TASK_DEFINITION)
    assert before == TASK_DEFINITION
    redacted["containerDefinitions"][0]["image"] = "changed"
    assert TASK_DEFINITION["containerDefinitions"][0]["image"] == "myorg/web:1"


def test_redact_task_definition_with_custom_redactor() -> None:
    """A configured redactor decides what is hidden."""
    redacted = redact_task_definition(TASK_DEFINITION, redactor=Redactor(patterns=("LOG_*",)))
    assert redacted["containerDefinitions"][0]["environment"] == [
        {"name": "LOG_LEVEL", "value": REDACTED},
        {"name": "DB_PASSWORD", "value": "hunter2"},
    ]


def test_unknown_fields_with_secret_names_are_hidden() -> None:
    """A field the model does not know is judged by its name, at any level."""
    task_definition = copy.deepcopy(TASK_DEFINITION)
    task_definition["futureToken"] = "ft-1"
    task_definition["containerDefinitions"][0]["sessionToken"] = "st-1"
    task_definition["containerDefinitions"][0]["futureMode"] = "kept"
    redacted = redact_task_definition(task_definition)
    assert redacted["futureToken"] == REDACTED
    assert redacted["containerDefinitions"][0]["sessionToken"] == REDACTED
    assert redacted["containerDefinitions"][0]["futureMode"] == "kept"
    assert redacted["family"] == "web"
