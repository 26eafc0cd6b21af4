"""The plugin's Drone plugin index entry (.drone-plugin/content.yaml) cannot drift from the
plugin: its properties are exactly the settings the plugin reads and the README's table lists,
with the plugin's defaults, and its example is a step the plugin accepts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsdeploy.drone._settings import (
    CHECK_INTERVAL,
    DEFAULT_MAX_DEPLOY_CHECKS,
    PluginSettings,
    PluginSettingsError,
)

ROOT = Path(__file__).resolve().parents[2]
ENTRY = yaml.safe_load((ROOT / ".drone-plugin" / "content.yaml").read_text())
PROPERTIES: dict[str, dict[str, Any]] = ENTRY["properties"]
#: The fields every entry of the index has (its plugins/*/content.yaml).
INDEX_FIELDS = {"title", "author", "tags", "repo", "image", "description", "example", "properties"}
PROPERTY_FIELDS = {"type", "defaultValue", "description", "secret", "required"}


class RecordingEnviron(dict[str, str]):
    """An environment that remembers every variable the plugin asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the plugin should ask for its settings by name")


def example_step() -> dict[str, Any]:
    # Drone substitutes ${DRONE_*} in the file's text before reading it.
    text = ENTRY["example"].replace(
        "${DRONE_COMMIT_SHA}", "3f9c2a17e4b85d06c1a29f7be0d4c5e6a7b8c9d0"
    )
    [step] = yaml.safe_load(text)["steps"]
    return dict(step)


def example_environ() -> dict[str, str]:
    """The example step's settings as Drone hands them to the plugin."""
    settings = example_step()["settings"]
    return {f"PLUGIN_{name.upper()}": str(value) for name, value in settings.items()}


def readme_settings() -> set[str]:
    """Setting names in the first column of the README's Drone settings table."""
    section = (ROOT / "README.md").read_text().split("## Drone plugin", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}


def test_entry_has_the_index_fields() -> None:
    """Every field the index shows is there, and each property is fully described."""
    assert set(ENTRY) >= INDEX_FIELDS
    for name, described in PROPERTIES.items():
        assert set(described) == PROPERTY_FIELDS, name
        assert described["description"].strip(), name


def test_properties_are_exactly_the_settings_the_plugin_reads() -> None:
    """Parsing a full set of settings asks for each property's PLUGIN_ variable, and no other."""
    environ = RecordingEnviron(
        {**example_environ(), "PLUGIN_RELEASE_FILE": "", "PLUGIN_DISABLE_ROLLBACKS": "false"}
    )
    PluginSettings.from_environ(environ)
    plugin_settings = {
        name.removeprefix("PLUGIN_").lower() for name in environ.asked if name.startswith("PLUGIN_")
    }
    assert plugin_settings == set(PROPERTIES)


def test_properties_are_the_readme_settings_table() -> None:
    """The README's settings table lists the same settings as the index entry."""
    assert readme_settings() == set(PROPERTIES)


def test_defaults_are_the_plugins_defaults() -> None:
    """The defaults the index shows are the ones the plugin applies when a setting is absent."""
    settings = PluginSettings.from_environ(example_environ() | {"PLUGIN_MAX_DEPLOY_CHECKS": ""})
    deploy = settings.deploy_settings()
    assert PROPERTIES["max_deploy_checks"]["defaultValue"] == DEFAULT_MAX_DEPLOY_CHECKS
    assert deploy.max_checks == DEFAULT_MAX_DEPLOY_CHECKS
    assert PROPERTIES["poll_interval"]["defaultValue"] == CHECK_INTERVAL == deploy.poll_interval
    assert PROPERTIES["bake"]["defaultValue"] == deploy.bake
    assert PROPERTIES["disable_rollbacks"]["defaultValue"] is (not deploy.rollback)
    assert PROPERTIES["log_format"]["defaultValue"] == settings.log_format
    assert PROPERTIES["mode"]["defaultValue"] == "rolling"


@pytest.mark.parametrize("name", [n for n, p in PROPERTIES.items() if p["required"]])
def test_a_required_property_is_required_by_the_plugin(name: str) -> None:
    """Leaving out a property marked required is a settings error that names it."""
    environ = {k: v for k, v in example_environ().items() if k != f"PLUGIN_{name.upper()}"}
    with pytest.raises(PluginSettingsError, match=name):
        PluginSettings.from_environ(environ)


def test_boolean_properties_are_booleans_to_the_plugin() -> None:
    """A property typed boolean rejects a non-boolean value; the others are not booleans."""
    booleans = {n for n, p in PROPERTIES.items() if p["type"] == "boolean"}
    assert booleans == {"disable_rollbacks"}
    with pytest.raises(PluginSettingsError, match="disable_rollbacks"):
        PluginSettings.from_environ(example_environ() | {"PLUGIN_DISABLE_ROLLBACKS": "maybe"})


def test_example_is_a_step_the_plugin_accepts() -> None:
    """The example uses the entry's image and only its properties, and parses cleanly."""
    step = example_step()
    repository = ENTRY["image"].removeprefix("https://hub.docker.com/r/").rstrip("/")
    assert step["image"].split(":")[0] == repository
    assert set(step["settings"]) <= set(PROPERTIES)
    settings = PluginSettings.from_environ(example_environ())
    assert settings.services == (step["settings"]["service"],)
    assert settings.max_deploy_checks == step["settings"]["max_deploy_checks"]
