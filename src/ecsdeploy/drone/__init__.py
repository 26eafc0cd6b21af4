"""The Drone plugin entry point: a drop-in for drone-deploy-ecs's settings.

`ecsdeploy-drone` (or `python -m ecsdeploy.drone`) reads Drone's PLUGIN_* variables (see
`_settings`), deploys with the Deployer and exits like every ecsdeploy front: 0 succeeded,
1 failed and rolled back (or rollbacks disabled), 2 bad settings (nothing changed), 3 rollback
failed or state unknown. CI logs get one structured line per event.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial

from ecsdeploy._front.errors import exit_for_error, report_deploys, report_release, run_front
from ecsdeploy._front.logs import configure_library_logging, lines
from ecsdeploy._front.presenter import LogPresenter
from ecsdeploy._models import Target
from ecsdeploy._release.file import load_release
from ecsdeploy._result import ExitCode
from ecsdeploy.drone._settings import PluginSettings
from ecsdeploy.exceptions import InputError

__all__ = ["PluginSettings", "main", "run"]


async def run(
    settings: PluginSettings, presenter: LogPresenter, environ: Mapping[str, str]
) -> ExitCode:
    """Deploy what the settings ask for; the exit code."""
    # A release file is read (and any mistake in it reported) before any AWS call.
    release = (
        load_release(settings.release_file, overrides=settings.release_overrides(), environ=environ)
        if settings.release_file
        else None
    )
    deployer = await settings.aws().deployer(
        settings=settings.deploy_settings(), listeners=[presenter]
    )
    async with deployer:
        if release is not None:
            return report_release(presenter, await deployer.release(release))
        assert settings.cluster is not None
        targets = [
            Target(settings.cluster, s, settings.changes, role_arn=settings.role_arn)
            for s in settings.services
        ]
        return report_deploys(presenter, await deployer.deploy_many(targets))


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the plugin with `environ` (default: the process environment); the exit code."""
    environ = os.environ if environ is None else environ
    # Until the settings are parsed, the log format is the one CI wants: JSON.
    configure_library_logging("json")
    try:
        settings = PluginSettings.from_environ(environ)
    except InputError as exc:
        return exit_for_error(exc, mutating=True)
    configure_library_logging(settings.log_format)
    presenter = LogPresenter(lines(settings.log_format))
    return run_front(partial(run, settings, presenter, environ), mutating=True)
