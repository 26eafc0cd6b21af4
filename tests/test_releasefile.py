"""Release files: TOML in, a validated Release out, or an error that says where and what."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ecsdeploy import (
    DeploySettings,
    ImageChange,
    Release,
    SetEnv,
    SetSecret,
    Target,
    UnsetEnv,
    UnsetSecret,
    load_release,
    parse_release,
)
from ecsdeploy.checks import (
    CircuitBreakerCheck,
    RolloutStateCheck,
    SteadyStateCheck,
    StoppedTasksCheck,
)
from ecsdeploy.exceptions import InputError, ReleaseFileError

EXAMPLE = """\
[defaults]
region = "us-east-2"
cluster = "prod"
timeout = 900
atomic = true

[[stage]]
name = "migrate"
[[stage.service]]
service = "db-migrate"
images = { migrate = "myorg/app:1.4.0" }

[[stage]]
name = "apps"
[[stage.service]]
service = "api"
images = { api = "myorg/app:1.4.0", nginx = "myorg/nginx:1.4.0" }
env = { api = { FEATURE_X = "on" } }
[[stage.service]]
service = "worker"
cluster = "prod-workers"
images = { worker = "myorg/app:1.4.0" }
"""

#: The smallest valid release, for tests that vary one thing around it.
ONE_SERVICE = """\
[[stage]]
name = "apps"
[[stage.service]]
cluster = "prod"
service = "api"
images = { api = "myorg/app:1" }
"""


def parse(text: str, **options: Any) -> Release:
    options.setdefault("environ", {})
    return parse_release(textwrap.dedent(text), source="release.toml", **options)


def error(text: str, **options: Any) -> ReleaseFileError:
    with pytest.raises(ReleaseFileError) as raised:
        parse(text, **options)
    return raised.value


def only_target(release: Release) -> Target:
    (target,) = release.targets
    return target


def settings_of(target: Target) -> DeploySettings:
    assert target.settings is not None
    return target.settings


# --- the example ---------------------------------------------------------------------------


def test_example_parses_into_its_stages_and_targets() -> None:
    """Stages keep their order and names; each service gets defaults and its own keys."""
    release = parse(EXAMPLE)
    assert [stage.name for stage in release.stages] == ["migrate", "apps"]
    assert [[str(t) for t in stage.targets] for stage in release.stages] == [
        ["us-east-2/prod/db-migrate"],
        ["us-east-2/prod/api", "us-east-2/prod-workers/worker"],
    ]
    assert release.atomic is True
    assert release.max_concurrency == 50


def test_example_changes_are_the_files_in_order() -> None:
    """Images in the order written, then environment changes."""
    api = parse(EXAMPLE).stages[1].targets[0]
    assert api.changes == (
        ImageChange("api", "myorg/app:1.4.0"),
        ImageChange("nginx", "myorg/nginx:1.4.0"),
        SetEnv("api", "FEATURE_X", "on"),
    )
    assert api.task_definition is None


def test_example_settings_come_from_defaults_over_the_library_defaults() -> None:
    """timeout comes from [defaults]; everything the file leaves out keeps DeploySettings'."""
    for target in parse(EXAMPLE).targets:
        assert settings_of(target) == DeploySettings(timeout=900)


def test_release_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    """A file's release is named after it, so logs say which file ran."""
    path = tmp_path / "prod-1.4.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert load_release(path, environ={}).name == "prod-1.4"
    assert parse(EXAMPLE).name == "release"


def test_release_table_sets_name_atomic_and_concurrency() -> None:
    """[release] holds what applies to the release as a whole."""
    release = parse('[release]\nname = "v1.4"\natomic = false\nmax_concurrency = 4\n' + ONE_SERVICE)
    assert (release.name, release.atomic, release.max_concurrency) == ("v1.4", False, 4)


