"""Properties of revisions over task definitions generated from botocore's ECS shapes.

The generator walks the service model, so the task definitions exercise every member the model
has — including members added by a botocore upgrade — without anyone listing them. DescribeTask-
Definition's output shape is used, so read-only fields (``revision``, ``registeredAt`` …) appear
too and must be dropped.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ecsdeploy import (
    Change,
    ImageChange,
    SetEnv,
    SetSecret,
    UnsetEnv,
    UnsetSecret,
    build_revision,
    diff_revisions,
    redact_task_definition,
)
from ecsdeploy._taskdef.revision import to_register_input
from ecsdeploy._taskdef.shapes import ecs_model, register_input_shape, task_definition_shape
from ecsdeploy.exceptions import ConflictingChangesError

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_DEPTH = 12
NAMES = st.text(alphabet="ABCD_", min_size=1, max_size=3)
"""A small alphabet, so generated variables collide with changed ones often."""


# --- a strategy builder over botocore shapes ------------------------------------------------


def from_shape(
    shape: Shape, *, full: bool, depth: int = 0, required: frozenset[str] = frozenset()
) -> st.SearchStrategy[Any]:
    """Values of `shape`; with `full`, every structure member is present and collections are
    non-empty, so each member of the model is reached. `required` adds required members."""
    if depth > MAX_DEPTH:
        raise AssertionError(f"shape {shape.name} nests deeper than {MAX_DEPTH}")
    if isinstance(shape, StructureShape):
        members = {
            name: from_shape(member, full=full, depth=depth + 1)
            for name, member in shape.members.items()
        }
        required = required | set(shape.required_members)
        if full:
            return st.fixed_dictionaries(members)
        return st.fixed_dictionaries(
            {k: v for k, v in members.items() if k in required},
            optional={k: v for k, v in members.items() if k not in required},
        )
    low = 1 if full else 0
    minimum = max(int(shape.metadata.get("min", 0)), low)
    if isinstance(shape, ListShape):
        return st.lists(
            from_shape(shape.member, full=full, depth=depth + 1), min_size=minimum, max_size=2
        )
    if isinstance(shape, MapShape):
        return st.dictionaries(
            from_shape(shape.key, full=full, depth=depth + 1),
            from_shape(shape.value, full=full, depth=depth + 1),
            min_size=minimum,
            max_size=2,
        )
    return _scalar(shape)


def _scalar(shape: Shape) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if isinstance(shape, StringShape):
        if shape.enum:
            return st.sampled_from(shape.enum)
        return st.text(
            alphabet="abcXYZ019_-.:/ =", min_size=int(shape.metadata.get("min", 0)), max_size=6
        )
    if kind in {"integer", "long"}:
        return st.integers(min_value=0, max_value=4096)
    if kind == "boolean":
        return st.booleans()
    if kind in {"double", "float"}:
        return st.floats(min_value=0, max_value=1e6, allow_nan=False)
    if kind == "timestamp":
        return st.datetimes(timezones=st.just(datetime.UTC))
    raise AssertionError(f"no strategy for {kind} shape {shape.name}: extend _scalar")


def _unique_container_names(described: dict[str, Any]) -> dict[str, Any]:
    """ECS requires distinct container names; the generator does not know that."""
    for index, container in enumerate(described["taskDefinition"]["containerDefinitions"]):
        container["name"] = f"c{index}"
    return described


def described_responses(*, full: bool) -> st.SearchStrategy[dict[str, Any]]:
    """DescribeTaskDefinition responses (include TAGS) with at least one container."""
    output = ecs_model().operation_model("DescribeTaskDefinition").output_shape
    assert output is not None
    tags_shape = output.members["tags"]
    # Described revisions always carry what registering requires (`family`), though the output
    # shape does not say so.
    must_have = frozenset(register_input_shape().required_members)
    task_definition = from_shape(task_definition_shape(), full=full, required=must_have).filter(
        lambda td: bool(td.get("containerDefinitions"))
    )
    tags = from_shape(tags_shape, full=full)
    if full:
        strategy = st.fixed_dictionaries({"taskDefinition": task_definition, "tags": tags})
    else:
        strategy = st.fixed_dictionaries(
            {"taskDefinition": task_definition}, optional={"tags": tags}
        )
    return strategy.map(_unique_container_names)


ANY_DESCRIBED = st.one_of(described_responses(full=True), described_responses(full=False))


@st.composite
def change_sets(draw: st.DrawFn, described: dict[str, Any]) -> list[Change]:
    """A non-empty change set with at most one change per (container, kind, name).

    Names are drawn from the container's own variables and secrets as well as fresh ones, so
    replacing, appending and removing are all exercised.
    """
    containers = described["taskDefinition"]["containerDefinitions"]
    changes: list[Change] = []
    chosen = draw(st.lists(st.sampled_from(containers), min_size=1, max_size=3, unique_by=id))
    for container in chosen:
        name = container["name"]
        if draw(st.booleans()):
            image = draw(st.sampled_from(["nginx:2", "a/b@sha256:" + "f" * 64]))
            changes.append(ImageChange(name, image))
        for var in draw(st.lists(_names_in(container, "environment"), max_size=3, unique=True)):
            if draw(st.booleans()):
                changes.append(SetEnv(name, var, draw(st.text(max_size=4))))
            else:
                changes.append(UnsetEnv(name, var))
        for secret in draw(st.lists(_names_in(container, "secrets"), max_size=2, unique=True)):
            if draw(st.booleans()):
                changes.append(SetSecret(name, secret, "arn:aws:ssm:x:1:parameter/" + secret))
            else:
                changes.append(UnsetSecret(name, secret))
    if not changes:
        changes.append(ImageChange(containers[0]["name"], "nginx:3"))
    return draw(st.permutations(changes))


def _names_in(container: dict[str, Any], field: str) -> st.SearchStrategy[str]:
    existing = sorted(
        {e["name"] for e in container.get(field, []) if e.get("name") and "=" not in e["name"]}
    )
    return st.one_of(NAMES, st.sampled_from(existing)) if existing else NAMES


# --- the model the code must agree with -------------------------------------------------------


READ_ONLY = set(task_definition_shape().members) - set(register_input_shape().members)


def expected_revision(described: dict[str, Any], changes: list[Change]) -> dict[str, Any] | None:
    """The old revision minus read-only fields plus exactly the changes; None for a clash."""
    result = {
        k: copy.deepcopy(v) for k, v in described["taskDefinition"].items() if k not in READ_ONLY
    }
    tags = [t for t in described.get("tags", []) if not t.get("key", "").lower().startswith("aws:")]
    if tags:
        result["tags"] = copy.deepcopy(tags)
    by_name = {c["name"]: c for c in result["containerDefinitions"]}
    for change in changes:
        container = by_name[change.container]
        if isinstance(change, ImageChange):
            container["image"] = change.image
        elif isinstance(change, SetEnv | SetSecret):
            field, key = (
                ("environment", "value") if isinstance(change, SetEnv) else ("secrets", "valueFrom")
            )
            value = change.value if isinstance(change, SetEnv) else change.value_from
            entries = container.setdefault(field, [])
            matching = [e for e in entries if e.get("name") == change.name]
            for entry in matching:
                entry[key] = value
            if not matching:
                entries.append({"name": change.name, key: value})
        else:
            field = "environment" if isinstance(change, UnsetEnv) else "secrets"
            if field in container:
                container[field] = [e for e in container[field] if e.get("name") != change.name]
    for change in changes:
        if isinstance(change, SetEnv | SetSecret):
            container = by_name[change.container]
            env = {e.get("name") for e in container.get("environment", [])}
            secrets = {e.get("name") for e in container.get("secrets", [])}
            if change.name in env and change.name in secrets:
                return None
    return result


def _container(described: dict[str, Any], change: Change) -> dict[str, Any]:
    containers = described["taskDefinition"]["containerDefinitions"]
    found: dict[str, Any] = next(c for c in containers if c["name"] == change.container)
    return found


# --- properties ---------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_revision_is_old_minus_read_only_plus_exactly_the_changes(data: st.DataObject) -> None:
    """build_revision agrees with the model: nothing lost, nothing added, changes applied."""
    described = data.draw(ANY_DESCRIBED)
    changes = data.draw(change_sets(described))
    before = copy.deepcopy(described)
    expected = expected_revision(described, changes)
    replaced = any(
        isinstance(c, SetEnv)
        and c.name in {e.get("name") for e in _container(described, c).get("environment", [])}
        for c in changes
    )
    event(f"replaces an existing variable: {replaced}")
    event(f"env/secret clash: {expected is None}")
    if expected is None:
        with pytest.raises(
            ConflictingChangesError, match="both an environment variable and a secret"
        ):
            build_revision(described, changes)
    else:
        assert build_revision(described, changes) == expected
    assert described == before


@SETTINGS
@given(st.data())
def test_unnamed_containers_keep_content_and_key_order(data: st.DataObject) -> None:
    """Containers no change names come out exactly as they went in."""
    described = data.draw(ANY_DESCRIBED)
    changes = data.draw(change_sets(described))
    try:
        result = build_revision(described, changes)
    except ConflictingChangesError:
        return
    named = {c.container for c in changes}
    for old, new in zip(
        described["taskDefinition"]["containerDefinitions"],
        result["containerDefinitions"],
        strict=True,
    ):
        if old["name"] not in named:
            assert list(new.items()) == list(old.items())


@SETTINGS
@given(st.data())
def test_revision_passes_botocore_validation(data: st.DataObject) -> None:
    """The produced input is valid RegisterTaskDefinition input per the service model."""
    described = data.draw(ANY_DESCRIBED)
    changes = data.draw(change_sets(described))
    try:
        result = build_revision(described, changes)
    except ConflictingChangesError:
        return
    report = botocore.validate.ParamValidator().validate(result, register_input_shape())
    assert not report.has_errors(), report.generate_report()


@SETTINGS
@given(ANY_DESCRIBED)
def test_diff_of_the_current_revision_is_empty(described: dict[str, Any]) -> None:
    """Re-registering unchanged shows no difference, however rich the task definition."""
    assert diff_revisions(described, to_register_input(described)) == []


@SETTINGS
@given(st.data())
def test_diff_stays_inside_changed_containers(data: st.DataObject) -> None:
    """Every difference is under a container a change names."""
    described = data.draw(ANY_DESCRIBED)
    changes = data.draw(change_sets(described))
    try:
        result = build_revision(described, changes)
    except ConflictingChangesError:
        return
    prefixes = tuple(f"containerDefinitions[{c.container}]" for c in changes)
    for entry in diff_revisions(described, result):
        assert entry.path.startswith(prefixes), entry


@SETTINGS
@given(ANY_DESCRIBED, st.sampled_from(["DB_PASSWORD", "api_key", "GitHubToken", "SECRET"]))
def test_secret_values_never_reach_a_diff(described: dict[str, Any], name: str) -> None:
    """A secret-looking variable's value is in neither str nor repr of any diff entry."""
    container = described["taskDefinition"]["containerDefinitions"][0]["name"]
    secret = "zz-s3cr3t-value-zz"
    result = build_revision(
        described, [UnsetSecret(container, name), SetEnv(container, name, secret)]
    )
    entries = diff_revisions(described, result)
    assert entries
    assert secret not in "".join(f"{entry}{entry!r}" for entry in entries)


