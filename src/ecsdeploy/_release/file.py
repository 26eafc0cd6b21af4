"""Release files: a release written as TOML, read into a validated `Release`.

The CLI (``ecsdeploy release FILE``) and the Drone plugin (``PLUGIN_RELEASE_FILE``) share this
reader, so one file means the same thing from either. Reading is pure: nothing is deployed and
nothing but the file (and the environment, for ``${VAR}``) is read, and a bad file raises
`ReleaseFileError` naming the file, the line, the key path and what is wrong, before any AWS call.

Layout (the README has the full reference)::

    [release]                      # optional: name, atomic, max_concurrency
    [defaults]                     # settings every service starts from
    [[stage]]                      # stages deploy in order
    name = "apps"
    [[stage.task]]                 # one-off tasks (migrations) run first, in order
    name = "migrate"
    task_definition_of = "api"     # the revision this release deploys to "api"
    command = { api = ["./manage.py", "migrate"] }
    [[stage.service]]              # the services of the stage deploy concurrently
    service = "api"
    images = { api = "myorg/app:${DRONE_TAG}" }

Precedence for a service's settings: its own keys, then the overrides (command-line flags), then
``[defaults]``, then the base `DeploySettings`. Flags override defaults, never a value a service
sets explicitly: that value was written for that one service on purpose.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecsdeploy._models import Target, TargetKey
from ecsdeploy._release.file_fields import (
    CHANGE_KEYS,
    CHECK_KEYS,
    DEFAULTS_FIELDS,
    OVERRIDE_FIELDS,
    RELEASE_FIELDS,
    RELEASE_KEYS,
    SERVICE_FIELDS,
    SETTING_KEYS,
    STAGE_FIELDS,
    STOPPED_TASKS,
    TASK_FIELDS,
    TASK_OVERRIDE_KEYS,
    InvalidValueError,
    Reader,
    build_checks,
    build_extra_checks,
    describe_type,
    unknown_key,
)
from ecsdeploy._release.file_interpolation import InterpolationError, interpolate
from ecsdeploy._release.file_lines import KeyPath, TomlLines, format_key_path
from ecsdeploy._release.model import Release, Stage
from ecsdeploy._release.tasks import OneOffTask
from ecsdeploy._settings import DeploySettings
from ecsdeploy._taskdef.changes import (
    _CONTAINER_NAME,
    Change,
    ImageChange,
    SetEnv,
    SetSecret,
    UnsetEnv,
    UnsetSecret,
)
from ecsdeploy.exceptions import InputError, ReleaseFileError

__all__ = ["load_release", "parse_release"]

_TOP_KEYS = ("release", "defaults", "stage")
_STAGE_KEYS = (*STAGE_FIELDS, "service", "task")
_TASK_KEYS = (*TASK_FIELDS, *TASK_OVERRIDE_KEYS)
_SERVICE_KEYS = (*SERVICE_FIELDS, *CHANGE_KEYS)
_DEPLOY_SETTING_KEYS = tuple(
    k for k in SETTING_KEYS if k not in ("checks", "stopped_tasks_threshold", *CHECK_KEYS)
)

_PER_SERVICE = "it is set per service, in a [[stage.service]]"
_PER_RELEASE = "it applies to the whole release: set it in [release]"
_A_SETTING = "it is a deployment setting: set it in [defaults] or in a [[stage.service]]"
_HINTS: Mapping[KeyPath, Mapping[str, str]] = {
    (): {
        **dict.fromkeys(("service", "services"), "services go in [[stage.service]] tables"),
        **dict.fromkeys(DEFAULTS_FIELDS, "settings go in [defaults]"),
        **dict.fromkeys(CHANGE_KEYS, _PER_SERVICE),
        "name": "the release's name goes in [release]",
    },
    ("release",): {**dict.fromkeys(DEFAULTS_FIELDS, _A_SETTING), "stage": "stages are top level"},
    ("defaults",): {
        **dict.fromkeys((*CHANGE_KEYS, "service", "task_definition"), _PER_SERVICE),
        "name": "the release's name goes in [release]",
    },
    ("stage",): {
        **dict.fromkeys(DEFAULTS_FIELDS, "a stage has no settings of its own; " + _A_SETTING),
        **dict.fromkeys(CHANGE_KEYS, _PER_SERVICE),
    },
    ("stage", "service"): {
        **dict.fromkeys(("atomic", "max_concurrency"), _PER_RELEASE),
        "name": "a service is named by 'service' ('name' names a stage)",
    },
}

_TASK_HINTS: Mapping[str, str] = {
    "service": "a task runs a task definition: name the service in 'task_definition_of'",
    "images": "a task runs its task definition's images; override 'command' or 'env'",
    **dict.fromkeys(
        ("secrets", "unset_env", "unset_secrets"), "a task overrides 'command' and 'env' only"
    ),
    **dict.fromkeys(
        ("role_arn", "external_id"),
        "a task runs with the credentials of the release's service named in "
        "'task_definition_of' (else the Deployer's)",
    ),
}

#: What a change table's entries must be, by the Python type tomllib gives them.
_SHAPES: Mapping[type, str] = {
    str: "an image reference (a string)",
    dict: "a table",
    list: "an array",
}

# Where tomllib reports a syntax error, e.g. "Invalid value (at line 3, column 9)".
_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_AT_END = "(at end of document)"

#: A value read from the file (with its key path) or from the overrides (no path).
_Sourced = tuple[Any, KeyPath | None]


def load_release(
    path: str | os.PathLike[str],
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    settings: DeploySettings | None = None,
) -> Release:
    """Read the release file at `path`; see `parse_release`. The name defaults to the file's stem.

    Raises `ReleaseFileError` if the file cannot be read, is not UTF-8 TOML, or is not a valid
    release.
    """
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReleaseFileError(f"not UTF-8 text ({exc.reason})", source=source) from exc
    except OSError as exc:
        raise ReleaseFileError(f"cannot read it: {exc.strerror or exc}", source=source) from exc
    parser = _Parser(text, source, overrides=overrides, environ=environ, settings=settings)
    return parser.release(default_name=Path(source).stem or "release")


def parse_release(
    text: str,
    *,
    source: str = "<string>",
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    settings: DeploySettings | None = None,
) -> Release:
    """Turn release-file TOML into a `Release` whose every Target carries its `DeploySettings`.

    - `source` names the text in error messages.
    - `overrides` (command-line flags: ``timeout``, ``rollback``, ``region``, ``atomic``, …, the
      keys of ``[defaults]`` plus ``name``) replace ``[defaults]``/``[release]`` values but not
      a service's own; `None` values are ignored, so unset flags can be passed as they are.
    - `environ` resolves ``${VAR}`` references (default: `os.environ`).
    - `settings` is what the file's settings are laid over (default: `DeploySettings()`); pass
      the Deployer's to keep, e.g., its `extra_checks`.

    Raises `ReleaseFileError` for anything wrong; nothing is deployed.
    """
    parser = _Parser(text, source, overrides=overrides, environ=environ, settings=settings)
    return parser.release(default_name="release")


def _inherited_for_another_role(
    role_path: KeyPath | None, external_id_path: KeyPath | None
) -> bool:
    """Whether an external id a service inherits was given for another role than its own: the
    service names its own role, or --role-arn replaced the [defaults] role the external id was
    written for. (An external id is the trust-policy secret of one role: sent with another, it
    would reach that other account's STS and CloudTrail.)"""

    def layer(key_path: KeyPath | None) -> str:
        if key_path is None:
            return "override"
        return "defaults" if key_path[:1] == ("defaults",) else "service"

    id_layer, role_layer = layer(external_id_path), layer(role_path)
    if id_layer == "service":
        return False
    return role_layer == "service" or (role_layer == "override" and id_layer == "defaults")


class _Parser:
    """One reading of one release file."""

    def __init__(
        self,
        text: str,
        source: str,
        *,
        overrides: Mapping[str, Any] | None,
        environ: Mapping[str, str] | None,
        settings: DeploySettings | None,
    ) -> None:
        self._text = text
        self._source = source
        self._lines = TomlLines(text)
        self._environ = os.environ if environ is None else environ
        self._base = settings or DeploySettings()
        self._raw_overrides = dict(overrides or {})

    def fail(self, path: KeyPath | None, problem: str) -> ReleaseFileError:
        """The error for `problem` at `path` (None: a command-line override, not in the file)."""
        if path is None:
            return ReleaseFileError(problem, source=self._source, key="overrides")
        return ReleaseFileError(
            problem,
            source=self._source,
            line=self._lines.line_of(path),
            key=format_key_path(path) or None,
        )

    def _where(self, path: KeyPath) -> str:
        """``stage[1].service[2] (line 14)``: another place in the file, for messages."""
        line = self._lines.line_of(path)
        return format_key_path(path) + (f" (line {line})" if line is not None else "")

    # -- the release ------------------------------------------------------------------------

    def release(self, *, default_name: str) -> Release:
        data = self._interpolated(self._toml(), ())
        self._check_keys(data, (), _TOP_KEYS)
        overrides = self._overrides()
        release_table = self._table(data, ("release",))
        defaults_table = self._table(data, ("defaults",))
        self._check_keys(release_table, ("release",), RELEASE_KEYS)
        self._check_keys(defaults_table, ("defaults",), tuple(DEFAULTS_FIELDS))
        release_values = self._values(release_table, ("release",), RELEASE_FIELDS)
        defaults = self._values(defaults_table, ("defaults",), DEFAULTS_FIELDS)
        for key in RELEASE_KEYS:
            if key in release_values and key in defaults:
                raise self.fail(
                    ("defaults", key), f"{key!r} is also set in [release]; keep one of the two"
                )
        release_wide = {
            k: v
            for k, v in {**defaults, **release_values, **overrides}.items()
            if k in RELEASE_KEYS
        }
        service_defaults = {
            k: v for k, v in {**defaults, **overrides}.items() if k not in RELEASE_KEYS
        }
        stages = self._stages(data, service_defaults)
        try:
            return Release(
                stages,
                atomic=release_wide.get("atomic", (True, None))[0],
                max_concurrency=release_wide.get("max_concurrency", (50, None))[0],
                name=release_wide.get("name", (default_name, None))[0],
            )
        except InputError as exc:
            raise self.fail((), str(exc)) from exc

    def _toml(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self._text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            position = _TOML_POSITION.search(message)
            if position is None:
                at_end = _AT_END in message and bool(self._text)
                last = len(self._text.splitlines()) if at_end else None
                problem = message.replace(_AT_END, "(at the end of the file)")
                raise ReleaseFileError(
                    f"invalid TOML: {problem}", source=self._source, line=last
                ) from exc
            problem = f"{message[: position.start()]} (column {position['column']})"
            raise ReleaseFileError(
                f"invalid TOML: {problem}", source=self._source, line=int(position["line"])
            ) from exc

    def _interpolated(self, node: Any, path: KeyPath) -> Any:
        """`node` with ``${VAR}`` resolved in every string value (keys are left as written)."""
        if isinstance(node, str):
            try:
                return interpolate(node, self._environ)
            except InterpolationError as exc:
                raise self.fail(path, str(exc)) from exc
        if isinstance(node, dict):
            return {k: self._interpolated(v, (*path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self._interpolated(v, (*path, i)) for i, v in enumerate(node)]
        return node

    def _overrides(self) -> dict[str, _Sourced]:
        values: dict[str, _Sourced] = {}
        for key, value in self._raw_overrides.items():
            if value is None:
                continue
            reader = OVERRIDE_FIELDS.get(key)
            if reader is None:
                raise self.fail(None, unknown_key(key, OVERRIDE_FIELDS, what="override"))
            try:
                values[key] = (reader(value), None)
            except InvalidValueError as exc:
                raise self.fail(None, f"{key}: {exc}") from exc
        return values

    # -- stages and services ----------------------------------------------------------------

    def _stages(self, data: Mapping[str, Any], defaults: Mapping[str, _Sourced]) -> list[Stage]:
        raw = data.get("stage")
        if raw is None or raw == []:
            raise self.fail((), "no stages: add a [[stage]] with at least one [[stage.service]]")
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            raise self.fail(
                ("stage",),
                f"expected an array of tables ([[stage]] headers), got {describe_type(raw)}",
            )
        stages: list[Stage] = []
        stage_names: dict[str, int] = {}
        seen: dict[TargetKey, KeyPath] = {}
        task_names: dict[str, KeyPath] = {}
        for index, stage in enumerate(raw):
            path: KeyPath = ("stage", index)
            self._check_keys(stage, path, _STAGE_KEYS, hints=_HINTS[("stage",)])
            name = self._values(stage, path, STAGE_FIELDS).get("name", (f"stage-{index + 1}",))[0]
            if name in stage_names:
                first = format_key_path(("stage", stage_names[name]))
                raise self.fail((*path, "name"), f"stage name {name!r} is already used by {first}")
            stage_names[name] = index
            tasks = self._tasks(stage, path, defaults, stage_name=name)
            for number, task in enumerate(tasks):
                task_path: KeyPath = (*path, "task", number)
                if task.name in task_names:
                    named = "name" in stage["task"][number]
                    raise self.fail(
                        (*task_path, "name") if named else task_path,
                        f"task name {task.name!r} is already used by "
                        f"{self._where(task_names[task.name])}; one-off task names must be unique "
                        "per release",
                    )
                task_names[task.name] = task_path
            services = stage.get("service")
            if (services is None or services == []) and tasks:
                stages.append(Stage(name, tasks=tasks))
                continue
            if services is None or services == []:
                raise self.fail(
                    path, f"stage {name!r} has no services: add a [[stage.service]] after it"
                )
            if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
                raise self.fail(
                    (*path, "service"),
                    "expected an array of tables ([[stage.service]] headers), got "
                    f"{describe_type(services)}",
                )
            targets = []
            for number, service in enumerate(services):
                service_path: KeyPath = (*path, "service", number)
                for target in self._targets(service, service_path, defaults):
                    if target.key in seen:
                        raise self.fail(
                            (*service_path, "service"),
                            f"service {target} is already deployed by "
                            f"{self._where(seen[target.key])}; a service may appear once per "
                            "release",
                        )
                    seen[target.key] = service_path
                    targets.append(target)
            stages.append(Stage(name, targets, tasks=tasks))
        return stages

    def _targets(
        self, table: Mapping[str, Any], path: KeyPath, defaults: Mapping[str, _Sourced]
    ) -> list[Target]:
        """The service's target, or one per region of its `regions`."""
        self._check_keys(table, path, _SERVICE_KEYS, hints=_HINTS[("stage", "service")])
        own = self._values(table, path, SERVICE_FIELDS)
        values = {**defaults, **own}
        regions = self._regions(own, defaults, path)
        if "service" not in values:
            raise self.fail(path, "no 'service': name the ECS service to deploy")
        if "cluster" not in values:
            raise self.fail(path, "no cluster: set 'cluster' here or in [defaults]")
        changes = self._changes(table, path)
        task_definition = values.get("task_definition", (None, None))[0]
        if not changes and task_definition is None:
            raise self.fail(
                path,
                "nothing to deploy: set images, env, unset_env, secrets or unset_secrets, or "
                "task_definition to deploy an existing revision",
            )
        external_id, external_id_path = values.get("external_id", (None, None))
        role_arn, role_path = values.get("role_arn", (None, None))
        if external_id is not None and role_arn is None:
            raise self.fail(external_id_path or path, "external_id needs a role_arn to go with")
        if external_id is not None and _inherited_for_another_role(role_path, external_id_path):
            external_id = None
        settings = self._settings(values, path)
        return [
            Target(
                values["cluster"][0],
                values["service"][0],
                changes,
                region=region,
                task_definition=task_definition,
                settings=settings,
                role_arn=role_arn,
                external_id=external_id,
            )
            for region in regions
        ]

    def _regions(
        self, own: Mapping[str, _Sourced], defaults: Mapping[str, _Sourced], path: KeyPath
    ) -> tuple[str | None, ...]:
        """Where the service deploys: its own `region`/`regions`, else a `--region` override,
        else [defaults]' `region`/`regions`; (None,) for the Deployer's region."""
        if "region" in own or "regions" in own:
            chosen = own
        elif "region" in defaults and defaults["region"][1] is None:
            return (defaults["region"][0],)  # a --region given on the command line
        else:
            chosen = defaults
        if "region" in chosen and "regions" in chosen:
            where = chosen["regions"][1] or path
            raise self.fail(where, "set either 'region' or 'regions', not both")
        if "regions" in chosen:
            return tuple(chosen["regions"][0])
        return (chosen.get("region", (None, None))[0],)

    def _settings(self, values: Mapping[str, _Sourced], path: KeyPath) -> DeploySettings:
        names, _ = values.get("checks", (None, None))
        threshold, threshold_path = values.get("stopped_tasks_threshold", (None, None))
        if threshold is not None and names is not None and STOPPED_TASKS not in names:
            where = threshold_path or path
            raise self.fail(
                where,
                f"stopped_tasks_threshold needs the {STOPPED_TASKS!r} check, which 'checks' "
                "leaves out",
            )
        checks = None if names is None and threshold is None else build_checks(names, threshold)
        plain = {k: values[k][0] for k in _DEPLOY_SETTING_KEYS if k in values}
        extra = build_extra_checks({k: values[k][0] for k in CHECK_KEYS if k in values})
        try:
            return self._base.with_overrides(
                **plain,
                checks=checks,
                extra_checks=(*self._base.extra_checks, *extra) if extra else None,
            )
        except InputError as exc:
            raise self.fail(path, str(exc)) from exc

    # -- one-off tasks: [[stage.task]] ------------------------------------------------------

    def _tasks(
        self,
        stage: Mapping[str, Any],
        path: KeyPath,
        defaults: Mapping[str, _Sourced],
        *,
        stage_name: str,
    ) -> list[OneOffTask]:
        raw = stage.get("task")
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            raise self.fail(
                (*path, "task"),
                f"expected an array of tables ([[stage.task]] headers), got {describe_type(raw)}",
            )
        return [
            self._task(
                table,
                (*path, "task", number),
                defaults,
                default_name=f"{stage_name}-task-{number + 1}",
            )
            for number, table in enumerate(raw)
        ]

    def _task(
        self,
        table: Mapping[str, Any],
        path: KeyPath,
        defaults: Mapping[str, _Sourced],
        *,
        default_name: str,
    ) -> OneOffTask:
        self._check_keys(table, path, _TASK_KEYS, hints=_TASK_HINTS)
        own = self._values(table, path, TASK_FIELDS)
        # A task's timeout is its own (a deployment's watch is no measure of a migration).
        where = {k: v for k, v in defaults.items() if k in ("cluster", "region", "poll_interval")}
        values = {**where, **own}
        if "cluster" not in values:
            raise self.fail(path, "no cluster: set 'cluster' here or in [defaults]")
        if "region" not in values and "regions" in defaults:
            # Else it would run in the Deployer's region with the Deployer's credentials, not
            # with those of its service there.
            regions = ", ".join(defaults["regions"][0])
            raise self.fail(
                path,
                f"[defaults] deploys to several regions ({regions}); a task runs in one: set "
                "its 'region'",
            )
        given = [k for k in ("task_definition", "task_definition_of") if k in own]
        if len(given) != 1:
            raise self.fail(
                (*path, given[1]) if len(given) == 2 else path,
                "give either task_definition (family, family:revision or ARN) or "
                "task_definition_of (a service whose task definition it runs), "
                + ("not both" if given else "one of the two"),
            )
        command: dict[str, list[str]] = {}
        for container, argv, at in self._per_container(table, path, "command", list):
            if not argv:
                raise self.fail(at, "the command is empty")
            for index, word in enumerate(argv):
                self._expect((*at, index), word, str, "a string")
            command[container] = argv
        env: dict[str, dict[str, str]] = {}
        for container, pairs, at in self._per_container(table, path, "env", dict):
            for name, value in pairs.items():
                self._expect((*at, name), value, str, "a string (quote it)")
            env[container] = pairs
        name = values.get("name", (default_name,))[0]
        try:
            return OneOffTask(
                name,
                cluster=values["cluster"][0],
                task_definition=values.get("task_definition", (None,))[0],
                task_definition_of=values.get("task_definition_of", (None,))[0],
                network_from=values.get("network_from", (None,))[0],
                command=command,
                env=env,
                region=values.get("region", (None,))[0],
                poll_interval=values.get("poll_interval", (None,))[0],
                **({"timeout": values["timeout"][0]} if "timeout" in values else {}),
            )
        except InputError as exc:
            raise self.fail(path, str(exc)) from exc

    # -- changes ----------------------------------------------------------------------------

    def _changes(self, table: Mapping[str, Any], path: KeyPath) -> list[Change]:
        changes: list[Change] = []
        for container, image, at in self._per_container(table, path, "images", str):
            changes.append(self._change(at, ImageChange, container, image))
        set_names: set[tuple[str, str, str]] = set()
        for kind, setter, unsetter in (
            ("env", SetEnv, UnsetEnv),
            ("secrets", SetSecret, UnsetSecret),
        ):
            for container, pairs, at in self._per_container(table, path, kind, dict):
                for name, value in pairs.items():
                    self._expect((*at, name), value, str, "a string (quote it)")
                    changes.append(self._change((*at, name), setter, container, name, value))
                    set_names.add((kind, container, name))
            unset = f"unset_{kind}"
            for container, names, at in self._per_container(table, path, unset, list):
                for index, name in enumerate(names):
                    self._expect((*at, index), name, str, "a string")
                    if (kind, container, name) in set_names:
                        raise self.fail(
                            (*at, index),
                            f"{container}:{name} is both set in {kind!r} and unset in {unset!r}",
                        )
                    changes.append(self._change((*at, index), unsetter, container, name))
        return changes

    def _per_container(
        self, table: Mapping[str, Any], path: KeyPath, key: str, shape: type
    ) -> list[tuple[str, Any, KeyPath]]:
        """The ``{container = value}`` entries of `table[key]`, container names checked."""
        raw = table.get(key)
        if raw is None:
            return []
        self._expect((*path, key), raw, dict, "a table of container names")
        entries = []
        wanted = _SHAPES[shape]
        for container, value in raw.items():
            at: KeyPath = (*path, key, container)
            if not _CONTAINER_NAME.fullmatch(container):
                raise self.fail(
                    at,
                    f"container name {container!r} may contain only letters, digits, '_' and "
                    "'-' (up to 255)",
                )
            self._expect(at, value, shape, wanted)
            entries.append((container, value, at))
        return entries

    def _change(self, path: KeyPath, kind: type[Change], *args: str) -> Change:
        try:
            return kind(*args)
        except InputError as exc:
            raise self.fail(path, str(exc)) from exc

    # -- keys and values --------------------------------------------------------------------

    def _table(self, data: Mapping[str, Any], path: KeyPath) -> Mapping[str, Any]:
        value = data.get(str(path[-1]), {})
        self._expect(path, value, dict, "a table")
        return value  # type: ignore[no-any-return]

    def _expect(self, path: KeyPath, value: Any, kind: type, wanted: str) -> None:
        if not isinstance(value, kind):
            raise self.fail(path, f"expected {wanted}, got {describe_type(value)}")

    def _check_keys(
        self,
        table: Mapping[str, Any],
        path: KeyPath,
        known: tuple[str, ...],
        *,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        hints = _HINTS.get(path, {}) if hints is None else hints
        for key in table:
            if key not in known:
                raise self.fail((*path, key), unknown_key(key, known, hint=hints.get(key, "")))

    def _values(
        self, table: Mapping[str, Any], path: KeyPath, fields: Mapping[str, Reader]
    ) -> dict[str, _Sourced]:
        values: dict[str, _Sourced] = {}
        for key, reader in fields.items():
            value = self._read(table, (*path, key), reader)
            if value is not None:
                values[key] = (value, (*path, key))
        return values

    def _read(self, table: Mapping[str, Any], path: KeyPath, reader: Reader) -> Any:
        key = str(path[-1])
        if key not in table:
            return None
        try:
            return reader(table[key])
        except InvalidValueError as exc:
            raise self.fail(path, str(exc)) from exc
