"""Options shared by several commands, and the parsing of change options into Changes.

Changes are parsed by click callbacks, so `--image nginx` (no `=`) is a usage error, exit 2, with
the library parser's own explanation of the expected form.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from ecsdeploy._front.aws import AwsOptions
from ecsdeploy._front.logs import LOG_FORMATS, LogFormat
from ecsdeploy._release.file_fields import CHECK_FIELDS, InvalidValueError, build_extra_checks
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import Change
from ecsdeploy.checks import HttpProbe
from ecsdeploy.exceptions import InputError

__all__ = ["DeployOptions", "aws_options", "change_parser", "deploy_options", "output_options"]

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
    """--region, --endpoint-url, --role-arn and --external-id (build an `AwsOptions` from
    them with `AwsOptions.from_cli`)."""
    for option in reversed(_AWS_OPTIONS):
        func = option(func)
    return func


def output_options(func: F) -> F:
    """--log-format and --no-live."""
    for option in reversed(_OUTPUT_OPTIONS):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """What every deploying command (deploy, release, rollback) is told about how to deploy,
    where, and how to show it. `None` means "not given"."""

    timeout: float | None
    poll_interval: float | None
    no_rollback: bool
    bake: float | None
    max_checks: int | None
    aws: AwsOptions
    log_format: LogFormat | None
    live: bool
    check_target_health: bool = False
    check_alarms: tuple[str, ...] = ()
    check_alarm_prefix: str | None = None
    check_http: tuple[str, ...] = ()

    @property
    def settings(self) -> DeploySettings:
        """The library's defaults with the given options on top."""
        given = {k: CHECK_FIELDS[k](v) for k, v in self._given_checks().items() if v is not None}
        extra = build_extra_checks(given)
        return DeploySettings().with_overrides(**self._given_settings(), extra_checks=extra)

    def overrides(self) -> dict[str, Any]:
        """Only what was given (a release file's own settings apply to the rest), with region
        and role."""
        given = {
            **self._given_settings(),
            **self._given_checks(),
            "region": self.aws.region,
            "role_arn": self.aws.role_arn,
            "external_id": self.aws.external_id,
        }
        return {key: value for key, value in given.items() if value is not None}

    def _given_checks(self) -> dict[str, Any]:
        """The health-check options, as the release file's keys (`target_health`, ...)."""
        return {
            "target_health": True if self.check_target_health else None,
            "alarms": list(self.check_alarms) or None,
            "alarm_prefix": self.check_alarm_prefix,
            "http_checks": [{"url": url} for url in self.check_http] or None,
        }

    def _given_settings(self) -> dict[str, Any]:
        return {
            "timeout": self.timeout,
            "poll_interval": self.poll_interval,
            "rollback": False if self.no_rollback else None,
            "bake": self.bake,
            "max_checks": self.max_checks,
        }


def deploy_options(func: Callable[..., None]) -> Callable[..., None]:
    """The options of deploy, release and rollback, handed to `func` as `options`."""

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        options = DeployOptions(
            timeout=kwargs.pop("timeout"),
            poll_interval=kwargs.pop("poll_interval"),
            no_rollback=kwargs.pop("no_rollback"),
            bake=kwargs.pop("bake"),
            max_checks=kwargs.pop("max_checks"),
            aws=AwsOptions(
                kwargs.pop("region"),
                kwargs.pop("endpoint_url"),
                kwargs.pop("role_arn"),
                external_id=kwargs.pop("external_id"),
            ),
            log_format=kwargs.pop("log_format"),
            live=not kwargs.pop("no_live"),
            check_target_health=kwargs.pop("check_target_health"),
            check_alarms=kwargs.pop("check_alarms"),
            check_alarm_prefix=kwargs.pop("check_alarm_prefix"),
            check_http=kwargs.pop("check_http"),
        )
        func(options=options, **kwargs)

    decorated: Callable[..., None] = command
    for option in reversed([*_SETTINGS_OPTIONS, *_CHECK_OPTIONS, *_AWS_OPTIONS, *_OUTPUT_OPTIONS]):
        decorated = option(decorated)
    return decorated


_SETTINGS_OPTIONS = [
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


def _http_urls(
    _ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> tuple[str, ...]:
    for url in values:
        try:
            HttpProbe(url)
        except InputError as exc:
            raise click.BadParameter(str(exc), param=param) from exc
    return tuple(values)


def _check_field(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback reading the option as the release file reads its `key` (so `deploy`
    refuses what `release` refuses, with exit 2 before any AWS call)."""

    def callback(_ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None or value == ():
            return value
        try:
            CHECK_FIELDS[key](list(value) if isinstance(value, tuple) else value)
        except InvalidValueError as exc:
            raise click.BadParameter(str(exc), param=param) from exc
        return value

    return callback


_CHECK_OPTIONS = [
    click.option(
        "--check-target-health",
        is_flag=True,
        help="Our tasks' targets must be healthy in the service's target groups (ELBv2).",
    ),
    click.option(
        "--check-alarm",
        "check_alarms",
        multiple=True,
        metavar="NAME",
        callback=_check_field("alarms"),
        help="This CloudWatch alarm must not go into ALARM (repeatable).",
    ),
    click.option(
        "--check-alarm-prefix",
        metavar="PREFIX",
        callback=_check_field("alarm_prefix"),
        help="No CloudWatch alarm whose name starts with PREFIX may go into ALARM.",
    ),
    click.option(
        "--check-http",
        multiple=True,
        metavar="URL",
        callback=_http_urls,
        help="URL must answer 200 three times in a row (repeatable).",
    ),
]

_AWS_OPTIONS = [
    click.option(
        "--region",
        metavar="REGION",
        help="AWS region; default AWS_REGION, then AWS_DEFAULT_REGION.",
    ),
    click.option(
        "--endpoint-url",
        metavar="URL",
        help="ECS endpoint (e.g. a simulator); default AWS_ENDPOINT_URL_ECS, else AWS.",
    ),
    click.option(
        "--role-arn",
        metavar="ROLE_ARN",
        help="Deploy with this role's credentials (STS AssumeRole, refreshed while it runs), "
        "e.g. in another account. In a release file it replaces [defaults]' role_arn, not a "
        "service's own.",
    ),
    click.option(
        "--external-id",
        metavar="ID",
        help="The external id the role's trust policy asks for (with --role-arn).",
    ),
]

_OUTPUT_OPTIONS = [
    click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        help="Format of log lines. [default: json when stdout is not a terminal, else console]",
    ),
    click.option(
        "--no-live",
        is_flag=True,
        help="Log one line per event instead of the live table (always so when not a terminal).",
    ),
]
