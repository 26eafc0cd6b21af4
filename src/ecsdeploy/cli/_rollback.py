"""``ecsdeploy rollback``: return a service to an earlier revision, and watch it get there.

The rollback is an ordinary deployment of an existing revision, so it is watched like any other.
It runs with rollback enabled: if the earlier revision does not come up, ecsdeploy puts the
service back on the revision it ran before the command. A failed rollback therefore never
leaves a service worse than it was found (exit 1); only if that return fails too is it exit 3.
`--no-rollback` keeps the earlier revision in place even when it is unhealthy.
"""

from __future__ import annotations

from typing import Any

import anyio
import click

from ecsdeploy._deployer import gateway_of
from ecsdeploy._front.errors import report_deploys, run_async
from ecsdeploy._front.presenter import choose_presenter
from ecsdeploy._gateway import EcsGateway
from ecsdeploy._models import Target
from ecsdeploy._preflight import PREFLIGHT_READ_INTERVAL, as_of
from ecsdeploy._watch import CONFIRM_POLLS, CONFIRM_READS
from ecsdeploy.cli._options import DeployOptions, deploy_options
from ecsdeploy.cli._revisions import rollback_revision
from ecsdeploy.exceptions import AwsError, InputError, NothingChangedError, ServiceNotFoundError

__all__ = ["rollback"]


@click.command("rollback")
@click.option("--cluster", required=True, help="The ECS cluster.")
@click.option("--service", required=True, help="The ECS service.")
@click.option(
    "--to",
    metavar="REVISION",
    help="family:revision, a revision number, or an ARN. "
    "[default: the newest ACTIVE revision older than the current one]",
)
@deploy_options
def rollback(*, cluster: str, service: str, to: str | None, options: DeployOptions) -> None:
    """Roll a service back to an earlier task-definition revision and watch it.

    If the earlier revision fails to come up, the service is returned to the revision it runs
    now (exit 1) unless --no-rollback is given.
    """

    async def main() -> int:
        aws = options.aws
        presenter = choose_presenter(
            [Target(cluster, service, role_arn=aws.role_arn, external_id=aws.external_id)],
            live=options.live,
            log_format=options.log_format,
            default_region=options.aws.resolve_region(),
        )
        deployer = await options.aws.deployer(settings=options.settings, listeners=[presenter])
        async with deployer:
            gateway = await gateway_of(deployer)
            try:
                described = await _confirmed_service(
                    gateway, cluster, service, options.settings.poll_interval
                )
                current = str(described["taskDefinition"])
                revision = await rollback_revision(gateway, current, to)
            except InputError:
                raise
            except AwsError as exc:
                raise NothingChangedError.from_error(exc) from exc
            presenter.note(f"rolling {cluster}/{service} back: {current} → {revision}")
            with presenter:
                result = await deployer.deploy(
                    Target(
                        cluster,
                        service,
                        task_definition=revision,
                        role_arn=aws.role_arn,
                        external_id=aws.external_id,
                    )
                )
        return report_deploys(presenter, [result])

    run_async(main, mutating=True)


async def _confirmed_service(
    gateway: EcsGateway, cluster: str, service: str, poll_interval: float
) -> dict[str, Any]:
    """The service as it is now, from agreeing reads (ECS is eventually consistent): the newest
    of several answers (a stale one shows an older state), and "not found" only
    when ECS keeps saying so (one MISSING answer is not the service gone)."""
    interval = min(poll_interval, PREFLIGHT_READ_INTERVAL)
    started = anyio.current_time()
    reads = 0
    newest: dict[str, Any] | None = None
    missing: ServiceNotFoundError | None = None
    while True:
        try:
            described = await gateway.describe_service(cluster, service)
        except ServiceNotFoundError as exc:
            missing = exc
        else:
            if newest is None or as_of(described) > as_of(newest):
                newest = described
        reads += 1
        if reads >= CONFIRM_READS and anyio.current_time() - started >= CONFIRM_POLLS * interval:
            if newest is not None:
                return newest
            assert missing is not None
            raise missing
        await anyio.sleep(interval)
