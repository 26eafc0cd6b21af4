"""Where a region comes from when none is named: the AWS CLI's own order, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["region_from_environment"]


def region_from_environment(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """`explicit`, else AWS_REGION, else AWS_DEFAULT_REGION; None when there is none.

    Callers raise their own error for None: only they know how the user names a region.
    """
    environ = os.environ if environ is None else environ
    return explicit or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