def test_stage_without_a_name_is_numbered() -> None:
    """A stage's name is optional; it is then named by its position."""
    release = parse(ONE_SERVICE.replace('name = "apps"\n', ""))
    assert release.stages[0].name == "stage-1"


# --- settings and changes -----------------------------------------------------------------------


def test_every_setting_in_defaults_reaches_deploy_settings() -> None:
    """Each deploy flag has a key of the same name, in seconds or as a boolean."""
    release = parse(
        """\
        [defaults]
        timeout = 120.5
        poll_interval = 2
        rollback = false
        bake = 30
        max_checks = 40
        rollback_timeout = 300
        wait_for_in_progress = false
        deregister_failed = false
        """
        + ONE_SERVICE
    )
    assert settings_of(only_target(release)) == DeploySettings(
        timeout=120.5,
        poll_interval=2.0,
        rollback=False,
        bake=30.0,
        max_checks=40,
        rollback_timeout=300.0,
        wait_for_in_progress=False,
        deregister_failed=False,
    )


def test_service_values_win_over_defaults() -> None:
    """A [[stage.service]] key replaces the same key of [defaults], for that service only."""
    release = parse(
        """\
        [defaults]
        cluster = "prod"
        region = "us-east-2"
        timeout = 900
        [[stage]]
        [[stage.service]]
        service = "api"
        images = { api = "myorg/app:1" }
        [[stage.service]]
        service = "worker"
        region = "eu-west-1"
        cluster = "workers"
        timeout = 60
        images = { worker = "myorg/app:1" }
        """
    )
    api, worker = release.targets
    assert (api.region, api.cluster, settings_of(api).timeout) == ("us-east-2", "prod", 900.0)
    assert (worker.region, worker.cluster, settings_of(worker).timeout) == (
        "eu-west-1",
        "workers",
        60.0,
    )


def test_checks_choose_built_in_checks_in_the_order_given() -> None:
    """`checks` names built-in checks; the deployment runs exactly those."""
    release = parse(ONE_SERVICE + 'checks = ["steady-state", "rollout-state"]\n')
    assert settings_of(only_target(release)).checks == (SteadyStateCheck(), RolloutStateCheck())


def test_stopped_tasks_threshold_alone_keeps_every_built_in_check() -> None:
    """A threshold without `checks` tunes the stopped-tasks check among all the built-ins."""
    release = parse(ONE_SERVICE + "stopped_tasks_threshold = 2\n")
    assert settings_of(only_target(release)).checks == (
        RolloutStateCheck(),
        CircuitBreakerCheck(),
        StoppedTasksCheck(threshold=2),
        SteadyStateCheck(),
    )


def test_checks_from_defaults_and_threshold_from_the_service_combine() -> None:
    """Check settings merge key by key like every other setting."""
    release = parse(
        '[defaults]\nchecks = ["stopped-tasks", "steady-state"]\n'
        + ONE_SERVICE
        + "stopped_tasks_threshold = 5\n"
    )
    assert settings_of(only_target(release)).checks == (
        StoppedTasksCheck(threshold=5),
        SteadyStateCheck(),
    )


def test_env_secrets_and_their_removal_become_changes() -> None:
    """Each change table maps containers to what changes in them."""
    release = parse(
        ONE_SERVICE
        + """\
        env = { api = { LOG_LEVEL = "debug", EMPTY = "" } }
        unset_env = { api = ["DEBUG"], sidecar = ["TRACE"] }
        secrets = { api = { DB_PASSWORD = "arn:aws:ssm:us-east-2:1:parameter/db" } }
        unset_secrets = { api = ["OLD_TOKEN"] }
        """
    )
    assert only_target(release).changes == (
        ImageChange("api", "myorg/app:1"),
        SetEnv("api", "LOG_LEVEL", "debug"),
        SetEnv("api", "EMPTY", ""),
        UnsetEnv("api", "DEBUG"),
        UnsetEnv("sidecar", "TRACE"),
        SetSecret("api", "DB_PASSWORD", "arn:aws:ssm:us-east-2:1:parameter/db"),
        UnsetSecret("api", "OLD_TOKEN"),
    )


