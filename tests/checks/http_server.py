"""A small HTTP server on a free loopback port whose answers a test sets, for `HttpProbe`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from aiohttp import web


@dataclass
class Endpoint:
    """What the server answers now, and what it was asked."""

    url: str = ""
    status: int = 200
    body: str = "ok"
    #: While set, requests wait (until the server stops): the client's timeout must fire.
    hang: bool = False
    hosts: list[str] = field(default_factory=list)
    requests: int = 0
    _stop: anyio.Event = field(default_factory=anyio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.hosts.append(request.headers.get("Host", ""))
        if self.hang:
            await self._stop.wait()
        return web.Response(status=self.status, text=self.body)


@asynccontextmanager
async def http_endpoint() -> AsyncIterator[Endpoint]:
    """An `Endpoint` served at `endpoint.url` (path /health) until the block ends."""
    endpoint = Endpoint()
    app = web.Application()
    app.router.add_get("/health", endpoint.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.url = f"http://127.0.0.1:{port}/health"
    try:
        yield endpoint
    finally:
        endpoint._stop.set()
        await runner.cleanup()
