"""``ecsdeploy sim``: serve the ECS simulator until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import click


class CannotListenError(click.ClickException):
    """The address cannot be bound: bad configuration, exit 2 (DESIGN.md exit codes)."""

    exit_code = 2


@click.command("sim")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Simulated seconds per wall-clock second.",
)
@click.option("--seed", type=int, default=None, help="Make ids, faults and jitter repeatable.")
@click.option("--throttle", is_flag=True, help="Throttle requests at ECS's documented rates.")
def sim(host: str, port: int, speed: float, seed: int | None, throttle: bool) -> None:
    """Run a local Amazon ECS that any AWS client can use (endpoint_url / AWS_ENDPOINT_URL_ECS).

    Prints one line, "ECS simulator listening on http://HOST:PORT", once it accepts requests.
    The control API is at /_sim/ on the same port.
    """
    try:
        asyncio.run(_serve(host=host, port=port, speed=speed, seed=seed, throttle=throttle))
    except OSError as exc:  # address in use, host not local, permission denied
        message = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise CannotListenError(message) from exc


async def _serve(*, host: str, port: int, speed: float, seed: int | None, throttle: bool) -> None:
    # Imported here so `ecsdeploy --help` and the other commands never load the simulator.
    from ecsdeploy.sim import Simulator  # noqa: PLC0415

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Simulator(host=host, port=port, speed=speed, seed=seed, throttle=throttle) as sim:
        click.echo(f"ECS simulator listening on {sim.endpoint_url}")
        await stop.wait()