@SETTINGS
@given(ANY_DESCRIBED, st.sampled_from(["DB_PASSWORD", "api_key", "GitHubToken", "SECRET"]))
def test_secret_values_never_reach_a_logged_task_definition(
    described: dict[str, Any], name: str
) -> None:
    """redact_task_definition hides the value and keeps everything else in place."""
    container = described["taskDefinition"]["containerDefinitions"][0]["name"]
    secret = "zz-s3cr3t-value-zz"
    register_input = build_revision(
        described, [UnsetSecret(container, name), SetEnv(container, name, secret)]
    )
    before = copy.deepcopy(register_input)
    redacted = redact_task_definition(register_input)
    assert secret not in repr(redacted)
    assert register_input == before
    assert list(redacted) == list(register_input)
    assert len(redacted["containerDefinitions"]) == len(register_input["containerDefinitions"])


# --- the generator reaches every member ----------------------------------------------------------


def shape_paths(shape: Shape, prefix: str = "") -> set[str]:
    """Every member path of `shape`, lists written `[]` and map values `{}`."""
    paths = {prefix} if prefix else set()
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            paths |= shape_paths(member, f"{prefix}.{name}" if prefix else name)
    elif isinstance(shape, ListShape):
        paths |= shape_paths(shape.member, prefix + "[]")
    elif isinstance(shape, MapShape):
        paths |= shape_paths(shape.value, prefix + "{}")
    return paths


