"""A loopback HTTP proxy in front of the simulator that records who signed each call.

Every request is forwarded as it came (the simulator reads the signer's access key, not the
signature); the proxy notes its operation, its parameters and the role whose STS session
signed it (from the simulator's own identities), how many calls of each operation were in
flight at once, and answers AccessDenied for calls a test's `deny` policy refuses, as IAM
would for a role whose policy does not name the resource.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ecsdeploy.sim import Simulator
from tests.deployer.proxying import access_denied, forward, serving

#: SigV4's ``Credential=AKID/DATE/REGION/SERVICE/aws4_request``.
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")


@dataclass(frozen=True)
class Call:
    """One call as the proxy saw it: `key` is ``DescribeServices`` for ECS, ``sts:AssumeRole``
    for the others; `role` the role ARN of the signing session (None: not a role's)."""

    key: str
    role: str | None
    params: Mapping[str, Any]

    @property
    def services(self) -> tuple[str, ...]:
        """The ECS services the call names (``service``, ``services``)."""
        named = [self.params.get("service"), *(self.params.get("services") or ())]
        return tuple(str(s).rsplit("/", 1)[-1] for s in named if s)


@dataclass
class RecordingProxy:
    sim: Simulator
    #: Calls it answers with AccessDenied instead of forwarding them.
    deny: Callable[[Call], bool] = lambda _: False
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    denied: list[Call] = field(default_factory=list)
    #: The most calls of each operation that were in flight at one time.
    most_at_once: Counter[str] = field(default_factory=Counter)
    _in_flight: Counter[str] = field(default_factory=Counter)

    def of(self, key: str) -> list[Call]:
        return [call for call in self.calls if call.key == key]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        call = self._call(request, body)
        self.calls.append(call)
        if self.deny(call):
            self.denied.append(call)
            return _access_denied(call)
        self._in_flight[call.key] += 1
        self.most_at_once[call.key] = max(self.most_at_once[call.key], self._in_flight[call.key])
        try:
            payload, status, content_type = await forward(
                self.sim.endpoint_url, request, body, content_type="application/json"
            )
        finally:
            self._in_flight[call.key] -= 1
        return web.Response(body=payload, status=status, headers={"Content-Type": content_type})

    def _call(self, request: web.Request, body: bytes) -> Call:
        found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
        access_key, service = found.groups() if found else ("", "")
        session = self.sim.identities.session(access_key)
        target = request.headers.get("X-Amz-Target")
        if target:
            operation = target.rsplit(".", 1)[-1]
            params: dict[str, Any] = json.loads(body or b"{}")
        else:
            params = dict(parse_qsl(body.decode()))
            operation = params.pop("Action", "")
        key = operation if service == "ecs" else f"{service}:{operation}"
        return Call(key, session.role_arn if session else None, params)


def _access_denied(call: Call) -> web.Response:
    return access_denied(
        f"User: {call.role} is not authorized to perform: ecs:{call.key} on "
        f"resource: service/{','.join(call.services)} because no identity-based policy "
        f"allows the ecs:{call.key} action"
    )


@asynccontextmanager
async def recording_proxy(
    sim: Simulator, *, deny: Callable[[Call], bool] = lambda _: False
) -> AsyncIterator[RecordingProxy]:
    proxy = RecordingProxy(sim, deny)
    async with serving(proxy.handle) as proxy.url:
        yield proxy
