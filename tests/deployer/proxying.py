"""What the test proxies in front of the simulator share: forwarding a request upstream as it
came, answering an AWS JSON error, and serving a handler on a free loopback port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def forward(
    upstream: str, request: web.Request, body: bytes, *, content_type: str
) -> tuple[bytes, int, str]:
    """POST `body` with the request's headers (but Host) to `upstream`; the answer's payload,
    status and Content-Type (`content_type` when it names none)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(upstream + request.path_qs, data=body, headers=headers) as answer,
    ):
        payload = await answer.read()
        return payload, answer.status, answer.headers.get("Content-Type", content_type)


def access_denied(message: str) -> web.Response:
    """AWS's AccessDeniedException, as ECS answers it over its JSON protocol."""
    error = {"__type": "AccessDeniedException", "message": message}
    return web.Response(
        body=json.dumps(error), status=400, headers={"Content-Type": "application/x-amz-json-1.1"}
    )


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """`handler` answering every POST on a free loopback port, stopped afterwards; its URL."""
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