def value_paths(value: Any, shape: Shape, prefix: str = "") -> set[str]:
    """The member paths of `shape` that `value` has a value at."""
    paths = {prefix} if prefix else set()
    walk: Callable[[Any, Shape, str], set[str]] = value_paths
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name in value:
                paths |= walk(value[name], member, f"{prefix}.{name}" if prefix else name)
    elif isinstance(shape, ListShape):
        for item in value:
            paths |= walk(item, shape.member, prefix + "[]")
    elif isinstance(shape, MapShape):
        for item in value.values():
            paths |= walk(item, shape.value, prefix + "{}")
    return paths


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(described_responses(full=True))
def test_full_examples_reach_every_register_member(described: dict[str, Any]) -> None:
    """Every member path of RegisterTaskDefinition's input is present, before and after."""
    everything = shape_paths(register_input_shape())
    assert len(everything) > 150  # the ECS model is large; a tiny count means a broken walk
    register_input = build_revision(
        described,
        [ImageChange(described["taskDefinition"]["containerDefinitions"][0]["name"], "x")],
    )
    assert value_paths(register_input, register_input_shape()) == everything
    read_only_present = set(described["taskDefinition"]) & READ_ONLY
    assert read_only_present == READ_ONLY


def test_read_only_fields_per_the_model() -> None:
    """The model's read-only members are the ones ECS documents as output only."""
    assert {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "deregisteredAt",
        "registeredBy",
    } == READ_ONLY
