"""``${VAR}`` references in release-file values, resolved from the environment.

CI systems hand a build its version in variables (``DRONE_COMMIT_SHA``, ``DRONE_TAG``), so a
release file names them instead of being rewritten per build. The syntax is the subset of the
shell's that Docker Compose also uses, so it reads the same everywhere:

- ``${NAME}``: the variable's value; an unset variable is an error, never an empty string, so
  ``myorg/app:${DRONE_TAG}`` cannot silently become ``myorg/app:``.
- ``${NAME:-default}``: `default` when NAME is unset or empty.
- ``$$``: a literal ``$``. Any other ``$`` is an error, so ``$NAME`` (without braces) is caught
  rather than deployed as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "interpolate"]

_REFERENCE = re.compile(r"\$\$|\$\{(?P<body>[^}]*)\}|\$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A value's ``$`` reference cannot be resolved; `variable` is its name, if it has one."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """`text` with every ``${NAME}``, ``${NAME:-default}`` and ``$$`` replaced."""

    def replace(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        body = match.group("body")
        if body is None:
            rest = text[match.end() :]
            if rest.startswith("{"):
                raise InterpolationError("'${' has no closing '}'")
            raise InterpolationError(
                "a '$' must start a reference like ${NAME} or ${NAME:-default}; "
                "write '$$' for a literal dollar sign"
            )
        name, separator, default = body.partition(":-")
        if not _NAME.fullmatch(name):
            raise InterpolationError(
                f"'${{{body}}}' does not name a variable: expected ${{NAME}} or "
                "${NAME:-default}, NAME made of letters, digits and '_', not starting with a digit"
            )
        value = environ.get(name)
        if separator:
            return value if value else default
        if value is None:
            raise InterpolationError(
                f"environment variable {name} is not set (write ${{{name}:-default}} to "
                "allow that)",
                variable=name,
            )
        return value

    return _REFERENCE.sub(replace, text)
