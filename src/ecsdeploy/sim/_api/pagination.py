"""Opaque nextToken pagination over an already ordered list, as ECS List* operations page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

from ecsdeploy.sim._api.errors import invalid_parameter

T = TypeVar("T")


def page(items: Sequence[T], *, next_token: str | None, size: int) -> tuple[list[T], str | None]:
    """One page of `items` and the token of the next page (None when this is the last)."""
    start = _decode(next_token) if next_token else 0
    chunk = list(items[start : start + size])
    end = start + len(chunk)
    return chunk, (_encode(end) if end < len(items) else None)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"ecsdeploy-sim:{offset}".encode()).decode()


def _decode(token: str) -> int:
    try:
        prefix, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        prefix, offset = "", ""
    if prefix != "ecsdeploy-sim" or not offset.isdigit():
        raise invalid_parameter("Invalid nextToken.")
    return int(offset)
