"""The aioboto3 sessions every front and the Deployer make share parsed botocore data, and still
read service models the way botocore does (AWS_DATA_PATH included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecsdeploy._aws_session import new_session


def _data_loader(session: Any) -> Any:
    return session._session.get_component("data_loader")


def test_a_model_under_aws_data_path_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service model under AWS_DATA_PATH (e.g. a newer ECS model) is one the session knows."""
    new_session()  # a session made before: the process's loader exists already
    model = tmp_path / "ecsdeploy-extra" / "2026-01-01" / "service-2.json"
    model.parent.mkdir(parents=True)
    model.write_text(json.dumps({"metadata": {}, "operations": {}, "shapes": {}}))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    assert "ecsdeploy-extra" in new_session().get_available_services()


def test_sessions_share_the_parsed_models() -> None:
    """Two sessions get the very same parsed ECS model: it is parsed once per process."""
    first = _data_loader(new_session()).load_service_model("ecs", "service-2")
    second = _data_loader(new_session()).load_service_model("ecs", "service-2")

    assert first is second


def test_making_sessions_does_not_grow_the_loaders_search_path() -> None:
    """boto3 adds its data directory to a session's loader: the shared loader's path stays the
    same however many sessions a long-running process makes."""
    before = list(_data_loader(new_session()).search_paths)
    for _ in range(50):
        new_session()

    assert _data_loader(new_session()).search_paths == before
