"""Building a task-definition revision from a described one, and showing what changes."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from ecsdeploy import (
    Change,
    DiffEntry,
    ImageChange,
    Redactor,
    SetEnv,
    SetSecret,
    UnsetEnv,
    UnsetSecret,
    build_revision,
    container_names,
    diff_revisions,
)
from ecsdeploy._taskdef.revision import REGISTRATION_TOKEN_TAG, to_register_input
from ecsdeploy._taskdef.shapes import (
    ecs_model,
    register_input_members,
    register_input_shape,
    task_definition_shape,
)
from ecsdeploy.exceptions import (
    ConflictingChangesError,
    EmptyChangeSetError,
    UnknownContainerError,
)

DB_ARN = "arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf"
TOKEN_ARN = "arn:aws:ssm:us-east-2:123456789012:parameter/token"


def described() -> dict[str, Any]:
    """A DescribeTaskDefinition response (include TAGS) using many writable fields."""
    return {
        "taskDefinition": {
            "taskDefinitionArn": "arn:aws:ecs:us-east-2:123456789012:task-definition/web:7",
            "containerDefinitions": [
                {
                    "name": "web",
                    "image": "myorg/web:1",
                    "cpu": 256,
                    "essential": True,
                    "command": ["serve", "--port", "8080"],
                    "environment": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {"name": "DB_PASSWORD", "value": "hunter2"},
                        {"name": "FEATURE_X", "value": "on"},
                    ],
                    "secrets": [{"name": "DB_URL", "valueFrom": DB_ARN}],
                    "dockerLabels": {"owner": "payments"},
                },
                {
                    "name": "envoy",
                    "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod",
                    "user": "1337",
                    "environment": [],
                    "essential": True,
                },
                {"image": "busybox", "name": "sidecar"},
            ],
            "family": "web",
            "taskRoleArn": "arn:aws:iam::123456789012:role/web",
            "networkMode": "awsvpc",
            "revision": 7,
            "volumes": [
                {"name": "scratch", "host": {}},
                {
                    "name": "docker",
                    "dockerVolumeConfiguration": {"scope": "task", "driver": "local"},
                },
            ],
            "status": "ACTIVE",
            "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}],
            "placementConstraints": [{"type": "memberOf", "expression": "attribute:x == y"}],
            "compatibilities": ["EC2", "FARGATE"],
            "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "512",
            "memory": "1024",
            "pidMode": "task",
            "ipcMode": "none",
            "proxyConfiguration": {"type": "APPMESH", "containerName": "envoy", "properties": []},
            "inferenceAccelerators": [{"deviceName": "d1", "deviceType": "eia2.medium"}],
            "registeredAt": "2026-11-01T12:00:00Z",
            "deregisteredAt": "2026-11-02T12:00:00Z",
            "registeredBy": "arn:aws:iam::123456789012:user/ci",
            "ephemeralStorage": {"sizeInGiB": 40},
            "enableFaultInjection": True,
        },
        "tags": [
            {"key": "team", "value": "payments"},
            {"key": "aws:cloudformation:stack-name", "value": "web-stack"},
        ],
    }


READ_ONLY = {
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "deregisteredAt",
    "registeredBy",
}


def containers(register_input: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in register_input["containerDefinitions"]}


# --- the model-driven filter -----------------------------------------------------------------


def test_register_input_keeps_every_writable_field_and_drops_read_only_ones() -> None:
    """The current revision's fields come through, minus exactly the read-only ones."""
    source = described()
    result = to_register_input(source)
    task_definition = source["taskDefinition"]
    assert set(result) == (set(task_definition) - READ_ONLY) | {"tags"}
    for key in set(task_definition) - READ_ONLY:
        assert result[key] == task_definition[key], key
    assert list(result)[: len(result) - 1] == [k for k in task_definition if k not in READ_ONLY]


def test_kept_fields_are_exactly_the_model_members() -> None:
    """The filter is the RegisterTaskDefinition input shape, read from botocore."""
    assert register_input_members() == frozenset(
        ecs_model().operation_model("RegisterTaskDefinition").input_shape.members  # type: ignore[union-attr]
    )


