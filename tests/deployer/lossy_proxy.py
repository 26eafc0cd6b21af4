"""A loopback HTTP proxy in front of the simulator that loses answers: the call reaches ECS and
is carried out, then the connection is dropped before the client hears back (what a timeout or
a reset after the request was sent looks like to an AWS client)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import anyio
from aiohttp import web


@dataclass
class LossyProxy:
    upstream: str
    #: Operation name → how many of its answers to lose.
    lose: dict[str, int] = field(default_factory=dict)
    url: str = ""
    lost: int = 0
    #: Set once an answer was lost.
    answer_lost: anyio.Event = field(default_factory=anyio.Event)
    #: Refuse RegisterTaskDefinition calls that carry tags, as AWS does for a caller whose IAM
    #: policy lacks ecs:TagResource (tagging on create is authorized as TagResource).
    deny_tagging: bool = False
    denied: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        operation = request.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        if (
            self.deny_tagging
            and operation == "RegisterTaskDefinition"
            and json.loads(body or b"{}").get("tags")
        ):
            self.denied += 1
            error = {
                "__type": "AccessDeniedException",
                "message": "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                "ecs:TagResource on resource: arn:aws:ecs:us-east-2:123456789012:task-definition/* "
                "because no identity-based policy allows the ecs:TagResource action",
            }
            return web.Response(
                body=json.dumps(error),
                status=400,
                headers={"Content-Type": "application/x-amz-json-1.1"},
            )
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.upstream + request.path_qs, data=body, headers=headers) as upstream,
        ):
            payload = await upstream.read()
            status = upstream.status
            content_type = upstream.headers.get("Content-Type", "application/x-amz-json-1.1")
        if self.lose.get(operation, 0) > 0:
            self.lose[operation] -= 1
            self.lost += 1
            self.answer_lost.set()
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        return web.Response(body=payload, status=status, headers={"Content-Type": content_type})


@asynccontextmanager
async def lossy_proxy(
    upstream: str, lose: dict[str, int], *, deny_tagging: bool = False
) -> AsyncIterator[LossyProxy]:
    proxy = LossyProxy(upstream, dict(lose), deny_tagging=deny_tagging)
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    proxy.url = f"http://127.0.0.1:{port}"
    try:
        yield proxy
    finally:
        await runner.cleanup()
