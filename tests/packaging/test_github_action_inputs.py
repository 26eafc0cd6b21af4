"""The action's inputs as the action reads them: the AWS action's meanings, clear errors."""

from __future__ import annotations

import pytest

from ecsdeploy import ImageChange
from ecsdeploy.github import ActionInputError, ActionInputs

BASE = {
    "INPUT_AWS_REGION": "us-east-2",
    "INPUT_CLUSTER": "prod",
    "INPUT_SERVICE": "web",
    "INPUT_IMAGES": "web=myorg/web:2",
}


def test_wait_for_minutes_is_the_deadline_in_minutes() -> None:
    """`wait-for-minutes: 15` gives the deployment 900 seconds."""
    inputs = ActionInputs.from_environ(BASE | {"INPUT_WAIT_FOR_MINUTES": "15"})
    assert inputs.deploy_settings().timeout == 900


def test_timeout_and_wait_for_minutes_together_are_refused() -> None:
    """Two deadlines for one deployment is a mistake, not a choice to guess at."""
    both = BASE | {"INPUT_WAIT_FOR_MINUTES": "15", "INPUT_TIMEOUT": "60"}
    with pytest.raises(ActionInputError, match="timeout and wait-for-minutes"):
        ActionInputs.from_environ(both)


def test_lists_may_be_lines_or_commas() -> None:
    """`service` and `images` accept a YAML block (one per line) or a comma-separated list."""
    inputs = ActionInputs.from_environ(
        BASE
        | {"INPUT_SERVICE": "web\nworker, api\n", "INPUT_IMAGES": "web=a:1\nworker=b:2,api=c:3"}
    )
    assert inputs.services == ("web", "worker", "api")
    assert inputs.changes == (
        ImageChange("web", "a:1"),
        ImageChange("worker", "b:2"),
        ImageChange("api", "c:3"),
    )


def test_container_name_and_image_make_one_change() -> None:
    """The render action's `container-name` + `image` pair is one image change."""
    environ = {k: v for k, v in BASE.items() if k != "INPUT_IMAGES"}
    inputs = ActionInputs.from_environ(
        environ | {"INPUT_CONTAINER_NAME": "web", "INPUT_IMAGE": "myorg/web:3"}
    )
    assert inputs.changes == (ImageChange("web", "myorg/web:3"),)


def test_image_without_container_name_is_refused() -> None:
    """`image` alone names no container: an error naming the missing input."""
    with pytest.raises(ActionInputError, match="input container-name is required"):
        ActionInputs.from_environ(BASE | {"INPUT_IMAGE": "myorg/web:3"})


def test_container_name_without_image_is_refused() -> None:
    """`container-name` alone says no image: an error naming the missing input."""
    with pytest.raises(
        ActionInputError, match=r"^input image is required with container-name and image$"
    ):
        ActionInputs.from_environ(BASE | {"INPUT_CONTAINER_NAME": "web"})


def test_an_images_item_that_does_not_parse_names_the_input() -> None:
    """An `images` item without CONTAINER= is refused, naming the input and the item."""
    with pytest.raises(ActionInputError, match=r"^input images: .*'sidecar'"):
        ActionInputs.from_environ(BASE | {"INPUT_IMAGES": "web=a:1\nsidecar"})


def test_rollback_false_keeps_a_failed_deployment() -> None:
    """`rollback: false` turns rollback off; a value that is not a boolean is an error."""
    assert (
        ActionInputs.from_environ(BASE | {"INPUT_ROLLBACK": "false"}).deploy_settings().rollback
        is False
    )
    with pytest.raises(ActionInputError, match="input rollback: 'nope' is not a boolean"):
        ActionInputs.from_environ(BASE | {"INPUT_ROLLBACK": "nope"})


def test_region_falls_back_to_the_job_environment() -> None:
    """Without `aws-region`, AWS_REGION (set by configure-aws-credentials) is used."""
    environ = {k: v for k, v in BASE.items() if k != "INPUT_AWS_REGION"}
    assert ActionInputs.from_environ(environ | {"AWS_REGION": "eu-west-1"}).region == "eu-west-1"
    with pytest.raises(ActionInputError, match="input aws-region is required"):
        ActionInputs.from_environ(environ)


def test_release_file_with_services_is_refused() -> None:
    """A release file names its own services: giving `service` too is an error."""
    with pytest.raises(ActionInputError, match="release-file names its own services"):
        ActionInputs.from_environ(BASE | {"INPUT_RELEASE_FILE": "release.toml"})


def test_release_overrides_only_what_was_given() -> None:
    """Inputs left empty do not override the release file's [defaults]."""
    inputs = ActionInputs.from_environ(
        {"INPUT_AWS_REGION": "us-east-2", "INPUT_RELEASE_FILE": "r.toml", "INPUT_BAKE": "30"}
    )
    assert inputs.release_overrides() == {"bake": 30.0}


def test_a_malformed_endpoint_url_is_refused() -> None:
    """`endpoint-url` botocore cannot use is bad input naming the input, not a crash later."""
    with pytest.raises(ActionInputError, match="input endpoint-url: 'localhost:4566' is not"):
        ActionInputs.from_environ(BASE | {"INPUT_ENDPOINT_URL": "localhost:4566"})
    for good in ("http://127.0.0.1:4566", "https://ecs.us-east-2.amazonaws.com", "http://[::1]:80"):
        assert ActionInputs.from_environ(BASE | {"INPUT_ENDPOINT_URL": good}).endpoint_url == good


def test_a_malformed_region_is_refused() -> None:
    """A region botocore would reject (from the input or AWS_REGION) is bad input naming it."""
    with pytest.raises(ActionInputError, match="input aws-region: 'us east 2' is not"):
        ActionInputs.from_environ(BASE | {"INPUT_AWS_REGION": "us east 2"})
    environ = {k: v for k, v in BASE.items() if k != "INPUT_AWS_REGION"}
    with pytest.raises(ActionInputError, match="AWS_REGION: 'eu_west/1' is not"):
        ActionInputs.from_environ(environ | {"AWS_REGION": "eu_west/1"})