def test_nested_shapes_are_the_same_in_describe_and_register() -> None:
    """Filtering the top level is enough: each kept member has the same shape on both sides."""
    output = task_definition_shape().members
    for name, shape in register_input_shape().members.items():
        if name == "tags":
            continue
        assert name in output, name
        assert output[name].name == shape.name, name


def test_reserved_and_empty_tags_are_not_sent() -> None:
    """aws: tags cannot be registered and an empty tag list is not sent."""
    source = described()
    assert to_register_input(source)["tags"] == [{"key": "team", "value": "payments"}]
    source["tags"] = []
    assert "tags" not in to_register_input(source)
    del source["tags"]
    assert "tags" not in to_register_input(source)
    source["tags"] = [{"key": "AWS:Owner", "value": "x"}]
    assert "tags" not in to_register_input(source)


def test_container_names_in_order() -> None:
    """container_names lists the containers as the task definition orders them."""
    assert container_names(described()) == ["web", "envoy", "sidecar"]


def test_not_a_describe_response_is_a_type_error() -> None:
    """Passing the taskDefinition itself instead of the response is a programming error."""
    with pytest.raises(TypeError, match="'taskDefinition'"):
        build_revision(described()["taskDefinition"], [ImageChange("web", "nginx")])


# --- applying changes ---------------------------------------------------------------------------


def test_image_change_touches_only_the_image() -> None:
    """The named container gets the image; everything else equals the current revision."""
    source = described()
    before = copy.deepcopy(source)
    result = build_revision(source, [ImageChange("web", "myorg/web:2")])
    expected = to_register_input(before)
    expected["containerDefinitions"][0]["image"] = "myorg/web:2"
    assert result == expected
    assert source == before


def test_unnamed_containers_are_unchanged_including_key_order() -> None:
    """Containers no change names keep their content and key order."""
    source = described()
    result = build_revision(source, [ImageChange("web", "myorg/web:2"), SetEnv("web", "A", "1")])
    for old, new in zip(
        source["taskDefinition"]["containerDefinitions"][1:],
        result["containerDefinitions"][1:],
        strict=True,
    ):
        assert list(new.items()) == list(old.items())


def test_changed_container_keeps_key_order() -> None:
    """The changed container's keys stay where they were."""
    source = described()
    result = build_revision(source, [ImageChange("web", "myorg/web:2")])
    assert list(result["containerDefinitions"][0]) == list(
        source["taskDefinition"]["containerDefinitions"][0]
    )


def test_result_shares_nothing_with_the_input() -> None:
    """Mutating the result leaves the described revision alone."""
    source = described()
    result = build_revision(source, [ImageChange("web", "myorg/web:2")])
    result["containerDefinitions"][1]["environment"].append({"name": "X", "value": "y"})
    result["runtimePlatform"]["cpuArchitecture"] = "X86_64"
    assert source["taskDefinition"]["containerDefinitions"][1]["environment"] == []
    assert source["taskDefinition"]["runtimePlatform"]["cpuArchitecture"] == "ARM64"


def test_set_env_replaces_in_place_and_appends_new() -> None:
    """An existing variable keeps its position; a new one goes to the end."""
    result = build_revision(
        described(), [SetEnv("web", "LOG_LEVEL", "debug"), SetEnv("web", "NEW", "1")]
    )
    assert containers(result)["web"]["environment"] == [
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "DB_PASSWORD", "value": "hunter2"},
        {"name": "FEATURE_X", "value": "on"},
        {"name": "NEW", "value": "1"},
    ]


def test_set_env_on_a_container_without_environment_creates_it() -> None:
    """A container with no environment list gets one."""
    result = build_revision(described(), [SetEnv("sidecar", "A", "")])
    assert containers(result)["sidecar"] == {
        "image": "busybox",
        "name": "sidecar",
        "environment": [{"name": "A", "value": ""}],
    }


def test_unset_env_removes_and_missing_is_a_no_op() -> None:
    """Unsetting removes the variable; unsetting one that is not there changes nothing."""
    result = build_revision(
        described(),
        [UnsetEnv("web", "FEATURE_X"), UnsetEnv("web", "NOT_THERE"), UnsetEnv("sidecar", "X")],
    )
    assert [e["name"] for e in containers(result)["web"]["environment"]] == [
        "LOG_LEVEL",
        "DB_PASSWORD",
    ]
    assert "environment" not in containers(result)["sidecar"]


