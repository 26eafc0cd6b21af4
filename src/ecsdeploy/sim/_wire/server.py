"""The simulator's HTTP server: ECS's JSON 1.1 API on ``POST /`` and the control API beside it.

One request goes: operation from ``X-Amz-Target`` → counted → fault rules → throttling →
body read and validated against botocore's model → backend (dynamics caught up first) → the
answer kept for stale reads (and made stale or MISSING if a rule says so) → JSON.
Every failure a client can cause is an ECS error with a 4xx status; a 500 is either an injected
``ServerException`` or a bug, which is logged with its traceback.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Mapping
from typing import Any, Protocol

import structlog
from aiohttp import web

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._wire.control import control_routes
from ecsdeploy.sim._wire.faults import FaultInjector, FaultKind, FaultRule, parse_fault_rule
from ecsdeploy.sim._wire.protocol import (
    error_response,
    json_response,
    operation_from_target,
    parse_body,
    region_from_authorization,
    server_error,
    throttling_error,
    unknown_operation,
)
from ecsdeploy.sim._wire.stale_answers import ServiceAnswerHistory, missing
from ecsdeploy.sim._wire.stats import CallStats
from ecsdeploy.sim._wire.throttle import Throttle
from ecsdeploy.sim._wire.validation import RequestValidator

logger = structlog.get_logger("ecsdeploy.sim")

MAX_BODY_BYTES = 1024**2
"""Far above any real ECS request (a task definition is at most 64 KiB of JSON)."""


class Backend(Protocol):
    """The simulated ECS state and its dynamics (``ecsdeploy.sim._api.backend.EcsBackend``)."""

    @property
    def operations(self) -> frozenset[str]: ...
    def handle(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...
    def catch_up(self) -> None: ...
    def add_container_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_container_rules(self) -> None: ...
    def add_alarm_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_alarms(self) -> None: ...
    def reset(self) -> None: ...
    def timeline(self) -> list[dict[str, Any]]: ...


class EcsServer:
    """Owns everything behind the port except the ECS state: faults, throttling, counters."""

    def __init__(
        self,
        backend: Backend,
        *,
        clock: SimClock,
        seed: int | None = None,
        throttle: bool = False,
        validator: RequestValidator | None = None,
        stale_history: float = 0.0,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.validator = validator if validator is not None else RequestValidator()
        self.faults = FaultInjector(random.Random(seed))
        self.throttle = Throttle() if throttle else None
        self.call_stats = CallStats()
        self.answers = ServiceAnswerHistory(window=stale_history)

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/", self._handle_api)
        app.router.add_routes(control_routes(self))
        return app

    # -- the ECS API ----------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        operation = operation_from_target(request.headers.get("X-Amz-Target"))
        if operation is None or operation not in self.validator.operations:
            return error_response(unknown_operation())
        region = region_from_authorization(request.headers.get("Authorization"))
        self.call_stats.record_call(operation)
        try:
            fault = await self._injected_fault(operation)
            if fault is not None and fault.kind is FaultKind.RESET:
                return _drop_connection(request)
            self._check_throttle(region, operation)
            params = parse_body(await _read_body(request))
            self.validator.validate(operation, params)
            self.backend.catch_up()
            response = self.backend.handle(region, operation, params)
            now = self.clock.now()
            self.answers.record(operation, response, now=now)
            if fault is not None and fault.kind is FaultKind.STALE:
                response = self.answers.stale(response, seconds=fault.seconds, now=now)
            elif fault is not None and fault.kind is FaultKind.MISSING:
                response = missing(response)
            return json_response(response)
        except EcsApiError as error:
            if error.code == "ThrottlingException":
                self.call_stats.record_throttled(operation)
            return error_response(error)
        except Exception:
            logger.exception("ecsdeploy.sim.unexpected_error", operation=operation, region=region)
            return error_response(server_error())

    async def _injected_fault(self, operation: str) -> FaultRule | None:
        """Apply the fault rule that fires for this call: raise its error or delay it.

        Returns the rule when the caller still has to act on it (drop the connection, or
        rewrite the answer), else None.
        """
        rule = self.faults.fire(operation)
        if rule is None:
            return None
        if rule.kind is FaultKind.THROTTLING:
            raise throttling_error()
        if rule.kind is FaultKind.SERVER_ERROR:
            raise server_error()
        if rule.kind is FaultKind.LATENCY:
            speed = self.clock.speed
            if not rule.simulated:
                await asyncio.sleep(rule.seconds)
            elif speed > 0:
                await asyncio.sleep(rule.seconds / speed)
            return None
        return rule

    def _check_throttle(self, region: str, operation: str) -> None:
        if self.throttle is not None and not self.throttle.allow(region, operation):
            raise throttling_error()

    # -- the controls (SimulatorControls) --------------------------------------------------

    def reset(self) -> None:
        """Forget all ECS state, rules of both kinds, counters and throttle buckets."""
        self.backend.reset()
        self.backend.clear_container_rules()
        self.faults.clear()
        self.call_stats.reset()
        self.answers.clear()
        if self.throttle is not None:
            self.throttle.reset()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.backend.catch_up()

    def add_rule(self, rule: Mapping[str, Any]) -> None:
        """A container rule (has ``image``) or an alarm state (has ``alarm``) goes to the
        backend; an API fault rule stays here."""
        if "image" in rule:
            self.backend.add_container_rule(rule)
        elif "alarm" in rule:
            self.backend.add_alarm_rule(rule)
        elif "operation" in rule:
            fault = parse_fault_rule(rule, operations=self.validator.operations)
            if fault.kind is FaultKind.STALE:
                self.answers.keep(fault.seconds)
            self.faults.add(fault)
        else:
            raise ValueError(
                "a rule needs 'image' (container rule), 'alarm' (CloudWatch alarm state) "
                "or 'operation' (API fault)"
            )

    def clear_rules(self) -> None:
        self.backend.clear_container_rules()
        self.backend.clear_alarms()
        self.faults.clear()

    def set_speed(self, speed: float) -> None:
        self.backend.catch_up()
        self.clock.speed = speed

    def stats(self) -> dict[str, Any]:
        return self.call_stats.snapshot(now=self.clock.now())

    def timeline(self) -> dict[str, Any]:
        """``{"deployments": [...], "now": ...}``: see `EcsBackend.timeline`."""
        self.backend.catch_up()
        return {"deployments": self.backend.timeline(), "now": self.clock.now()}

    def set_throttle(self, enabled: bool) -> None:
        """Switch ECS's request throttling on (with full buckets) or off."""
        self.throttle = Throttle() if enabled else None


async def _read_body(request: web.Request) -> bytes:
    """The raw body; one beyond aiohttp's size limit is the client's error, not a crash."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise EcsApiError(
            "ClientException",
            f"Request body exceeds {MAX_BODY_BYTES} bytes.",
            status=413,
        ) from exc


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Abort the TCP connection so the client sees a reset, not an HTTP answer."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()


class RunningServer:
    """An `EcsServer` bound to a loopback (or chosen) address in the current event loop."""

    def __init__(self, server: EcsServer, *, host: str, port: int) -> None:
        self._server = server
        self._host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return self._host

    async def start(self) -> None:
        sock = socket.socket(
            socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_STREAM
        )
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        runner = web.AppRunner(self._server.application(), handle_signals=False, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
