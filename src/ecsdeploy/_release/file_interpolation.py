"""``${VAR}`` references in release-file values, resolved from the environment.

CI systems hand a build its version in variables (``DRONE_COMMIT_SHA``, ``DRONE_TAG``), so a
release file names them instead of being rewritten per build. The syntax is the subset of the
shell's that Docker Compose also uses, so it reads the same everywhere:

- ``${NAME}``: the variable's value; an unset variable is an error, never an empty string, so
  ``myorg/app:${DRONE_TAG}`` cannot silently become ``myorg/app:``.
- ``${NAME:-default}``: `default` when NAME is unset or empty; the default may hold references.
- ``$$``: a literal ``$``. Any other ``$`` is an error, so ``$NAME`` (without braces) is caught
  rather than deployed as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "interpolate"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A value's ``$`` reference cannot be resolved; `variable` is its name, if it has one."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """`text` with every ``${NAME}``, ``${NAME:-default}`` and ``$$`` replaced.

    A default may itself hold references (``${A:-${B:-1.0}}``); it is resolved only when used.
    """
    parts: list[str] = []
    position = 0
    while (dollar := text.find("$", position)) != -1:
        parts.append(text[position:dollar])
        if text.startswith("$$", dollar):
            parts.append("$")
            position = dollar + 2
            continue
        if not text.startswith("${", dollar):
            raise InterpolationError(
                "a '$' must start a reference like ${NAME} or ${NAME:-default}; "
                "write '$$' for a literal dollar sign"
            )
        end = _closing_brace(text, dollar + 2)
        parts.append(_resolve(text[dollar + 2 : end], environ))
        position = end + 1
    parts.append(text[position:])
    return "".join(parts)


def _closing_brace(text: str, start: int) -> int:
    """The index of the '}' that closes the reference whose body starts at `start`."""
    depth = 1
    for index in range(start, len(text)):
        if text.startswith("${", index):
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise InterpolationError("'${' has no closing '}'")


def _resolve(body: str, environ: Mapping[str, str]) -> str:
    name, separator, default = body.partition(":-")
    if not _NAME.fullmatch(name):
        raise InterpolationError(
            f"'${{{body}}}' does not name a variable: expected ${{NAME}} or ${{NAME:-default}}, "
            "NAME made of letters, digits and '_', not starting with a digit"
        )
    value = environ.get(name)
    if separator:
        return value if value else interpolate(default, environ)
    if value is None:
        raise InterpolationError(
            f"environment variable {name} is not set (write ${{{name}:-default}} to allow that)",
            variable=name,
        )
    return value