def test_duplicate_entries_are_all_set_or_all_removed() -> None:
    """Should a list repeat a name, setting updates each entry and unsetting removes each."""
    source = described()
    source["taskDefinition"]["containerDefinitions"][0]["environment"].append(
        {"name": "LOG_LEVEL", "value": "warn"}
    )
    set_result = build_revision(source, [SetEnv("web", "LOG_LEVEL", "debug")])
    assert [
        e for e in containers(set_result)["web"]["environment"] if e["name"] == "LOG_LEVEL"
    ] == [
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "LOG_LEVEL", "value": "debug"},
    ]
    unset_result = build_revision(source, [UnsetEnv("web", "LOG_LEVEL")])
    assert "LOG_LEVEL" not in {e["name"] for e in containers(unset_result)["web"]["environment"]}


def test_secrets_are_set_and_unset() -> None:
    """Secrets change like variables, keyed by name, with valueFrom as the value."""
    result = build_revision(
        described(),
        [
            SetSecret("web", "DB_URL", DB_ARN + "-v2"),
            SetSecret("web", "API_TOKEN", TOKEN_ARN),
            UnsetSecret("web", "GONE"),
        ],
    )
    assert containers(result)["web"]["secrets"] == [
        {"name": "DB_URL", "valueFrom": DB_ARN + "-v2"},
        {"name": "API_TOKEN", "valueFrom": TOKEN_ARN},
    ]
    removed = build_revision(described(), [UnsetSecret("web", "DB_URL")])
    assert containers(removed)["web"]["secrets"] == []


def test_several_containers_change_in_one_revision() -> None:
    """Changes to different containers land together."""
    result = build_revision(
        described(),
        [
            ImageChange("web", "myorg/web:2"),
            ImageChange("envoy", "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.30.0.0-prod"),
            SetEnv("envoy", "ENVOY_LOG_LEVEL", "debug"),
        ],
    )
    by_name = containers(result)
    assert by_name["web"]["image"] == "myorg/web:2"
    assert by_name["envoy"]["image"].endswith("v1.30.0.0-prod")
    assert by_name["envoy"]["environment"] == [{"name": "ENVOY_LOG_LEVEL", "value": "debug"}]
    assert by_name["sidecar"] == {"image": "busybox", "name": "sidecar"}


def test_a_change_to_the_current_state_gives_an_identical_revision() -> None:
    """Setting what is already there is allowed: it is how a redeploy is forced."""
    source = described()
    result = build_revision(
        source, [ImageChange("web", "myorg/web:1"), SetEnv("web", "LOG_LEVEL", "info")]
    )
    assert result == to_register_input(source)
    assert diff_revisions(source, result) == []


def test_repeated_identical_changes_are_not_conflicts() -> None:
    """Saying the same thing twice is harmless."""
    result = build_revision(
        described(),
        [ImageChange("web", "myorg/web:2"), ImageChange("web", "myorg/web:2")]
        + [SetEnv("web", "A", "1")] * 2
        + [UnsetEnv("web", "B")] * 2,
    )
    assert containers(result)["web"]["image"] == "myorg/web:2"


def test_moving_a_variable_to_a_secret_in_one_revision() -> None:
    """Unsetting a variable and adding a secret of that name together is allowed."""
    result = build_revision(
        described(),
        [UnsetEnv("web", "DB_PASSWORD"), SetSecret("web", "DB_PASSWORD", DB_ARN)],
    )
    web = containers(result)["web"]
    assert "DB_PASSWORD" not in {e["name"] for e in web["environment"]}
    assert {"name": "DB_PASSWORD", "valueFrom": DB_ARN} in web["secrets"]


def test_changes_may_be_any_iterable() -> None:
    """A generator of changes works like a list."""
    result = build_revision(described(), (c for c in [ImageChange("web", "myorg/web:2")]))
    assert containers(result)["web"]["image"] == "myorg/web:2"


