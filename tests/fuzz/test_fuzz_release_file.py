"""Release files: a Release or a ReleaseFileError naming the file, never a traceback, for any
text and for TOML with any mix of known keys and values of any type."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ecsdeploy import Release
from ecsdeploy._release.file import parse_release
from ecsdeploy._release.file_fields import (
    CHANGE_KEYS,
    DEFAULTS_FIELDS,
    RELEASE_FIELDS,
    SERVICE_FIELDS,
    TASK_FIELDS,
    TASK_OVERRIDE_KEYS,
)
from ecsdeploy.exceptions import ReleaseFileError
from tests.fuzz.conftest import FUZZ_PROFILE
from tests.fuzz.outside_input import ANY_TEXT

# The parser's own tables of keys (plus one it does not know), so a key added to the release
# file format is fuzzed the day it is added.
RELEASE_KEYS = (*RELEASE_FIELDS, "bogus")
SETTING_KEYS = (*DEFAULTS_FIELDS, "bogus")
SERVICE_KEYS = (*SERVICE_FIELDS, *CHANGE_KEYS, "bogus")
TASK_KEYS = (*TASK_FIELDS, *TASK_OVERRIDE_KEYS, "role_arn", "bogus")

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    ANY_TEXT,
    st.sampled_from(
        [
            "web",
            "myorg/web:2",
            "${VERSION}",
            "${UNSET:-x}",
            "$$",
            "rollout-state",
            "us-east-2",
            "arn:aws:iam::123456789012:role/deploy",
            "https://web.example/health?token=x",
        ]
    ),
)
#: Table keys for nested values: container names, and the keys of an http check.
_TABLE_KEYS = st.sampled_from(["web", "a", "", "url", "expect", "times", "headers", "timeout"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TABLE_KEYS, inner)),
    max_leaves=6,
)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_string(key)


def _toml_string(text: str) -> str:
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text)
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else "inf"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _table(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), _VALUES, max_size=4)


@st.composite
def release_files(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines += [
            "[release]",
            *(f"{k} = {_toml_value(v)}" for k, v in draw(_table(RELEASE_KEYS)).items()),
        ]
    if draw(st.booleans()):
        lines += [
            "[defaults]",
            *(f"{k} = {_toml_value(v)}" for k, v in draw(_table(SETTING_KEYS)).items()),
        ]
    for _ in range(draw(st.integers(0, 2))):
        lines += ["[[stage]]", f"name = {_toml_value(draw(_SCALARS))}"]
        for _ in range(draw(st.integers(0, 1))):
            table = draw(_table(TASK_KEYS))
            lines += ["[[stage.task]]", *(f"{k} = {_toml_value(v)}" for k, v in table.items())]
        for _ in range(draw(st.integers(0, 2))):
            table = draw(_table(SERVICE_KEYS))
            lines += ["[[stage.service]]", *(f"{k} = {_toml_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


_VALID: dict[str, dict[str, Any]] = {
    "release": {"name": "r", "atomic": True, "max_concurrency": 5},
    "defaults": {"region": "us-east-2", "cluster": "prod", "timeout": 300, "poll_interval": 5},
    "task": {"name": "migrate", "task_definition_of": "web", "command": {"web": ["migrate"]}},
    "service": {"service": "web", "images": {"web": "myorg/web:2"}, "env": {"web": {"A": "1"}}},
}


@st.composite
def nearly_valid_release_files(draw: st.DrawFn) -> str:
    """A valid release file (a migration task, then a service) with one key of one table set to
    anything (or added)."""
    tables = {name: dict(keys) for name, keys in _VALID.items()}
    table = draw(st.sampled_from(sorted(tables)))
    pool = {
        "release": RELEASE_KEYS,
        "defaults": SETTING_KEYS,
        "task": TASK_KEYS,
        "service": SERVICE_KEYS,
    }[table]
    tables[table][draw(st.sampled_from(pool))] = draw(_VALUES)

    def body(name: str) -> list[str]:
        return [f"{k} = {_toml_value(v)}" for k, v in tables[name].items()]

    lines = ["[release]", *body("release"), "[defaults]", *body("defaults")]
    lines += ["[[stage]]", 'name = "s"', "[[stage.task]]", *body("task")]
    lines += ["[[stage.service]]", *body("service")]
    return "\n".join(lines) + "\n"


def _parse(text: str) -> Release | ReleaseFileError:
    try:
        return parse_release(text, source="fuzz.toml", environ={"VERSION": "1.2"})
    except ReleaseFileError as exc:
        return exc


@FUZZ_PROFILE
@given(text=ANY_TEXT)
def test_any_text_is_a_release_or_a_release_file_error(text: str) -> None:
    """Arbitrary text: a Release, or a ReleaseFileError that names the file."""
    parsed = _parse(text)
    if isinstance(parsed, ReleaseFileError):
        assert "fuzz.toml" in str(parsed)


@FUZZ_PROFILE
@given(text=release_files())
def test_toml_with_known_keys_is_a_release_or_a_release_file_error(text: str) -> None:
    """Known tables and keys with values of any type: a Release whose every target has a
    cluster and changes, or a ReleaseFileError that names the file."""
    parsed = _parse(text)
    if isinstance(parsed, ReleaseFileError):
        assert "fuzz.toml" in str(parsed)
        return
    for stage in parsed.stages:
        for target in stage.targets:
            assert target.service


@FUZZ_PROFILE
@given(text=nearly_valid_release_files())
def test_a_valid_file_with_one_odd_value_is_a_release_or_a_release_file_error(text: str) -> None:
    """One key of a valid file set to any value: a Release, or a ReleaseFileError that names
    the file and the line."""
    parsed = _parse(text)
    if isinstance(parsed, ReleaseFileError):
        assert "fuzz.toml" in str(parsed)
        return
    assert len([t for s in parsed.stages for t in s.targets]) == 1