def test_change_tables_may_be_written_as_sub_tables() -> None:
    """`[stage.service.images]` is the same as an inline `images = {...}`."""
    release = parse(
        """\
        [[stage]]
        [[stage.service]]
        cluster = "prod"
        service = "api"
        [stage.service.images]
        api = "myorg/app:2"
        [stage.service.env.api]
        MODE = "fast"
        """
    )
    assert only_target(release).changes == (
        ImageChange("api", "myorg/app:2"),
        SetEnv("api", "MODE", "fast"),
    )


def test_task_definition_alone_deploys_that_revision() -> None:
    """With no changes, `task_definition` is a rollback to that revision."""
    text = '[[stage]]\n[[stage.service]]\ncluster = "prod"\nservice = "api"\n'
    target = only_target(parse(text + 'task_definition = "api:41"\n'))
    assert (target.task_definition, target.changes) == ("api:41", ())


def test_base_settings_are_kept_where_the_file_is_silent() -> None:
    """Settings passed in (e.g. the Deployer's, with extra checks) are what the file overrides."""
    base = DeploySettings(poll_interval=0.5, extra_checks=(SteadyStateCheck(name="again"),))
    release = parse("[defaults]\ntimeout = 60\n" + ONE_SERVICE, settings=base)
    assert settings_of(only_target(release)) == DeploySettings(
        timeout=60, poll_interval=0.5, extra_checks=(SteadyStateCheck(name="again"),)
    )


# --- overrides ----------------------------------------------------------------------------------


def test_overrides_replace_defaults_but_not_a_services_own_values() -> None:
    """Flags beat [defaults]; a value written for one service stays (see the module docstring)."""
    release = parse(
        """\
        [defaults]
        cluster = "prod"
        timeout = 900
        rollback = true
        [[stage]]
        [[stage.service]]
        service = "api"
        images = { api = "myorg/app:1" }
        [[stage.service]]
        service = "slow"
        timeout = 1800
        images = { slow = "myorg/app:1" }
        """,
        overrides={"timeout": 300, "rollback": False, "poll_interval": 2},
    )
    api, slow = (settings_of(t) for t in release.targets)
    assert (api.timeout, api.rollback, api.poll_interval) == (300.0, False, 2.0)
    assert (slow.timeout, slow.rollback, slow.poll_interval) == (1800.0, False, 2.0)


def test_none_overrides_are_ignored() -> None:
    """Unset command-line flags arrive as None and change nothing."""
    release = parse(
        "[defaults]\ntimeout = 900\n" + ONE_SERVICE,
        overrides={"timeout": None, "region": None, "atomic": None},
    )
    assert settings_of(only_target(release)).timeout == 900.0
    assert release.atomic is True


def test_overrides_set_region_cluster_and_release_wide_values() -> None:
    """--region, --cluster and release-level flags work the same way."""
    release = parse(
        '[release]\nname = "file"\n[defaults]\nregion = "us-east-2"\n'
        + ONE_SERVICE.replace('cluster = "prod"\n', ""),
        overrides={"region": "eu-west-1", "cluster": "staging", "atomic": False, "name": "cli"},
    )
    target = only_target(release)
    assert (target.region, target.cluster) == ("eu-west-1", "staging")
    assert (release.atomic, release.name) == (False, "cli")


def test_unknown_override_is_an_error_with_a_suggestion() -> None:
    """A misspelt override is reported, not silently dropped."""
    problem = error(ONE_SERVICE, overrides={"timout": 5})
    assert (
        str(problem)
        == "release.toml: overrides: unknown override 'timout' (did you mean 'timeout'?)"
    )


