"""Task definition revisions: described revision + changes → RegisterTaskDefinition input.

Pure functions over plain data; the gateway does the I/O around them. The new revision is the
current one *filtered* to the members of botocore's RegisterTaskDefinition input shape, never
rebuilt from a hand-kept field list, so nothing a user set (``runtimePlatform``, volumes,
``proxyConfiguration``, fields AWS adds next year) is lost on the way — the bug that made peers'
deploys silently drop settings.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ecsdeploy._taskdef.changes import Change, ImageChange, SetEnv, SetSecret, UnsetEnv, UnsetSecret
from ecsdeploy._taskdef.redaction import REDACTED, Redactor, pair_name, redact_tree
from ecsdeploy._taskdef.shapes import register_input_members, register_input_shape
from ecsdeploy.exceptions import (
    ConflictingChangesError,
    EmptyChangeSetError,
    UnknownContainerError,
)

__all__ = [
    "ABSENT_MARKER",
    "DiffEntry",
    "build_revision",
    "container_names",
    "diff_revisions",
    "to_register_input",
]

ABSENT_MARKER = "(absent)"
"""How `DiffEntry` shows a side on which the value does not exist."""

# Tag keys with this prefix (any case) are reserved to AWS: RegisterTaskDefinition rejects them,
# so a revision carrying them over could never be registered.
_RESERVED_TAG_PREFIX = "aws:"


# --- the register input ---------------------------------------------------------------------


#: The tag ecsdeploy puts on a revision it registers, so that a RegisterTaskDefinition retried
#: after a timeout can find the revision its first attempt made instead of making another.
REGISTRATION_TOKEN_TAG = "ecsdeploy:registration-token"


def to_register_input(described: Mapping[str, Any]) -> dict[str, Any]:
    """The RegisterTaskDefinition input that would re-register `described` unchanged.

    `described` is a DescribeTaskDefinition response made with ``include=["TAGS"]``. Members of
    `taskDefinition` that RegisterTaskDefinition accepts are deep-copied in their order; the
    read-only rest (``taskDefinitionArn``, ``revision``, ``status``, ``registeredAt`` …) is
    dropped. Tags come from the response's top-level ``tags``; AWS-reserved ``aws:`` tags are
    dropped (they cannot be registered) and an empty tag list is not sent.
    """
    task_definition = _task_definition(described)
    members = register_input_members()
    result = {
        key: copy.deepcopy(value)
        for key, value in task_definition.items()
        if key in members and key != "tags"
    }
    tags = [
        copy.deepcopy(tag)
        for tag in described.get("tags") or ()
        if not str(tag.get("key", "")).lower().startswith(_RESERVED_TAG_PREFIX)
        # One registration's idempotency token is not part of what the revision is.
        and tag.get("key") != REGISTRATION_TOKEN_TAG
    ]
    if tags:
        result["tags"] = tags
    return result


def container_names(described: Mapping[str, Any]) -> list[str]:
    """Names of the containers of a described task definition, in their order."""
    return [
        container["name"]
        for container in _task_definition(described).get("containerDefinitions", ())
        if isinstance(container.get("name"), str)
    ]


def _task_definition(described: Mapping[str, Any]) -> Mapping[str, Any]:
    task_definition = described.get("taskDefinition") if isinstance(described, Mapping) else None
    if not isinstance(task_definition, Mapping):
        raise TypeError(
            "expected a DescribeTaskDefinition response, a mapping with a 'taskDefinition' mapping"
        )
    return task_definition


# --- changes --------------------------------------------------------------------------------


def build_revision(described: Mapping[str, Any], changes: Iterable[Change]) -> dict[str, Any]:
    """The RegisterTaskDefinition input for `described` with `changes` applied.

    Every change is validated before anything is built, and a bad change set raises without
    producing anything:

    - no change at all: `EmptyChangeSetError` (there is nothing to deploy);
    - a container the task definition does not have: `UnknownContainerError`, naming the
      containers it does have;
    - changes that contradict each other: `ConflictingChangesError` listing every conflict — two
      images for one container, one variable or secret set to two values, or set and unset, and a
      name that would end up both an environment variable and a secret of one container (ECS
      documents no precedence between the two, so we refuse rather than guess which one wins).

    Repeating an identical change is harmless and not a conflict. Unsetting a variable or secret
    that is not there is a no-op, so "make sure X is gone" can be said without checking first. A
    change set that leaves everything as it is (setting the current image) still yields a valid
    revision: registering it is how one forces a redeploy.

    Setting a variable that exists replaces its value where it stands (every entry of that name,
    should the list hold duplicates); a new variable is appended. Unsetting removes every entry of
    that name. Secrets behave the same with ``valueFrom``. Containers no change names come out
    identical to the current revision, key order included. The input is never mutated.
    """
    changes = tuple(changes)
    if not changes:
        raise EmptyChangeSetError(
            "no change was requested: give at least one image, environment or secret change"
        )
    for change in changes:
        if not isinstance(change, Change):
            raise TypeError(f"not a change: {change!r}")
    register_input = to_register_input(described)
    containers = _containers_by_name(register_input)
    _check_containers_exist(described, containers, changes)
    _check_conflicts(containers, changes)
    for change in changes:
        _apply(containers[change.container], change)
    return register_input


def _containers_by_name(register_input: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    containers: dict[str, dict[str, Any]] = {}
    for container in register_input.get("containerDefinitions", ()):
        name = container.get("name")
        if isinstance(name, str):
            # ECS requires unique names; should a response ever repeat one, the first wins.
            containers.setdefault(name, container)
    return containers


def _check_containers_exist(
    described: Mapping[str, Any],
    containers: Mapping[str, Any],
    changes: Sequence[Change],
) -> None:
    unknown = sorted({c.container for c in changes} - containers.keys())
    if not unknown:
        return
    task_definition = _task_definition(described)
    family = task_definition.get("family", "?")
    revision = task_definition.get("revision")
    where = f"{family}:{revision}" if revision is not None else family
    existing = ", ".join(repr(name) for name in containers) or "none"
    names = ", ".join(repr(name) for name in unknown)
    noun = "container" if len(unknown) == 1 else "containers"
    raise UnknownContainerError(
        f"task definition {where} has no {noun} {names}; its containers are: {existing}"
    )


def _check_conflicts(
    containers: Mapping[str, Mapping[str, Any]], changes: Sequence[Change]
) -> None:
    problems: list[str] = []
    images: dict[str, list[str]] = defaultdict(list)
    env_set: dict[tuple[str, str], set[str]] = defaultdict(set)
    env_unset: set[tuple[str, str]] = set()
    secret_set: dict[tuple[str, str], set[str]] = defaultdict(set)
    secret_unset: set[tuple[str, str]] = set()
    for change in changes:
        match change:
            case ImageChange(container, image):
                if image not in images[container]:
                    images[container].append(image)
            case SetEnv(container, name, value):
                env_set[container, name].add(value)
            case UnsetEnv(container, name):
                env_unset.add((container, name))
            case SetSecret(container, name, value_from):
                secret_set[container, name].add(value_from)
            case UnsetSecret(container, name):
                secret_unset.add((container, name))

    for container, given in images.items():
        if len(given) > 1:
            listed = ", ".join(repr(image) for image in given)
            problems.append(f"container {container!r} is given {len(given)} images: {listed}")
    for (container, name), values in env_set.items():
        # Values are never quoted: they may be passwords.
        if len(values) > 1:
            problems.append(
                f"environment variable {container}:{name} is set to {len(values)} different values"
            )
        if (container, name) in env_unset:
            problems.append(f"environment variable {container}:{name} is both set and unset")
    for (container, name), values_from in secret_set.items():
        if len(values_from) > 1:
            listed = ", ".join(repr(v) for v in sorted(values_from))
            problems.append(
                f"secret {container}:{name} is set to {len(values_from)} references: {listed}"
            )
        if (container, name) in secret_unset:
            problems.append(f"secret {container}:{name} is both set and unset")
    problems.extend(
        _env_secret_clashes(
            containers, (env_set.keys(), env_unset), (secret_set.keys(), secret_unset)
        )
    )
    if problems:
        raise ConflictingChangesError("conflicting changes: " + "; ".join(problems))


def _env_secret_clashes(
    containers: Mapping[str, Mapping[str, Any]],
    env: tuple[Iterable[tuple[str, str]], set[tuple[str, str]]],
    secrets: tuple[Iterable[tuple[str, str]], set[tuple[str, str]]],
) -> list[str]:
    """Names the change set would leave both an environment variable and a secret.

    `env` and `secrets` are (set, unset) pairs of (container, name). Only names the change set
    sets are reported: a clash already in the current revision is not ours to refuse.
    """
    env_set, env_unset = set(env[0]), env[1]
    secret_set, secret_unset = set(secrets[0]), secrets[1]
    problems = []
    for container, name in sorted(env_set | secret_set):
        definition = containers[container]
        is_env = (container, name) in env_set or (
            (container, name) not in env_unset and name in _names(definition, "environment")
        )
        is_secret = (container, name) in secret_set or (
            (container, name) not in secret_unset and name in _names(definition, "secrets")
        )
        if is_env and is_secret:
            problems.append(
                f"{container}:{name} would be both an environment variable and a secret, two "
                "sources for one variable; unset one of them in the same change set"
            )
    return problems


def _names(container: Mapping[str, Any], field: str) -> set[str]:
    return {
        entry["name"]
        for entry in container.get(field, ())
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
    }


def _apply(container: dict[str, Any], change: Change) -> None:
    match change:
        case ImageChange(_, image):
            container["image"] = image
        case SetEnv(_, name, value):
            _set_pair(container, "environment", name, "value", value)
        case UnsetEnv(_, name):
            _unset_pair(container, "environment", name)
        case SetSecret(_, name, value_from):
            _set_pair(container, "secrets", name, "valueFrom", value_from)
        case UnsetSecret(_, name):
            _unset_pair(container, "secrets", name)


def _set_pair(container: dict[str, Any], field: str, name: str, value_key: str, value: str) -> None:
    entries: list[dict[str, Any]] = container.setdefault(field, [])
    found = False
    for entry in entries:
        if entry.get("name") == name:
            entry[value_key] = value
            found = True
    if not found:
        entries.append({"name": name, value_key: value})


def _unset_pair(container: dict[str, Any], field: str, name: str) -> None:
    if field in container:
        container[field] = [entry for entry in container[field] if entry.get("name") != name]


# --- diff -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DiffEntry:
    """One difference between two revisions, ready to show.

    `old` and `new` are display strings, already redacted, so neither the entry nor its repr can
    leak a secret; None means the value does not exist on that side. Strings are shown as they
    are, other values as JSON. Containers, environment variables, secrets and other named list
    items appear by name in `path` (``containerDefinitions[web].environment[LOG_LEVEL]``); lists
    without names by index.
    """

    path: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        old = ABSENT_MARKER if self.old is None else self.old
        new = ABSENT_MARKER if self.new is None else self.new
        return f"{self.path}: {old} → {new}"


class _Absent:
    """A value that does not exist on one side of a diff."""


_ABSENT = _Absent()
_DEFAULT_REDACTOR = Redactor.default()
# List items identified by these keys, in this preference, when every item has a unique one.
_IDENTITY_KEYS = ("name", "key")
# Named items with nothing but one of these besides their name are shown as that value.
_PAIR_VALUE_KEYS = ("value", "valueFrom")


def diff_revisions(
    described: Mapping[str, Any],
    register_input: Mapping[str, Any],
    *,
    redactor: Redactor = _DEFAULT_REDACTOR,
) -> list[DiffEntry]:
    """What registering `register_input` would change compared to `described`.

    Compares the current revision's register input (`to_register_input`) with `register_input`,
    so read-only fields never show up as removed. Walks dicts and lists recursively, guided by the
    service model; identical revisions give an empty list. Values of environment variables, tags
    and map entries whose names look secret to `redactor` are shown as ``***`` — a change to them
    is reported, its content never. A reordering of named items is not a difference.
    """
    differ = _Differ(redactor)
    differ.diff("", to_register_input(described), register_input, register_input_shape())
    return differ.entries


@dataclasses.dataclass(slots=True)
class _Differ:
    """Walks two values side by side, collecting `DiffEntry`s."""

    redactor: Redactor
    entries: list[DiffEntry] = dataclasses.field(default_factory=list)

    def diff(
        self, path: str, old: Any, new: Any, shape: Shape | None, *, secret: bool = False
    ) -> None:
        if type(old) is type(new) and old == new:
            return
        if _is_kind(old, new, Mapping):
            self._diff_mapping(path, old, new, shape)
        elif _is_kind(old, new, list) and _all_mappings(old, new):
            self._diff_list(path, old, new, shape.member if isinstance(shape, ListShape) else None)
        else:
            self.entries.append(
                DiffEntry(path, self._show(old, shape, secret), self._show(new, shape, secret))
            )

    def _diff_mapping(self, path: str, old: Any, new: Any, shape: Shape | None) -> None:
        old_map: Mapping[str, Any] = {} if old is _ABSENT else old
        new_map: Mapping[str, Any] = {} if new is _ABSENT else new
        # A name/value pair (an environment variable listed by index, say) hides its value when
        # its name, on either side, looks secret.
        pair_names = {pair_name(side) for side in (old_map, new_map)} - {None}
        secret_pair = any(self.redactor.looks_secret(str(name)) for name in pair_names)
        for key in _union_keys(old_map, new_map):
            old_value, new_value = old_map.get(key, _ABSENT), new_map.get(key, _ABSENT)
            secret = secret_pair and key == "value"
            if isinstance(shape, StructureShape):
                # Field names are the model's, not a user's: they say nothing about secrecy. A
                # field the model does not know (yet) is judged by its name, like a map key.
                child_path = f"{path}.{key}" if path else key
                member = shape.members.get(key)
                secret = secret or (member is None and self.redactor.looks_secret(str(key)))
                self.diff(child_path, old_value, new_value, member, secret=secret)
            else:
                # A map, or something the model does not know: keys are names a user chose.
                value_shape = shape.value if isinstance(shape, MapShape) else None
                secret = secret or self.redactor.looks_secret(str(key))
                self.diff(f"{path}[{key}]", old_value, new_value, value_shape, secret=secret)

    def _diff_list(self, path: str, old: Any, new: Any, member: Shape | None) -> None:
        old_items: list[Mapping[str, Any]] = [] if old is _ABSENT else old
        new_items: list[Mapping[str, Any]] = [] if new is _ABSENT else new
        identity = _identity_key(old_items, new_items)
        if identity is None:
            for index in range(max(len(old_items), len(new_items))):
                old_item = old_items[index] if index < len(old_items) else _ABSENT
                new_item = new_items[index] if index < len(new_items) else _ABSENT
                self.diff(f"{path}[{index}]", old_item, new_item, member)
            return
        old_by = {item[identity]: item for item in old_items}
        new_by = {item[identity]: item for item in new_items}
        for name in _union_keys(old_by, new_by):
            old_item, new_item = old_by.get(name, _ABSENT), new_by.get(name, _ABSENT)
            value_key = _pair_value_key(identity, old_item, new_item)
            if value_key is None:
                self.diff(f"{path}[{name}]", old_item, new_item, member)
                continue
            members = member.members if isinstance(member, StructureShape) else {}
            # valueFrom names a secret, it is not one: only a pair's `value` can be secret.
            secret = value_key == "value" and self.redactor.looks_secret(name)
            self.diff(
                f"{path}[{name}]",
                _pair_value(old_item, value_key),
                _pair_value(new_item, value_key),
                members.get(value_key),
                secret=secret,
            )

    def _show(self, value: Any, shape: Shape | None, secret: bool) -> str | None:
        if value is _ABSENT:
            return None
        if secret:
            return REDACTED
        if isinstance(value, str):
            return value if value else '""'
        if isinstance(value, Mapping | list):
            value = redact_tree(value, shape, self.redactor)
        return json.dumps(value, default=str, ensure_ascii=False)


def _pair_value(item: Mapping[str, Any] | _Absent, value_key: str) -> Any:
    return _ABSENT if isinstance(item, _Absent) else item.get(value_key, _ABSENT)


def _identity_key(*lists: Sequence[Mapping[str, Any]]) -> str | None:
    for key in _IDENTITY_KEYS:
        usable = True
        for items in lists:
            names = [item.get(key) for item in items]
            if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
                usable = False
                break
        if usable:
            return key
    return None


def _pair_value_key(identity: str, *items: Any) -> str | None:
    """The value key when every present item is `{identity, value_key}` and nothing else."""
    present = [item for item in items if item is not _ABSENT]
    for value_key in _PAIR_VALUE_KEYS:
        if all(set(item) <= {identity, value_key} for item in present):
            return value_key
    return None


def _show(value: Any, shape: Shape | None, secret: bool, redactor: Redactor) -> str | None:
    if value is _ABSENT:
        return None
    if secret:
        return REDACTED
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, Mapping | list):
        value = redact_tree(value, shape, redactor)
        if isinstance(value, Mapping) and pair_name(value) is None and shape is None:
            pass
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_kind(old: Any, new: Any, kind: type) -> bool:
    """Both sides are `kind`, or one is and the other is absent."""
    sides = [side for side in (old, new) if side is not _ABSENT]
    return bool(sides) and all(isinstance(side, kind) for side in sides)


def _all_mappings(old: Any, new: Any) -> bool:
    return all(
        isinstance(item, Mapping) for side in (old, new) if side is not _ABSENT for item in side
    )


def _union_keys(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> list[Any]:
    return [*old, *(key for key in new if key not in old)]
