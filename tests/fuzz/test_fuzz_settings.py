"""Drone's PLUGIN_* settings and the GitHub Action's INPUT_* variables: validated settings or an
InputError naming the bad one, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given
from hypothesis import strategies as st

from ecsdeploy.drone._settings import PluginSettings, PluginSettingsError
from ecsdeploy.exceptions import InputError
from ecsdeploy.github._inputs import ActionInputError, ActionInputs
from tests.fuzz.conftest import FUZZ_PROFILE
from tests.fuzz.outside_input import ANY_TEXT, parsed_or_refused

PLUGIN_SETTINGS = (
    "aws_region", "aws_role_arn", "bake", "cluster", "container", "disable_rollbacks",
    "endpoint_url", "image", "images", "log_format", "max_deploy_checks", "mode",
    "poll_interval", "release_file", "service", "timeout",
)  # fmt: skip
ACTION_INPUTS = (
    "aws-region", "bake", "cluster", "container-name", "endpoint-url", "image", "images",
    "poll-interval", "release-file", "role-to-assume", "rollback", "service", "timeout",
    "wait-for-minutes", "wait-for-service-stability",
)  # fmt: skip

#: Values that are nearly right: numbers, booleans, lists, images, with noise.
_PLAUSIBLE = st.one_of(
    st.sampled_from(["", "true", "false", "0", "-1", "1e309", "nan", "inf", "10", "0.5", " "]),
    st.floats(allow_nan=True).map(str),
    st.integers().map(str),
    st.sampled_from(["web=myorg/web:2", "web:myorg/web", "a=b,c=d", "rolling", "blue-green"]),
    ANY_TEXT,
)


def _environ(prefix: str, names: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    """How the CI system sets them: PREFIX + NAME upper-cased, hyphens as underscores."""
    keys = st.sampled_from([prefix + n.upper().replace("-", "_") for n in names])
    return st.dictionaries(keys, _PLAUSIBLE, max_size=len(names))


def _assert_settings_or_named(
    parse: Callable[[], PluginSettings | ActionInputs], error: type[InputError]
) -> None:
    """`parse()` gives settings whose derived settings build, or refuses with the front's own
    `error` (the one that names the setting)."""
    settings = parsed_or_refused(parse)
    if isinstance(settings, InputError):
        assert isinstance(settings, error), repr(settings)
        return
    assert settings.deploy_settings() is not None
    assert isinstance(settings.release_overrides(), dict)


@FUZZ_PROFILE
@given(environ=_environ("PLUGIN_", PLUGIN_SETTINGS))
# Found by this test: a bad PLUGIN_IMAGE raised InvalidImageError, which named no setting.
@example(
    {"PLUGIN_AWS_REGION": "us-east-2", "PLUGIN_CONTAINER": "web", "PLUGIN_IMAGE": "web=myorg/web:2"}
)
@example(
    {"PLUGIN_AWS_REGION": "us-east-2", "PLUGIN_CONTAINER": "Web App", "PLUGIN_IMAGE": "myorg/web:2"}
)
def test_plugin_settings_parse_or_name_the_bad_one(environ: dict[str, str]) -> None:
    """Any PLUGIN_* values: PluginSettings (whose derived settings build too) or the plugin's
    PluginSettingsError, which names the setting."""
    _assert_settings_or_named(lambda: PluginSettings.from_environ(environ), PluginSettingsError)


@FUZZ_PROFILE
@given(environ=_environ("INPUT_", ACTION_INPUTS))
# Found by this test: a bad INPUT_IMAGE raised InvalidImageError, which named no input.
@example(
    {
        "INPUT_AWS_REGION": "us-east-2",
        "INPUT_CONTAINER_NAME": "web",
        "INPUT_IMAGE": "web=myorg/web:2",
    }
)
@example(
    {
        "INPUT_AWS_REGION": "us-east-2",
        "INPUT_CONTAINER_NAME": "Web App",
        "INPUT_IMAGE": "myorg/web:2",
    }
)
def test_action_inputs_parse_or_name_the_bad_one(environ: dict[str, str]) -> None:
    """Any INPUT_* values: ActionInputs (whose derived settings build too) or the action's
    ActionInputError, which names the input."""
    _assert_settings_or_named(lambda: ActionInputs.from_environ(environ), ActionInputError)
