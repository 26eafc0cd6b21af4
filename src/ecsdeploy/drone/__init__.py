"""The Drone plugin entry point: a drop-in for drone-deploy-ecs's settings.

`ecsdeploy-drone` (or `python -m ecsdeploy.drone`) reads Drone's PLUGIN_* variables (see
`_settings`), deploys with the Deployer and exits like every ecsdeploy front: 0 succeeded,
1 failed and rolled back (or rollbacks disabled), 2 bad settings (nothing changed), 3 rollback
failed or state unknown. CI logs get one structured line per event.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from functools import partial

import anyio

from ecsdeploy._deployer import Deployer
from ecsdeploy._models import Target
from ecsdeploy._release import ReleaseResult
from ecsdeploy._releasefile import load_release
from ecsdeploy._result import DeployResult, exit_code_of_all
from ecsdeploy.cli._logs import configure_library_logging, lines
from ecsdeploy.cli._presenter import LogPresenter
from ecsdeploy.cli._signals import Interrupted, run_until_signalled
from ecsdeploy.drone._assume_role import assumed_session
from ecsdeploy.drone._settings import PluginSettings
from ecsdeploy.exceptions import AwsError, InputError, NothingChangedError

__all__ = ["PluginSettings", "main", "run"]


async def run(settings: PluginSettings, presenter: LogPresenter, environ: Mapping[str, str]) -> int:
    """Deploy what the settings ask for; the exit code."""
    # A release file is read (and any mistake in it reported) before any AWS call.
    release = (
        load_release(settings.release_file, overrides=settings.release_overrides(), environ=environ)
        if settings.release_file
        else None
    )
    session = (
        await assumed_session(settings.role_arn, region=settings.region)
        if settings.role_arn
        else None
    )
    async with Deployer(
        session=session,
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        settings=settings.deploy_settings(),
        listeners=[presenter],
    ) as deployer:
        if release is not None:
            return _reported_release(presenter, await deployer.release(release))
        assert settings.cluster is not None
        targets = [Target(settings.cluster, s, settings.changes) for s in settings.services]
        return _reported_deploys(presenter, await deployer.deploy_many(targets))


def _reported_release(presenter: LogPresenter, result: ReleaseResult) -> int:
    presenter.release_result(result)
    if result.error:
        print(f"Error: {result.error}", file=sys.stderr)
    return result.exit_code


def _reported_deploys(presenter: LogPresenter, results: Sequence[DeployResult]) -> int:
    presenter.deploy_results(results)
    for result in results:
        if result.exit_code == 2:
            print(f"Error: {result.target}: {result.reason}", file=sys.stderr)
    return exit_code_of_all(results)


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the plugin with `environ` (default: the process environment); the exit code."""
    environ = os.environ if environ is None else environ
    # Until the settings are parsed, the log format is the one CI wants: JSON.
    configure_library_logging("json")
    try:
        settings = PluginSettings.from_environ(environ)
        configure_library_logging(settings.log_format)
        presenter = LogPresenter(lines(settings.log_format))
        return anyio.run(run_until_signalled, partial(run, settings, presenter, environ))
    except Interrupted as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 3
    except InputError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except NothingChangedError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except AwsError as exc:
        print(f"Error: {exc}; the service's state is unknown, check it", file=sys.stderr)
        return 3
