"""CLI --image/--env/--secret values and image references: a value or an InputError, never a
traceback; a change that parses builds a revision or is refused with an InputError."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsdeploy._taskdef.changes import (
    parse_env_change,
    parse_image_change,
    parse_secret_change,
    parse_unset_env,
    parse_unset_secret,
)
from ecsdeploy._taskdef.images import parse_image_reference
from ecsdeploy._taskdef.revision import build_revision
from ecsdeploy.exceptions import InputError
from tests.fuzz.conftest import FUZZ_PROFILE
from tests.fuzz.outside_input import ANY_TEXT, parsed_or_refused

PARSERS: dict[str, Callable[[str], Any]] = {
    "--image": parse_image_change,
    "--env": parse_env_change,
    "--unset-env": parse_unset_env,
    "--secret": parse_secret_change,
    "--unset-secret": parse_unset_secret,
}

DESCRIBED: dict[str, Any] = {
    "taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-2:123456789012:task-definition/web:3",
        "family": "web",
        "revision": 3,
        "status": "ACTIVE",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "myorg/web:1",
                "memory": 128,
                "environment": [{"name": "MODE", "value": "x"}],
                "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:::parameter/t"}],
            }
        ],
    },
    "tags": [],
}


@pytest.mark.parametrize("option", sorted(PARSERS))
@FUZZ_PROFILE
@given(text=ANY_TEXT)
def test_a_change_value_parses_or_is_refused_as_input(option: str, text: str) -> None:
    """Any value of the option: a Change that builds a revision, or an InputError."""
    change = parsed_or_refused(lambda: PARSERS[option](text))
    if isinstance(change, InputError):
        assert str(change)
        return
    built = parsed_or_refused(lambda: build_revision(DESCRIBED, [change]))
    if isinstance(built, InputError):
        assert str(built)
        return
    assert built["family"] == "web"


@FUZZ_PROFILE
@given(text=ANY_TEXT)
def test_an_image_reference_parses_or_is_refused_as_input(text: str) -> None:
    """Any string as an image: a parsed reference that prints back, or an InputError."""
    reference = parsed_or_refused(lambda: parse_image_reference(text))
    assert str(reference)


@FUZZ_PROFILE
@given(changes=st.lists(st.tuples(st.sampled_from(sorted(PARSERS)), ANY_TEXT), max_size=5))
def test_several_changes_build_a_revision_or_are_refused_as_input(
    changes: list[tuple[str, str]],
) -> None:
    """Several parsed changes at once (contradictions included): a revision or an InputError."""
    parsed = [parsed_or_refused(partial(PARSERS[option], text)) for option, text in changes]
    usable = [change for change in parsed if not isinstance(change, InputError)]
    built = parsed_or_refused(lambda: build_revision(DESCRIBED, usable))
    if isinstance(built, InputError):
        assert str(built)
        return
    assert built["containerDefinitions"]