# --- bad input ----------------------------------------------------------------------------------


def test_empty_change_set_is_refused() -> None:
    """No change means no revision to make."""
    with pytest.raises(EmptyChangeSetError, match="no change was requested"):
        build_revision(described(), [])


def test_unknown_container_names_the_existing_ones() -> None:
    """The error lists every unknown name and the containers the task definition has."""
    with pytest.raises(UnknownContainerError) as caught:
        build_revision(
            described(),
            [ImageChange("api", "nginx"), SetEnv("worker", "A", "1"), ImageChange("web", "x")],
        )
    assert str(caught.value) == (
        "task definition web:7 has no containers 'api', 'worker'; "
        "its containers are: 'web', 'envoy', 'sidecar'"
    )


def test_single_unknown_container() -> None:
    """One unknown container is named in the singular."""
    with pytest.raises(UnknownContainerError, match="has no container 'api';"):
        build_revision(described(), [UnsetSecret("api", "X")])


def test_non_change_is_a_type_error() -> None:
    """Only change values are accepted."""
    with pytest.raises(TypeError, match="not a change"):
        build_revision(described(), ["web=nginx"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [ImageChange("web", "nginx:1"), ImageChange("web", "nginx:2")],
            "container 'web' is given 2 images: 'nginx:1', 'nginx:2'",
        ),
        (
            [SetEnv("web", "A", "1"), UnsetEnv("web", "A")],
            "environment variable web:A is both set and unset",
        ),
        (
            [SetEnv("web", "DB_PASSWORD", "one"), SetEnv("web", "DB_PASSWORD", "two")],
            "environment variable web:DB_PASSWORD is set to 2 different values",
        ),
        (
            [SetSecret("web", "S", DB_ARN), SetSecret("web", "S", TOKEN_ARN)],
            f"secret web:S is set to 2 references: '{DB_ARN}', '{TOKEN_ARN}'",
        ),
        (
            [SetSecret("web", "S", DB_ARN), UnsetSecret("web", "S")],
            "secret web:S is both set and unset",
        ),
        (
            [SetEnv("web", "DB_URL", "postgres://")],
            "web:DB_URL would be both an environment variable and a secret",
        ),
        (
            [SetSecret("web", "LOG_LEVEL", DB_ARN)],
            "web:LOG_LEVEL would be both an environment variable and a secret",
        ),
        (
            [SetEnv("web", "NEW", "1"), SetSecret("web", "NEW", DB_ARN)],
            "web:NEW would be both an environment variable and a secret",
        ),
    ],
)
def test_conflicting_changes_are_refused(changes: list[Change], message: str) -> None:
    """Contradictory changes raise ConflictingChangesError saying which ones."""
    source = described()
    before = copy.deepcopy(source)
    with pytest.raises(ConflictingChangesError) as caught:
        build_revision(source, changes)
    assert message in str(caught.value)
    assert source == before


def test_conflict_messages_never_show_environment_values() -> None:
    """Two values for one variable are counted, never quoted: either may be a password."""
    with pytest.raises(ConflictingChangesError) as caught:
        build_revision(
            described(), [SetEnv("web", "A", "s3cret-1"), SetEnv("web", "A", "s3cret-2")]
        )
    assert "s3cret" not in str(caught.value)


def test_every_conflict_is_reported_at_once() -> None:
    """All conflicts are listed, so one fix round is enough."""
    with pytest.raises(ConflictingChangesError) as caught:
        build_revision(
            described(),
            [
                ImageChange("web", "a"),
                ImageChange("web", "b"),
                SetEnv("envoy", "X", "1"),
                UnsetEnv("envoy", "X"),
            ],
        )
    assert "'web' is given 2 images" in str(caught.value)
    assert "envoy:X is both set and unset" in str(caught.value)


def test_unknown_container_is_reported_before_conflicts() -> None:
    """An unknown container is the first thing to fix."""
    with pytest.raises(UnknownContainerError):
        build_revision(described(), [ImageChange("api", "a"), ImageChange("api", "b")])


# --- diff ---------------------------------------------------------------------------------------