def test_invalid_override_value_is_an_error() -> None:
    """Overrides are checked like file values."""
    problem = error(ONE_SERVICE, overrides={"poll_interval": 0})
    assert problem.key == "overrides"
    assert problem.problem == "poll_interval: must be positive, not 0"


# --- environment variables ----------------------------------------------------------------------


def test_variables_are_replaced_in_values() -> None:
    """${VAR} anywhere in a string value; ${VAR:-default} when unset or empty; $$ is a dollar."""
    release = parse(
        ONE_SERVICE.replace("myorg/app:1", "myorg/app:${DRONE_COMMIT_SHA}")
        + 'env = { api = { A = "${UNSET:-fallback}", B = "${EMPTY:-x}", C = "pa$$word" } }\n',
        environ={"DRONE_COMMIT_SHA": "abc123", "EMPTY": ""},
    )
    assert only_target(release).changes == (
        ImageChange("api", "myorg/app:abc123"),
        SetEnv("api", "A", "fallback"),
        SetEnv("api", "B", "x"),
        SetEnv("api", "C", "pa$word"),
    )


def test_variables_come_from_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without `environ`, os.environ is used (as the CLI and the Drone plugin need)."""
    monkeypatch.setenv("RELEASE_TEST_TAG", "9.9")
    text = ONE_SERVICE.replace("myorg/app:1", "myorg/app:${RELEASE_TEST_TAG}")
    release = parse_release(text)
    assert only_target(release).changes == (ImageChange("api", "myorg/app:9.9"),)


def test_missing_variable_names_it_and_where_it_is_used() -> None:
    """An unset variable is an error with the file, line, key path and variable."""
    problem = error(ONE_SERVICE.replace("myorg/app:1", "myorg/app:${DRONE_TAG}"))
    assert str(problem) == (
        "release.toml:6: stage[1].service[1].images.api: environment variable DRONE_TAG is not "
        "set (write ${DRONE_TAG:-default} to allow that)"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("$TAG", "a '$' must start a reference like ${NAME}"),
        ("${TAG", "'${' has no closing '}'"),
        ("${1TAG}", "'${1TAG}' does not name a variable"),
        ("${}", "'${}' does not name a variable"),
    ],
)
def test_malformed_references_are_errors(value: str, problem: str) -> None:
    """A '$' that is not ${NAME}, ${NAME:-default} or $$ is caught, not deployed as text."""
    raised = error(ONE_SERVICE + f'env = {{ api = {{ X = "{value}" }} }}\n')
    assert raised.key == "stage[1].service[1].env.api.X"
    assert raised.line == 7
    assert raised.problem.startswith(problem)


# --- bad files ----------------------------------------------------------------------------------

SERVICE = '[[stage]]\nname = "apps"\n[[stage.service]]\ncluster = "prod"\nservice = "api"\n'
"""A service without changes: lines 1-5; cases append the line under test as line 6."""


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        pytest.param(
            SERVICE + 'imagse = { api = "myorg/app:1" }\n',
            6,
            "stage[1].service[1].imagse",
            "unknown key 'imagse' (did you mean 'images'?)",
            id="unknown-service-key",
        ),
        pytest.param(
            "[defaults]\ntimeuot = 5\n" + SERVICE,
            2,
            "defaults.timeuot",
            "unknown key 'timeuot' (did you mean 'timeout'?)",
            id="unknown-defaults-key",
        ),
        pytest.param(
            '[defaults]\nimages = { api = "myorg/app:1" }\n' + SERVICE,
            2,
            "defaults.images",
            "unknown key 'images': it is set per service, in a [[stage.service]]",
            id="change-in-defaults",
        ),
        pytest.param(
            SERVICE + "atomic = false\n",
            6,
            "stage[1].service[1].atomic",
            "unknown key 'atomic': it applies to the whole release: set it in [release]",
            id="release-setting-in-service",
        ),
        pytest.param(
            '[[stages]]\nname = "apps"\n',
            1,
            "stages",
            "unknown key 'stages' (did you mean 'stage'?)",
            id="unknown-top-level-table",
        ),
        pytest.param(
            SERVICE + 'timeout = "5"\n',
            6,
            "stage[1].service[1].timeout",
            "expected a number of seconds, got string",
            id="timeout-string",
        ),
        pytest.param(
            SERVICE + 'rollback = "false"\n',
            6,
            "stage[1].service[1].rollback",
            "expected a boolean, got string (write true or false, unquoted)",
            id="rollback-string",
        ),
        pytest.param(
            SERVICE + "timeout = -1\n",
            6,
            "stage[1].service[1].timeout",
            "must be positive, not -1",
            id="timeout-negative",
        ),
        pytest.param(
            SERVICE + "max_checks = 1.5\n",
            6,
            "stage[1].service[1].max_checks",
            "expected an integer, got float",
            id="max-checks-float",
        ),
        pytest.param(
            "[release]\nmax_concurrency = 0\n" + SERVICE,
            2,
            "release.max_concurrency",
            "must be at least 1, not 0",
            id="max-concurrency-zero",
        ),
        pytest.param(
            SERVICE + 'images = "myorg/app:1"\n',
            6,
            "stage[1].service[1].images",
            "expected a table of container names, got string",
            id="images-not-a-table",
        ),
        pytest.param(
            SERVICE + "images = { api = 1 }\n",
            6,
            "stage[1].service[1].images.api",
            "expected an image reference (a string), got integer",
            id="image-not-a-string",
        ),
        pytest.param(
            SERVICE + "env = { api = { PORT = 8080 } }\n",
            6,
            "stage[1].service[1].env.api.PORT",
            "expected a string (quote it), got integer",
            id="env-value-integer",
        ),
        pytest.param(
            SERVICE + 'unset_env = { api = "DEBUG" }\n',
            6,
            "stage[1].service[1].unset_env.api",
            "expected an array, got string",
            id="unset-env-not-an-array",
        ),
        pytest.param(
            SERVICE + 'images = { api = "myorg/App:1" }\n',
            6,
            "stage[1].service[1].images.api",
            "image reference 'myorg/App:1' is invalid: repository path component 'App' must be "
            "lowercase",
            id="bad-image",
        ),
        pytest.param(
            SERVICE + 'images = { "my app" = "myorg/app:1" }\n',
            6,
            'stage[1].service[1].images."my app"',
            "container name 'my app' may contain only letters, digits, '_' and '-' (up to 255)",
            id="bad-container-name",
        ),
        pytest.param(
            SERVICE + 'env = { api = { DEBUG = "1" } }\nunset_env = { api = ["DEBUG"] }\n',
            7,
            "stage[1].service[1].unset_env.api[1]",
            "api:DEBUG is both set in 'env' and unset in 'unset_env'",
            id="set-and-unset",
        ),
        pytest.param(
            SERVICE,
            3,
            "stage[1].service[1]",
            "nothing to deploy: set images, env, unset_env, secrets or unset_secrets, or "
            "task_definition to deploy an existing revision",
            id="no-changes",
        ),
        pytest.param(
            SERVICE.replace('cluster = "prod"\n', "") + 'images = { api = "myorg/app:1" }\n',
            3,
            "stage[1].service[1]",
            "no cluster: set 'cluster' here or in [defaults]",
            id="no-cluster",
        ),
        pytest.param(
            SERVICE.replace('service = "api"\n', "") + 'images = { api = "myorg/app:1" }\n',
            3,
            "stage[1].service[1]",
            "no 'service': name the ECS service to deploy",
            id="no-service",
        ),
        pytest.param(
            '[defaults]\ncluster = "prod"\n',
            None,
            None,
            "no stages: add a [[stage]] with at least one [[stage.service]]",
            id="no-stages",
        ),
        pytest.param(
            ONE_SERVICE + '[[stage]]\nname = "empty"\n',
            7,
            "stage[2]",
            "stage 'empty' has no services: add a [[stage.service]] after it",
            id="empty-stage",
        ),
        pytest.param(
            '[stage]\nname = "apps"\n',
            1,
            "stage",
            "expected an array of tables ([[stage]] headers), got table",
            id="stage-not-an-array",
        ),
        pytest.param(
            ONE_SERVICE + '[[stage]]\nname = "apps"\n[[stage.service]]\ncluster = "prod"\n'
            'service = "worker"\nimages = { worker = "myorg/app:1" }\n',
            8,
            "stage[2].name",
            "stage name 'apps' is already used by stage[1]",
            id="duplicate-stage-name",
        ),
        pytest.param(
            ONE_SERVICE + '[[stage]]\nname = "again"\n[[stage.service]]\ncluster = "prod"\n'
            'service = "api"\nimages = { api = "myorg/app:2" }\n',
            11,
            "stage[2].service[1].service",
            "service prod/api is already deployed by stage[1].service[1] (line 3); a service "
            "may appear once per release",
            id="duplicate-service",
        ),
        pytest.param(
            "[release]\natomic = true\n[defaults]\natomic = false\n" + SERVICE,
            4,
            "defaults.atomic",
            "'atomic' is also set in [release]; keep one of the two",
            id="release-key-twice",
        ),
        pytest.param(
            SERVICE + 'images = { api = "myorg/app:1" }\nchecks = []\n',
            7,
            "stage[1].service[1].checks",
            "choose at least one check (leave 'checks' out for all of ['rollout-state', "
            "'circuit-breaker', 'stopped-tasks', 'steady-state'])",
            id="no-checks",
        ),
        pytest.param(
            SERVICE + 'images = { api = "myorg/app:1" }\nchecks = ["steady-sate"]\n',
            7,
            "stage[1].service[1].checks",
            "unknown check 'steady-sate' (did you mean 'steady-state'?)",
            id="unknown-check",
        ),
        pytest.param(
            "[defaults]\nstopped_tasks_threshold = 3\n"
            + SERVICE
            + 'images = { api = "myorg/app:1" }\nchecks = ["steady-state"]\n',
            2,
            "defaults.stopped_tasks_threshold",
            "stopped_tasks_threshold needs the 'stopped-tasks' check, which 'checks' leaves out",
            id="threshold-without-its-check",
        ),
    ],
)
def test_bad_file_names_line_key_and_problem(
    text: str, line: int | None, key: str | None, problem: str
) -> None:
    """Every semantic error says where (file, line, key path) and what is wrong."""
    raised = error(text)
    assert (raised.source, raised.line, raised.key, raised.problem) == (
        "release.toml",
        line,
        key,
        problem,
    )
    where = f"release.toml:{line}" if line else "release.toml"
    assert str(raised) == (f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


def test_syntax_error_has_tomls_line_and_column() -> None:
    """tomllib's position is kept: the line in `line`, the column in the message."""
    raised = error(ONE_SERVICE + "timeout = \n")
    assert raised.line == 7
    assert raised.key is None
    assert str(raised) == "release.toml:7: invalid TOML: Invalid value (column 11)"


