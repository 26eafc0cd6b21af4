"""Release files: one-off tasks in stages (``[[stage.task]]``), read and checked before any call."""

from __future__ import annotations

import textwrap

import pytest

from ecsdeploy import OneOffTask, parse_release
from ecsdeploy.exceptions import ReleaseFileError

MIGRATION = """\
[defaults]
cluster = "prod"
region = "us-east-2"

[[stage]]
name = "apps"

[[stage.task]]
name = "migrate"
task_definition_of = "api"
command = { api = ["./manage.py", "migrate", "--noinput"] }
env = { api = { DJANGO_SETTINGS_MODULE = "app.settings" } }
timeout = 900

[[stage.service]]
service = "api"
images = { api = "myorg/app:2" }
"""


def error(text: str) -> ReleaseFileError:
    with pytest.raises(ReleaseFileError) as raised:
        parse_release(textwrap.dedent(text), source="release.toml", environ={})
    return raised.value


def test_a_stage_task_becomes_a_one_off_task_run_before_the_stage() -> None:
    """[[stage.task]] reads into the stage's OneOffTask, cluster and region from [defaults]."""
    release = parse_release(MIGRATION, environ={})
    (stage,) = release.stages
    assert stage.tasks == (
        OneOffTask(
            "migrate",
            cluster="prod",
            region="us-east-2",
            task_definition_of="api",
            command={"api": ["./manage.py", "migrate", "--noinput"]},
            env={"api": {"DJANGO_SETTINGS_MODULE": "app.settings"}},
            timeout=900,
        ),
    )
    assert stage.tasks[0].network_from == "api"
    assert [str(t) for t in stage.targets] == ["us-east-2/prod/api"]


def test_a_stage_of_only_tasks_is_a_migration_stage() -> None:
    """A stage may hold tasks and no services; an unnamed task is named by its place."""
    release = parse_release(
        textwrap.dedent(
            """\
            [defaults]
            cluster = "prod"
            [[stage]]
            name = "migrate"
            [[stage.task]]
            task_definition = "migrate:7"
            network_from = "api"
            [[stage]]
            name = "apps"
            [[stage.service]]
            service = "api"
            images = { api = "myorg/app:2" }
            """
        ),
        environ={},
    )
    (task,) = release.stages[0].tasks
    assert (task.name, task.task_definition, task.network_from) == (
        "migrate-task-1",
        "migrate:7",
        "api",
    )
    assert release.stages[0].targets == ()


def test_a_task_with_both_task_definition_keys_is_an_error_at_its_line() -> None:
    """task_definition and task_definition_of together: the second one's line is named."""
    problem = error(
        """\
        [defaults]
        cluster = "prod"
        [[stage]]
        [[stage.task]]
        task_definition = "migrate:7"
        task_definition_of = "api"
        """
    )
    assert problem.line == 6
    assert "not both" in str(problem)
    assert "stage[1].task[1].task_definition_of" in str(problem)


def test_a_task_without_a_task_definition_is_an_error_at_its_header() -> None:
    """Neither key: the [[stage.task]] header's line."""
    problem = error('[defaults]\ncluster = "prod"\n[[stage]]\n[[stage.task]]\nname = "m"\n')
    assert problem.line == 4
    assert "one of the two" in str(problem)


def test_an_unknown_task_key_suggests_the_right_one() -> None:
    """A misspelt key names the file, line and the key it probably meant."""
    problem = error(
        """\
        [[stage]]
        [[stage.task]]
        cluster = "prod"
        task_definition = "m:1"
        commands = { m = ["x"] }
        """
    )
    assert str(problem).startswith("release.toml:5: stage[1].task[1].commands: unknown key")
    assert "did you mean 'command'" in str(problem)


def test_images_in_a_task_say_what_a_task_overrides() -> None:
    """A task runs its task definition's images: 'images' is refused with that reason."""
    problem = error(
        """\
        [[stage]]
        [[stage.task]]
        cluster = "prod"
        task_definition = "m:1"
        images = { m = "myorg/m:2" }
        """
    )
    assert problem.line == 5
    assert "override 'command' or 'env'" in str(problem)


def test_a_command_that_is_not_an_array_of_strings_is_an_error_at_its_line() -> None:
    """command = { container = "a string" }: an array was expected."""
    problem = error(
        """\
        [[stage]]
        [[stage.task]]
        cluster = "prod"
        task_definition = "m:1"
        command = { m = "migrate" }
        """
    )
    assert problem.line == 5
    assert "expected an array, got string" in str(problem)


def test_a_task_without_a_cluster_is_an_error() -> None:
    """No cluster here or in [defaults]."""
    problem = error('[[stage]]\n[[stage.task]]\ntask_definition = "m:1"\n')
    assert problem.line == 2
    assert "no cluster" in str(problem)


def test_a_non_positive_task_timeout_is_an_error_at_its_line() -> None:
    """timeout = 0 is refused where it is written."""
    problem = error(
        '[[stage]]\n[[stage.task]]\ncluster = "p"\ntask_definition = "m:1"\ntimeout = 0\n'
    )
    assert problem.line == 5
    assert "must be positive" in str(problem)


def test_two_tasks_with_one_name_are_an_error() -> None:
    """Task names identify their results and rows: unique per release."""
    problem = error(
        """\
        [defaults]
        cluster = "prod"
        [[stage]]
        [[stage.task]]
        name = "m"
        task_definition = "m:1"
        [[stage.task]]
        name = "m"
        task_definition = "m:2"
        """
    )
    assert "one-off task names must be unique" in str(problem)


def test_a_repeated_task_name_is_an_error_at_its_line_naming_the_first() -> None:
    """The second task named "m", in a later stage, is refused where its name is written."""
    problem = error(
        """\
        [defaults]
        cluster = "prod"
        [[stage]]
        [[stage.task]]
        name = "m"
        task_definition = "m:1"
        [[stage]]
        [[stage.task]]
        name = "m"
        task_definition = "m:2"
        """
    )
    assert problem.line == 9
    assert "task name 'm' is already used by stage[1].task[1] (line 4)" in str(problem)


def test_a_stage_with_neither_services_nor_tasks_is_an_error() -> None:
    """An empty stage is still refused at its header."""
    problem = error('[defaults]\ncluster = "prod"\n[[stage]]\nname = "empty"\n')
    assert problem.line == 3
    assert "has no services" in str(problem)