def test_diff_shows_an_image_change() -> None:
    """An image change is one readable entry."""
    source = described()
    entries = diff_revisions(source, build_revision(source, [ImageChange("web", "myorg/web:2")]))
    assert entries == [DiffEntry("containerDefinitions[web].image", "myorg/web:1", "myorg/web:2")]
    assert str(entries[0]) == "containerDefinitions[web].image: myorg/web:1 → myorg/web:2"


def test_diff_redacts_secret_looking_variables() -> None:
    """A changed password is reported, its old and new value never."""
    source = described()
    new = build_revision(source, [SetEnv("web", "DB_PASSWORD", "correct-horse")])
    (entry,) = diff_revisions(source, new)
    assert str(entry) == "containerDefinitions[web].environment[DB_PASSWORD]: *** → ***"
    for text in (str(entry), repr(entry)):
        assert "hunter2" not in text
        assert "correct-horse" not in text


def test_diff_marks_added_and_removed_items() -> None:
    """Added and removed variables and secrets show (absent) on the missing side."""
    source = described()
    new = build_revision(
        source,
        [
            UnsetEnv("web", "FEATURE_X"),
            SetEnv("web", "NEW_API_KEY", "k-1"),
            SetSecret("web", "API_TOKEN", TOKEN_ARN),
            SetEnv("sidecar", "MODE", "fast"),
        ],
    )
    assert [str(e) for e in diff_revisions(source, new)] == [
        "containerDefinitions[web].environment[FEATURE_X]: on → (absent)",
        "containerDefinitions[web].environment[NEW_API_KEY]: (absent) → ***",
        f"containerDefinitions[web].secrets[API_TOKEN]: (absent) → {TOKEN_ARN}",
        "containerDefinitions[sidecar].environment[MODE]: (absent) → fast",
    ]


def test_diff_ignores_read_only_fields() -> None:
    """Read-only fields missing from the new input are not differences."""
    source = described()
    assert diff_revisions(source, to_register_input(source)) == []


def test_diff_walks_structures_maps_and_lists() -> None:
    """Structure fields use dots, maps and named items brackets, scalar lists show whole."""
    source = described()
    new = to_register_input(source)
    new["runtimePlatform"]["cpuArchitecture"] = "X86_64"
    new["containerDefinitions"][0]["dockerLabels"] = {"owner": "core", "deploy.token": "t-1"}
    new["containerDefinitions"][0]["command"] = ["serve", "--port", "9090"]
    new["volumes"][1]["dockerVolumeConfiguration"]["scope"] = "shared"
    new["placementConstraints"][0]["expression"] = "attribute:x == z"
    new["tags"].append({"key": "env", "value": "prod"})
    new["cpu"] = "1024"
    new["enableFaultInjection"] = False
    del new["ipcMode"]
    assert [str(e) for e in diff_revisions(source, new)] == [
        'containerDefinitions[web].command: ["serve", "--port", "8080"] → '
        '["serve", "--port", "9090"]',
        "containerDefinitions[web].dockerLabels[owner]: payments → core",
        "containerDefinitions[web].dockerLabels[deploy.token]: (absent) → ***",
        "volumes[docker].dockerVolumeConfiguration.scope: task → shared",
        "placementConstraints[0].expression: attribute:x == y → attribute:x == z",
        "runtimePlatform.cpuArchitecture: ARM64 → X86_64",
        "cpu: 512 → 1024",
        "ipcMode: none → (absent)",
        "enableFaultInjection: true → false",
        "tags[env]: (absent) → prod",
    ]


def test_diff_reports_removed_containers_field_by_field() -> None:
    """A container that disappears is shown leaf by leaf, secrets still hidden."""
    source = described()
    new = to_register_input(source)
    del new["containerDefinitions"][0]
    entries = diff_revisions(source, new)
    assert all(e.path.startswith("containerDefinitions[web].") and e.new is None for e in entries)
    assert "containerDefinitions[web].environment[DB_PASSWORD]: *** → (absent)" in map(str, entries)
    assert "hunter2" not in "".join(map(repr, entries))


def test_diff_ignores_reordered_containers() -> None:
    """Containers are matched by name, not position."""
    source = described()
    new = to_register_input(source)
    new["containerDefinitions"].reverse()
    assert diff_revisions(source, new) == []