def test_syntax_error_at_the_end_points_at_the_last_line() -> None:
    """tomllib says "at end of document"; that is the file's last line."""
    raised = error(ONE_SERVICE + 'notes = """never closed\n')
    assert (raised.line, raised.problem) == (
        7,
        "invalid TOML: Unterminated string (at the end of the file)",
    )


def test_multi_line_strings_do_not_confuse_line_numbers() -> None:
    """Header-like text inside a multi-line string is not taken for a table."""
    raised = error(
        '[release]\nname = """\n[[stage]]\n[[stage.service]]\n"""\n' + ONE_SERVICE + "bake = -1\n"
    )
    assert (raised.line, raised.key) == (12, "stage[1].service[1].bake")


def test_duplicate_key_is_a_syntax_error() -> None:
    """TOML itself forbids writing an image twice; that is reported with its line."""
    raised = error(ONE_SERVICE + 'images = { api = "myorg/app:2" }\n')
    assert raised.line == 7
    assert raised.problem.startswith("invalid TOML: ")


def test_same_service_in_two_clusters_is_not_a_duplicate() -> None:
    """Services are told apart by region, cluster and name together."""
    text = ONE_SERVICE + '[[stage.service]]\ncluster = "other"\nservice = "api"\n'
    release = parse(text + 'images = { api = "myorg/app:1" }\n')
    assert [str(t) for t in release.targets] == ["prod/api", "other/api"]


