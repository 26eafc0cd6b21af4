"""A loopback HTTP proxy in front of the simulator that loses answers: the call reaches ECS and
is carried out, then the connection is dropped before the client hears back (what a timeout or
a reset after the request was sent looks like to an AWS client)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from aiohttp import web

from ecsdeploy import Deployer, DeploySettings, RetryPolicy
from ecsdeploy._result import Listener
from ecsdeploy.testing import POLL_INTERVAL, REGION, offline_session
from tests.deployer.proxying import access_denied, forward, serving


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
        operation = request.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        if (
            self.deny_tagging
            and operation == "RegisterTaskDefinition"
            and json.loads(body or b"{}").get("tags")
        ):
            self.denied += 1
            return access_denied(
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                "ecs:TagResource on resource: arn:aws:ecs:us-east-2:123456789012:task-definition/* "
                "because no identity-based policy allows the ecs:TagResource action"
            )
        payload, status, content_type = await forward(
            self.upstream, request, body, content_type="application/x-amz-json-1.1"
        )
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
    async with serving(proxy.handle) as proxy.url:
        yield proxy


def deployer_through(proxy: LossyProxy, *, listeners: Iterable[Listener] = ()) -> Deployer:
    """A Deployer calling ECS through `proxy`: a 30 s timeout, the suite's poll interval and
    fast retries, so that a lost answer is asked again within the test."""
    return Deployer(
        session=offline_session(),
        region=REGION,
        endpoint_url=proxy.url,
        settings=DeploySettings(timeout=30, poll_interval=POLL_INTERVAL),
        retry=RetryPolicy.fast(),
        listeners=listeners,
    )
