"""The keys a release file's tables accept, and how each value is read and checked.

Each reader takes a parsed TOML value and returns it as the library wants it (durations as
`float`, check names as a tuple), or raises `InvalidValueError` saying what is wrong in the words of
TOML's own types, so the error can point at the key. Ranges are checked here too (not only by
`DeploySettings`) because here the key and its line are still known.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecsdeploy.checks import (
    Alarms,
    HealthCheck,
    HttpProbe,
    StoppedTasksCheck,
    TargetHealth,
    default_checks,
)
from ecsdeploy.exceptions import InputError

__all__ = [
    "BUILTIN_CHECKS",
    "CHANGE_KEYS",
    "CHECK_FIELDS",
    "CHECK_KEYS",
    "DEFAULTS_FIELDS",
    "LOCATION_KEYS",
    "OVERRIDE_FIELDS",
    "RELEASE_FIELDS",
    "RELEASE_KEYS",
    "SERVICE_FIELDS",
    "SETTING_KEYS",
    "STAGE_FIELDS",
    "STOPPED_TASKS",
    "TASK_FIELDS",
    "TASK_OVERRIDE_KEYS",
    "InvalidValueError",
    "Reader",
    "build_checks",
    "build_extra_checks",
    "describe_type",
    "unknown_key",
]


class InvalidValueError(ValueError):
    """A value has the wrong type or is out of range; the message says which and why."""


Reader = Callable[[Any], Any]


def describe_type(value: Any) -> str:
    """The TOML name of `value`'s type, for "expected X, got Y" messages."""
    names: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "boolean"),
        (int, "integer"),
        (float, "float"),
        (str, "string"),
        ((list, tuple), "array"),
        (Mapping, "table"),
        (datetime.datetime, "datetime"),
        (datetime.date, "date"),
        (datetime.time, "time"),
    ]
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def _seconds(*, zero_allowed: bool = False) -> Reader:
    def read(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValueError(f"expected a number of seconds, got {describe_type(value)}")
        if value < 0 or (value == 0 and not zero_allowed):
            bound = "must not be negative" if zero_allowed else "must be positive"
            raise InvalidValueError(f"{bound}, not {value}")
        return float(value)

    return read


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"expected an integer, got {describe_type(value)}")
    if value < 1:
        raise InvalidValueError(f"must be at least 1, not {value}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        hint = " (write true or false, unquoted)" if value in ("true", "false") else ""
        raise InvalidValueError(f"expected a boolean, got {describe_type(value)}{hint}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValueError(f"expected a string, got {describe_type(value)}")
    if not value.strip():
        raise InvalidValueError("must not be empty")
    return value


def _regions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValueError(f"expected an array of region names, got {describe_type(value)}")
    if not value:
        raise InvalidValueError("name at least one region")
    regions: list[str] = []
    for region in value:
        if not isinstance(region, str) or not region.strip():
            raise InvalidValueError(f"region names are non-empty strings, got {region!r}")
        if region in regions:
            raise InvalidValueError(f"region {region!r} is listed twice")
        regions.append(region)
    return tuple(regions)


#: The built-in health checks by the name they report under, in their default order.
BUILTIN_CHECKS: Mapping[str, type[HealthCheck]] = {
    str(check.name): type(check) for check in default_checks()
}
STOPPED_TASKS = StoppedTasksCheck().name


def _check_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValueError(f"expected an array of check names, got {describe_type(value)}")
    if not value:
        raise InvalidValueError(
            f"choose at least one check (leave 'checks' out for all of {list(BUILTIN_CHECKS)})"
        )
    names: list[str] = []
    for name in value:
        if not isinstance(name, str):
            raise InvalidValueError(f"check names are strings, got {describe_type(name)}")
        if name not in BUILTIN_CHECKS:
            raise InvalidValueError(unknown_key(name, BUILTIN_CHECKS, what="check"))
        if name in names:
            raise InvalidValueError(f"check {name!r} is listed twice")
        names.append(name)
    return tuple(names)


def build_checks(names: Sequence[str] | None, threshold: int | None) -> tuple[HealthCheck, ...]:
    """The chosen built-in checks (all when `names` is None), in the order given."""
    chosen = list(BUILTIN_CHECKS) if names is None else names
    return tuple(
        StoppedTasksCheck(threshold=threshold) if name == STOPPED_TASKS else BUILTIN_CHECKS[name]()
        for name in chosen
    )


def unknown_key(
    key: str, known: Sequence[str] | Mapping[str, Any], *, what: str = "key", hint: str = ""
) -> str:
    """``unknown key 'imagse' (did you mean 'images'?)``, else the hint, else the known keys."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown {what} {key!r} (did you mean {close[0]!r}?)"
    if hint:
        return f"unknown {what} {key!r}: {hint}"
    return f"unknown {what} {key!r}; expected one of: {', '.join(known)}"


def _alarm_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValueError(f"expected an array of alarm names, got {describe_type(value)}")
    names: list[str] = []
    for name in value:
        if not isinstance(name, str) or not name.strip():
            shown = describe_type(name) if not isinstance(name, str) else "an empty string"
            raise InvalidValueError(f"alarm names are non-empty strings, got {shown}")
        names.append(name)
    return tuple(dict.fromkeys(names))


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"expected an HTTP status (an integer), got {describe_type(value)}")
    return value


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidValueError(f"expected a table of header names, got {describe_type(value)}")
    for name, text in value.items():
        if not isinstance(text, str):
            raise InvalidValueError(
                f"header {name!r}: expected a string, got {describe_type(text)}"
            )
    return dict(value)


_HTTP_CHECK_KEYS: Mapping[str, Reader] = {
    "url": _text,
    "expect": _status,
    "times": _count,
    "failures": _count,
    "timeout": _seconds(),
    "headers": _headers,
}


def _http_checks(value: Any) -> tuple[HttpProbe, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValueError(
            f'expected an array of tables such as [{{ url = "https://…", expect = 200 }}], got '
            f"{describe_type(value)}"
        )
    probes: list[HttpProbe] = []
    for number, table in enumerate(value, start=1):
        where = f"http check {number}"
        if not isinstance(table, Mapping):
            raise InvalidValueError(f"{where}: expected a table, got {describe_type(table)}")
        for key in table:
            if key not in _HTTP_CHECK_KEYS:
                raise InvalidValueError(f"{where}: " + unknown_key(key, _HTTP_CHECK_KEYS))
        if "url" not in table:
            raise InvalidValueError(f"{where}: no 'url'")
        arguments: dict[str, Any] = {}
        for key, reader in _HTTP_CHECK_KEYS.items():
            if key in table:
                try:
                    arguments[key] = reader(table[key])
                except InvalidValueError as exc:
                    raise InvalidValueError(f"{where}: {key}: {exc}") from exc
        try:
            probes.append(HttpProbe(**arguments))
        except InputError as exc:
            raise InvalidValueError(f"{where}: {exc}") from exc
    return tuple(probes)


#: The keys that add the AWS- and HTTP-reading checks of `ecsdeploy.checks`.
CHECK_FIELDS: Mapping[str, Reader] = {
    "target_health": _flag,
    "alarms": _alarm_names,
    "alarm_prefix": _text,
    "http_checks": _http_checks,
}
CHECK_KEYS = tuple(CHECK_FIELDS)


def build_extra_checks(values: Mapping[str, Any]) -> tuple[HealthCheck, ...]:
    """The checks the CHECK_KEYS among `values` ask for (already read), in a fixed order."""
    checks: list[HealthCheck] = []
    if values.get("target_health"):
        checks.append(TargetHealth())
    names, prefix = values.get("alarms") or (), values.get("alarm_prefix")
    if names or prefix:
        checks.append(Alarms(*names, prefix=prefix))
    checks.extend(values.get("http_checks") or ())
    return tuple(checks)


#: Deployment settings, accepted in [defaults], per service and as overrides.
_SETTINGS: dict[str, Reader] = {
    "timeout": _seconds(),
    "poll_interval": _seconds(),
    "rollback": _flag,
    "bake": _seconds(zero_allowed=True),
    "max_checks": _count,
    "rollback_timeout": _seconds(),
    "wait_for_in_progress": _flag,
    "deregister_failed": _flag,
    "checks": _check_names,
    "stopped_tasks_threshold": _count,
    **CHECK_FIELDS,
}
SETTING_KEYS = tuple(_SETTINGS)
#: Where a service is and whose credentials deploy it. `regions` deploys the same service (same
#: name, same change) to each region listed.
_LOCATION: dict[str, Reader] = {
    "region": _text,
    "regions": _regions,
    "cluster": _text,
    "role_arn": _text,
    "external_id": _text,
}
LOCATION_KEYS = tuple(_LOCATION)
#: Settings of the release as a whole: [release], and for convenience [defaults].
RELEASE_FIELDS: Mapping[str, Reader] = {"name": _text, "atomic": _flag, "max_concurrency": _count}
RELEASE_KEYS = tuple(RELEASE_FIELDS)
DEFAULTS_FIELDS: Mapping[str, Reader] = {
    **_LOCATION,
    **_SETTINGS,
    "atomic": _flag,
    "max_concurrency": _count,
}
OVERRIDE_FIELDS: Mapping[str, Reader] = {**DEFAULTS_FIELDS, "name": _text}
SERVICE_FIELDS: Mapping[str, Reader] = {
    "service": _text,
    "task_definition": _text,
    **_LOCATION,
    **_SETTINGS,
}
STAGE_FIELDS: Mapping[str, Reader] = {"name": _text}
#: Per-service change tables; their shapes are read by the parser.
CHANGE_KEYS = ("images", "env", "unset_env", "secrets", "unset_secrets")


# -- one-off tasks: [[stage.task]] ------------------------------------------------------------

#: The plain keys of a [[stage.task]]; `command` and `env` (per-container tables) are read by
#: the parser. `cluster` and `region` default to [defaults]'.
TASK_FIELDS: Mapping[str, Reader] = {
    "name": _text,
    "task_definition": _text,
    "task_definition_of": _text,
    "network_from": _text,
    "timeout": _seconds(),
    "poll_interval": _seconds(),
    # Where, not whose: a task runs once, with the credentials of the service it takes its task
    # definition from (else the Deployer's), so role_arn, external_id and regions are no keys.
    "region": _text,
    "cluster": _text,
}
TASK_OVERRIDE_KEYS = ("command", "env")