def test_diff_uses_the_given_redactor() -> None:
    """A configured redactor decides what the diff hides."""
    source = described()
    new = build_revision(source, [SetEnv("web", "LOG_LEVEL", "debug")])
    (entry,) = diff_revisions(source, new, redactor=Redactor(patterns=("LOG_*",)))
    assert str(entry) == "containerDefinitions[web].environment[LOG_LEVEL]: *** → ***"


def test_diff_shows_empty_strings_visibly() -> None:
    """An empty value is shown as "" so it does not read as nothing."""
    source = described()
    (entry,) = diff_revisions(source, build_revision(source, [SetEnv("web", "LOG_LEVEL", "")]))
    assert str(entry) == 'containerDefinitions[web].environment[LOG_LEVEL]: info → ""'


def test_diff_of_a_subtree_hides_secrets_inside_it() -> None:
    """When a value changes type, it is shown whole, still redacted."""
    source = described()
    new = to_register_input(source)
    new["containerDefinitions"][0]["environment"] = {"DB_PASSWORD": "x"}
    (entry,) = diff_revisions(source, new)
    assert entry.path == "containerDefinitions[web].environment"
    assert "hunter2" not in str(entry)
    assert entry.new == '{"DB_PASSWORD": "***"}'


def test_diff_entry_is_frozen() -> None:
    """Entries are values."""
    entry = DiffEntry("cpu", "1", "2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.path = "memory"  # type: ignore[misc]


def test_a_member_added_to_the_model_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field a newer botocore knows survives without any change to our code."""
    members = register_input_members() | {"futureSetting"}
    monkeypatch.setattr("ecsdeploy._taskdef.revision.register_input_members", lambda: members)
    source = described()
    source["taskDefinition"]["futureSetting"] = {"mode": "on"}
    result = build_revision(source, [ImageChange("web", "myorg/web:2")])
    assert result["futureSetting"] == {"mode": "on"}


def test_diff_hides_secret_map_entries_and_tags() -> None:
    """Log driver options and tags with secret-looking names are hidden in a diff."""
    source = described()
    source["taskDefinition"]["containerDefinitions"][0]["logConfiguration"] = {
        "logDriver": "splunk",
        "options": {"splunk-token": "tok-1", "splunk-url": "https://a"},
    }
    source["tags"] = [{"key": "api-key", "value": "k-1"}]
    new = to_register_input(source)
    new["containerDefinitions"][0]["logConfiguration"]["options"] = {
        "splunk-token": "tok-2",
        "splunk-url": "https://b",
    }
    new["tags"] = [{"key": "api-key", "value": "k-2"}]
    entries = diff_revisions(source, new)
    assert [str(e) for e in entries] == [
        "containerDefinitions[web].logConfiguration.options[splunk-token]: *** → ***",
        "containerDefinitions[web].logConfiguration.options[splunk-url]: https://a → https://b",
        "tags[api-key]: *** → ***",
    ]
    assert not any(s in "".join(map(repr, entries)) for s in ("tok-1", "tok-2", "k-1", "k-2"))


def test_diff_hides_unknown_fields_with_secret_names() -> None:
    """A field the model does not know is judged by its name, like a map key."""
    source = described()
    new = to_register_input(source)
    new["containerDefinitions"][0]["sessionToken"] = "st-1"
    new["containerDefinitions"][0]["futureMode"] = "on"
    assert [str(e) for e in diff_revisions(source, new)] == [
        "containerDefinitions[web].sessionToken: (absent) → ***",
        "containerDefinitions[web].futureMode: (absent) → on",
    ]


def test_a_registration_token_is_not_copied() -> None:
    """The idempotency token of one registration never travels into the next revision."""
    source = {
        "taskDefinition": {
            "family": "web",
            "containerDefinitions": [{"name": "web", "image": "org/web:1"}],
        },
        "tags": [
            {"key": "team", "value": "web"},
            {"key": REGISTRATION_TOKEN_TAG, "value": "3f2a"},
        ],
    }
    assert to_register_input(source)["tags"] == [{"key": "team", "value": "web"}]