def test_errors_in_sub_tables_point_at_the_key_inside_them() -> None:
    """Lines are found under `[stage.service.images]` headers too, in the right stage."""
    text = ONE_SERVICE + '[[stage]]\nname = "two"\n[[stage.service]]\ncluster = "prod"\n'
    text += 'service = "web"\n[stage.service.images]\nweb = "myorg/web:1"\nsidecar = "Bad"\n'
    raised = error(text)
    assert (raised.line, raised.key) == (14, "stage[2].service[1].images.sidecar")


def test_secret_values_are_not_repeated_in_errors() -> None:
    """A wrongly typed env value is described by its type, never shown."""
    raised = error(ONE_SERVICE + "env = { api = { PIN = 482913 } }\n")
    assert "482913" not in str(raised)


def test_error_is_an_input_error() -> None:
    """Fronts map it to exit code 2 like every other bad input."""
    assert issubclass(ReleaseFileError, InputError)


# --- files --------------------------------------------------------------------------------------


def test_missing_file_is_a_release_file_error(tmp_path: Path) -> None:
    """A path that does not exist is bad input, named in the message."""
    path = tmp_path / "nope.toml"
    with pytest.raises(ReleaseFileError, match=r"nope\.toml: cannot read it: No such file"):
        load_release(path)


