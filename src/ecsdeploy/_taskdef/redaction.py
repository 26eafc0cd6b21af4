"""Keeping secret-looking values out of diffs, reprs and logs.

Plain environment variables are readable by anyone allowed DescribeTaskDefinition, yet people
still put passwords in them. Whatever ecsdeploy prints (a diff before a deploy, a log line, the repr
of a change) goes through a `Redactor` so that such values never reach a terminal or a CI log.

What counts as secret is decided by *name*, never by value: an environment variable, a tag or a
string map entry (Docker labels, log driver options such as ``splunk-token``) whose name matches
one of the glob patterns. `secrets[].valueFrom` is shown: it is a reference (an ARN or a parameter
name), not the secret, and seeing which reference changed is what a reviewer needs. Free-form
strings such as `command` are shown as they are: no name tells us they hold a secret.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ecsdeploy._taskdef.shapes import register_input_shape, task_definition_shape

__all__ = [
    "DEFAULT_PATTERNS",
    "REDACTED",
    "Redactor",
    "pair_name",
    "redact_task_definition",
    "redact_tree",
]

REDACTED = "***"
"""What a redacted value is replaced with."""

DEFAULT_PATTERNS: tuple[str, ...] = (
    "*PASSWORD*",
    "*PASSWD*",
    "*SECRET*",
    "*TOKEN*",
    "*KEY*",
    "*CREDENTIAL*",
    "*PRIVATE*",
    "*AUTH*",
)
"""Glob patterns, matched case-insensitively against names, that mark a value as secret."""

# Name/value structures in the ECS model: an environment variable ({name, value}) and a tag
# ({key, value}). Their `value` is secret when their name is.
_PAIR_NAME_KEYS = ("name", "key")


@dataclasses.dataclass(frozen=True, slots=True)
class Redactor:
    """Decides, by name, which values are secret, and hides them.

    `patterns` are shell-style globs (``*``, ``?``, ``[...]``) matched case-insensitively against
    the whole name. The default set errs on the side of hiding (``*KEY*`` also hides
    ``MONKEY_COUNT``): a hidden harmless value costs a reviewer a glance, a shown password costs a
    rotation.
    """

    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    _regex: re.Pattern[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns: object = self.patterns
        if isinstance(patterns, str):
            raise TypeError("patterns must be a sequence of glob patterns, not a single string")
        patterns = tuple(self.patterns)
        for pattern in patterns:
            if not isinstance(pattern, str) or not pattern:
                raise ValueError(f"redaction pattern {pattern!r} must be a non-empty string")
        object.__setattr__(self, "patterns", patterns)
        # An empty alternation would match nothing, which is what no patterns should mean.
        joined = "|".join(fnmatch.translate(p) for p in patterns) or r"(?!)"
        object.__setattr__(self, "_regex", re.compile(joined, re.IGNORECASE | re.DOTALL))

    @classmethod
    def default(cls) -> Redactor:
        """The redactor used when none is given: `DEFAULT_PATTERNS`."""
        return _DEFAULT

    def extend(self, *patterns: str) -> Redactor:
        """A redactor hiding everything this one hides, and names matching `patterns` too."""
        return Redactor(patterns=(*self.patterns, *patterns))

    def looks_secret(self, name: str) -> bool:
        """Whether a value stored under `name` must be hidden."""
        return self._regex.match(name) is not None

    def redact_value(self, name: str, value: str) -> str:
        """`value`, or `REDACTED` when `name` looks secret."""
        return REDACTED if self.looks_secret(name) else value


_DEFAULT = Redactor()


def pair_name(item: Mapping[str, Any]) -> str | None:
    """The name of a name/value structure (an environment variable, a tag), else None."""
    if "value" not in item:
        return None
    for key in _PAIR_NAME_KEYS:
        name = item.get(key)
        if isinstance(name, str):
            return name
    return None


def redact_task_definition(
    task_definition: Mapping[str, Any], *, redactor: Redactor = _DEFAULT
) -> dict[str, Any]:
    """A deep copy of a task definition with every secret-looking value replaced by `REDACTED`.

    Accepts a RegisterTaskDefinition input or the `taskDefinition` of a DescribeTaskDefinition
    response, so either can be logged whole. The service model tells string maps (whose keys are
    names we check) from structures (whose keys are field names we do not); a member the model
    does not know is treated as a map, which can only hide more.
    """
    known = {**task_definition_shape().members, **register_input_shape().members}
    return _redact_structure(task_definition, task_definition_shape(), redactor, known)


def redact_tree(value: Any, shape: Shape | None, redactor: Redactor) -> Any:
    """A deep copy of `value`, described by `shape` (None if unknown), with secrets hidden."""
    if isinstance(value, Mapping):
        if isinstance(shape, StructureShape) or (shape is None and pair_name(value) is not None):
            return _redact_structure(value, shape, redactor)
        value_shape = shape.value if isinstance(shape, MapShape) else None
        return {
            k: REDACTED
            if isinstance(k, str) and redactor.looks_secret(k) and _is_scalar(v)
            else redact_tree(v, value_shape, redactor)
            for k, v in value.items()
        }
    if isinstance(value, list):
        member = shape.member if isinstance(shape, ListShape) else None
        return [redact_tree(item, member, redactor) for item in value]
    return copy.deepcopy(value)


def _redact_structure(
    value: Mapping[str, Any],
    shape: StructureShape | None,
    redactor: Redactor,
    members: Mapping[str, Shape] | None = None,
) -> dict[str, Any]:
    """Redact a structure; `members` overrides the shape's own (for the top level)."""
    name = pair_name(value)
    hide_value = name is not None and redactor.looks_secret(name)
    if members is None:
        members = shape.members if shape is not None else {}
    result: dict[str, Any] = {}
    for key, item in value.items():
        # A member the model does not know (yet) is judged by its name, like a map entry; for
        # a structure guessed from its keys (shape None) every key is unknown, so not there.
        unknown_secret = (
            shape is not None
            and key not in members
            and _is_scalar(item)
            and redactor.looks_secret(str(key))
        )
        if (key == "value" and hide_value) or unknown_secret:
            result[key] = REDACTED
        else:
            result[key] = redact_tree(item, members.get(key), redactor)
    return result


def _is_scalar(value: object) -> bool:
    return not isinstance(value, Mapping | list)
