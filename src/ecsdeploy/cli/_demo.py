"""``ecsdeploy demo``: a release on the bundled ECS simulator, in front of you. No AWS account."""

from __future__ import annotations

import click

from ecsdeploy._deployer import Deployer
from ecsdeploy._front.errors import run_async
from ecsdeploy._front.logs import LogFormat
from ecsdeploy._front.presenter import choose_presenter
from ecsdeploy._retry import RetryPolicy
from ecsdeploy._settings import DeploySettings
from ecsdeploy.cli._demo_scenario import (
    CRASH_RULE,
    REGION,
    SERVICES,
    behaved,
    create_services,
    demo_release,
    demo_session,
)
from ecsdeploy.cli._options import output_options

__all__ = ["demo"]

#: ecsdeploy's defaults in simulated seconds; the demo divides them by the speed.
_POLL_SECONDS = 5.0
_TIMEOUT_SECONDS = 600.0


@click.command("demo")
@click.option(
    "--speed",
    type=click.FloatRange(min=1),
    default=20.0,
    show_default=True,
    help="Simulated seconds per wall-clock second.",
)
@output_options
def demo(*, speed: float, log_format: LogFormat | None, no_live: bool) -> None:
    """Deploy four services on a local ECS simulator; one new image crashes and is rolled back.

    Exits 0 when the demo behaved as designed (api, worker, web SUCCEEDED; payments ROLLED_BACK).
    """

    async def main() -> int:
        # Imported here so the other commands never load the simulator.
        from ecsdeploy.sim import Simulator  # noqa: PLC0415

        release = demo_release()
        presenter = choose_presenter(release.targets, live=not no_live, log_format=log_format)
        async with Simulator(speed=speed, seed=7) as sim:
            async with demo_session().client("ecs", **sim.client_kwargs(region_name=REGION)) as ecs:
                await create_services(ecs)
            await sim.advance(600)
            sim.add_rule(CRASH_RULE)
            presenter.note(
                f"A local ECS simulator runs at {sim.endpoint_url} ({speed:g}x speed). Cluster "
                f"'demo' has {len(SERVICES)} services; the release gives each a new image: "
                + ", ".join(f"{s.name} → {s.new_image}" for s in SERVICES)
                + ". payments 2.0 crashes on start (exit 1)."
            )
            settings = DeploySettings(
                poll_interval=_POLL_SECONDS / speed, timeout=_TIMEOUT_SECONDS / speed
            )
            async with Deployer(
                session=demo_session(),
                region=REGION,
                endpoint_url=sim.endpoint_url,
                settings=settings,
                retry=RetryPolicy.fast(),
                listeners=[presenter],
            ) as deployer:
                with presenter:
                    result = await deployer.release(release)
        presenter.release_result(result)
        problems = behaved(result)
        if problems:
            presenter.note("The demo did not behave as designed: " + "; ".join(problems))
            return 1
        payments = result.by_service()["demo/payments"]
        presenter.note(
            "As designed: api, worker and web run their new versions; payments was rolled back "
            f"by {payments.result.rolled_back_by if payments.result else '?'} "
            f"({payments.reason}). The release is not atomic, so one failing service did not "
            "undo the others. Exit code of such a release in CI: "
            f"{result.exit_code}; the demo itself exits 0."
        )
        return 0

    run_async(main, mutating=False)