def test_file_that_is_not_utf8_is_a_release_file_error(tmp_path: Path) -> None:
    """TOML is UTF-8; anything else is reported rather than misread."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(ONE_SERVICE.replace("apps", "äpps").encode("latin-1"))
    with pytest.raises(ReleaseFileError, match=r"latin1\.toml: not UTF-8 text"):
        load_release(path)


def test_load_release_errors_name_the_path(tmp_path: Path) -> None:
    """Errors from a file carry its path as given, for the user to open."""
    path = tmp_path / "release.toml"
    path.write_text(ONE_SERVICE + "bake = -1\n", encoding="utf-8")
    with pytest.raises(ReleaseFileError) as raised:
        load_release(path)
    assert raised.value.source == str(path)
    assert str(raised.value).startswith(f"{path}:7: stage[1].service[1].bake: ")


def test_example_file_in_examples_is_valid() -> None:
    """examples/release.toml parses (with its variables unset, using their defaults)."""
    path = Path(__file__).parent.parent / "examples" / "release.toml"
    release = load_release(path, environ={})
    assert release.targets


def test_defaults_may_hold_references() -> None:
    """``${A:-${B:-x}}`` falls back to B, then to x; a default is resolved only when used."""
    text = ONE_SERVICE.replace("myorg/app:1", "myorg/app:${PAYMENTS_TAG:-${TAG:-1.0}}")
    assert only_target(parse(text, environ={"TAG": "2"})).changes[0] == ImageChange(
        "api", "myorg/app:2"
    )
    assert only_target(parse(text)).changes[0] == ImageChange("api", "myorg/app:1.0")
    used = ONE_SERVICE.replace("myorg/app:1", "myorg/app:${TAG:-${MISSING}}")
    assert only_target(parse(used, environ={"TAG": "3"})).changes[0] == ImageChange(
        "api", "myorg/app:3"
    )
