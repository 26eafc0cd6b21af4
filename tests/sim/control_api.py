"""Calling the simulator's control API (/_sim/...) over HTTP, as a test harness would."""

from __future__ import annotations

from typing import Any

import aiohttp

from ecsdeploy.sim import Simulator


async def call(
    sim: Simulator, method: str, path: str, body: object = None, *, raw: bytes | None = None
) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request to the simulator's endpoint."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, sim.endpoint_url + path, json=None if raw is not None else body, data=raw
        ) as response,
    ):
        return response.status, await response.json(content_type=None)
