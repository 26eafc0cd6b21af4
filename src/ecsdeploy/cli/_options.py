"""Options shared by several commands, and the parsing of change options into Changes.

Changes are parsed by click callbacks, so `--image nginx` (no `=`) is a usage error, exit 2, with
the library parser's own explanation of the expected form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ecsdeploy._front.logs import LOG_FORMATS
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import Change
from ecsdeploy.exceptions import InputError

__all__ = [
    "aws_options",
    "change_parser",
    "output_options",
    "settings_from",
    "settings_options",
]

F = TypeVar("F", bound=Callable[..., Any])

_POSITIVE = click.FloatRange(min=0, min_open=True)


def change_parser(
    parse: Callable[[str], Change],
) -> Callable[[click.Context, click.Parameter, Sequence[str]], tuple[Change, ...]]:
    """A click callback turning every value of a repeated option into a Change."""

    def callback(
        _ctx: click.Context, param: click.Parameter, values: Sequence[str]
    ) -> tuple[Change, ...]:
        try:
            return tuple(parse(value) for value in values)
        except InputError as exc:
            raise click.BadParameter(str(exc), param=param) from exc

    return callback


def aws_options(func: F) -> F:
    """--region and --endpoint-url (build an `AwsOptions` from them)."""
    func = click.option(
        "--endpoint-url",
        metavar="URL",
        help="ECS endpoint (e.g. a simulator); default AWS_ENDPOINT_URL_ECS, else AWS.",
    )(func)
    return click.option(
        "--region",
        metavar="REGION",
        help="AWS region; default AWS_REGION, then AWS_DEFAULT_REGION.",
    )(func)


def settings_options(func: F) -> F:
    """--timeout, --poll-interval, --no-rollback, --bake, --max-checks."""
    options = [
        click.option(
            "--timeout",
            type=_POSITIVE,
            metavar="SECONDS",
            help="Give up watching after this long, and roll back. [default: 600]",
        ),
        click.option(
            "--poll-interval",
            type=_POSITIVE,
            metavar="SECONDS",
            help="Seconds between two looks at the service. [default: 5]",
        ),
        click.option(
            "--no-rollback",
            is_flag=True,
            help="Leave a failed deployment in place (exit 1) instead of rolling back.",
        ),
        click.option(
            "--bake",
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            help="The deployment must stay healthy this long to count as succeeded.",
        ),
        click.option(
            "--max-checks",
            type=click.IntRange(min=1),
            metavar="N",
            help="Also give up after N looks (drone-deploy-ecs's max_deploy_checks).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_from(
    *,
    timeout: float | None,
    poll_interval: float | None,
    no_rollback: bool,
    bake: float | None,
    max_checks: int | None,
) -> DeploySettings:
    return DeploySettings().with_overrides(
        timeout=timeout,
        poll_interval=poll_interval,
        rollback=False if no_rollback else None,
        bake=bake,
        max_checks=max_checks,
    )


def output_options(func: F) -> F:
    """--log-format and --no-live."""
    func = click.option(
        "--no-live",
        is_flag=True,
        help="Log one line per event instead of the live table (always so when not a terminal).",
    )(func)
    return click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        help="Format of log lines. [default: json when stdout is not a terminal, else console]",
    )(func)
