"""Structured log lines for CI: how the fronts configure structlog (the library never does).

Two streams, so the lines a CI log shows are the ones worth reading:

- the front's own lines, one per DeployEvent and one per result, at info level on stdout;
- the library's own log events, which repeat those at info level, only from warning up, on stderr.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any, Literal, TextIO, cast

import structlog
from structlog.typing import FilteringBoundLogger

__all__ = ["LOG_FORMATS", "LogFormat", "configure_library_logging", "default_log_format", "lines"]

LogFormat = Literal["json", "console"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "console")


def default_log_format(stream: TextIO | None = None) -> LogFormat:
    """JSON where no human watches (CI logs, pipes); readable key=value lines on a terminal."""
    stream = stream or sys.stdout
    return "console" if stream.isatty() else "json"


def _processors(log_format: LogFormat) -> list[Any]:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        renderer,
    ]


class _CurrentStderr(io.TextIOBase):
    """Whatever `sys.stderr` is when a line is written, not when logging was configured: rich's
    Live swaps in a proxy that prints above the live table instead of through it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_library_logging(log_format: LogFormat, *, file: TextIO | None = None) -> None:
    """Route the library's structlog events (warnings and errors only) to stderr."""
    structlog.configure(
        processors=_processors(log_format),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=file or cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )


def lines(log_format: LogFormat, *, file: TextIO | None = None) -> FilteringBoundLogger:
    """A logger writing the front's own lines to `file` (stdout by default), whatever the global
    structlog configuration is."""
    logger = structlog.wrap_logger(
        structlog.PrintLogger(file=file or sys.stdout),
        processors=_processors(log_format),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    return cast(FilteringBoundLogger, logger)
