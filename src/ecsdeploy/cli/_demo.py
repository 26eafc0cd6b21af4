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
    ALL_SERVICES,
    BALANCED,
    CRASH_RULE,
    ELB_UNHEALTHY_RULE,
    REGION,
    behaved,
    create_balanced_service,
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
    """Deploy five services on a local ECS simulator; one new image crashes, one fails its load
    balancer's health checks, and both are rolled back.

    Exits 0 when the demo behaved as designed (api, worker, web SUCCEEDED; payments and
    storefront ROLLED_BACK).
    """

    async def main() -> int:
        # Imported here so the other commands never load the simulator.
        from ecsdeploy.sim import Simulator  # noqa: PLC0415

        settings = DeploySettings(
            poll_interval=_POLL_SECONDS / speed, timeout=_TIMEOUT_SECONDS / speed
        )
        release = demo_release(settings)
        presenter = choose_presenter(release.targets, live=not no_live, log_format=log_format)
        async with Simulator(speed=speed, seed=7) as sim:
            clients = sim.client_kwargs(region_name=REGION)
            session = demo_session()
            async with (
                session.client("ecs", **clients) as ecs,
                session.client("elbv2", **clients) as elbv2,
            ):
                await create_services(ecs)
                await create_balanced_service(ecs, elbv2)
            await sim.advance(600)
            sim.add_rule(CRASH_RULE)
            sim.add_rule(ELB_UNHEALTHY_RULE)
            presenter.note(
                f"A local ECS simulator runs at {sim.endpoint_url} ({speed:g}x speed). Cluster "
                f"'demo' has {len(ALL_SERVICES)} services; the release gives each a new image: "
                + ", ".join(f"{s.name} → {s.new_image}" for s in ALL_SERVICES)
                + f". payments 2.0 crashes on start (exit 1); {BALANCED.name} 1.1 runs but "
                "fails its load balancer's health checks, which ecsdeploy's TargetHealth "
                "check watches."
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
        storefront = result.by_service()[f"demo/{BALANCED.name}"]
        presenter.note(
            "As designed: api, worker and web run their new versions; payments was rolled back "
            f"by {payments.result.rolled_back_by if payments.result else '?'} "
            f"({payments.reason}); {BALANCED.name} was rolled back by "
            f"{storefront.result.rolled_back_by if storefront.result else '?'} "
            f"({storefront.reason}). The release is not atomic, so a failing service did not "
            "undo the others. Exit code of such a release in CI: "
            f"{result.exit_code}; the demo itself exits 0."
        )
        return 0

    run_async(main, mutating=False)
