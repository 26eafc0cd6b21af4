"""Release files written from tables: one layout for the tests of every front that reads them.

`release_text()` writes a leading blank line, then `[release]`, `[defaults]` and each stage's
`[[stage]]` header, its tasks and then its services, one key a line and no blank lines between
tables, so that a line number a test expects can be counted from the call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Value = str | int | float | Sequence[str] | Mapping[str, str]
Table = Mapping[str, Value]


def service(name: str, *, images: Mapping[str, str], **keys: Value) -> dict[str, Value]:
    """A `[[stage.service]]` table: `service` first, `images` last, `keys` between."""
    return {"service": name, **keys, "images": images}


@dataclass(frozen=True)
class StageTable:
    """One `[[stage]]`: its name (none: no `name` line), tasks, then services."""

    services: Sequence[Table] = ()
    name: str | None = None
    tasks: Sequence[Table] = ()


def stage(*services: Table, name: str | None = None, tasks: Sequence[Table] = ()) -> StageTable:
    return StageTable(services, name, tasks)


def release_text(
    *stages: StageTable,
    defaults: Table | None = None,
    release: Table | None = None,
) -> str:
    """The TOML of a release file with these tables, in the layout the module docstring says."""
    lines = [""]
    for header, table in (("[release]", release), ("[defaults]", defaults)):
        if table is not None:
            lines += [header, *_keys(table)]
    for one in stages:
        lines.append("[[stage]]")
        if one.name is not None:
            lines.append(f"name = {_value(one.name)}")
        for task in one.tasks:
            lines += ["[[stage.task]]", *_keys(task)]
        for table in one.services:
            lines += ["[[stage.service]]", *_keys(table)]
    return "\n".join(lines) + "\n"


def _keys(table: Table) -> list[str]:
    return [f"{key} = {_value(value)}" for key, value in table.items()]


def _value(value: Value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{key} = {_value(item)}" for key, item in value.items())
        return f"{{ {pairs} }}"
    if isinstance(value, (int, float)):
        return str(value)
    return f"[{', '.join(_value(item) for item in value)}]"


def nginx_web(image: str = "myorg/nginx:2.0", **keys: Value) -> dict[str, Value]:
    """`web` with its `nginx` container on `image`: the service the simulator tests arrange."""
    return service("web", images={"nginx": image}, **keys)


def org_service(name: str, **keys: Value) -> dict[str, Value]:
    """Service `name` with its container `name` on org/`name`:2: the parsing tests' service."""
    return service(name, images={name: f"org/{name}:2"}, **keys)
