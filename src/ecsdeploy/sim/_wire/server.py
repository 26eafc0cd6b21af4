"""The simulator's HTTP server: ECS, ELBv2, CloudWatch and STS on ``POST /``, and the control
API beside it.

One request goes: service from the SigV4 scope, ``X-Amz-Target`` or the form's ``Version``
(`ecsdeploy.sim._wire.services`) → operation → counted → the signer's credentials checked
(expired STS sessions are refused) → fault rules → throttling → body parsed (JSON 1.1 for ECS,
the query protocol for the others) and validated against the service's botocore model →
backend (dynamics caught up first) → for ECS, the answer kept for stale reads (and made stale or
MISSING if a rule says so) → JSON or XML.
Every failure a client can cause is an error of the service's own protocol with a 4xx status; a
500 is either an injected server error or a bug, which is logged with its traceback.
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
from ecsdeploy.sim._wire import query
from ecsdeploy.sim._wire.control import control_routes
from ecsdeploy.sim._wire.faults import FaultInjector, FaultKind, FaultRule, parse_fault_rule
from ecsdeploy.sim._wire.protocol import (
    DEFAULT_REGION,
    access_key_from_authorization,
    error_response,
    json_response,
    parse_body,
    region_from_authorization,
    server_error,
    service_from_authorization,
    throttling_error,
    unknown_operation,
)
from ecsdeploy.sim._wire.services import (
    Caller,
    ServiceDirectory,
    UnservedOperations,
    WireService,
    wire_service,
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
    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, account: str = ...
    ) -> dict[str, Any]: ...
    def catch_up(self) -> None: ...
    def add_container_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_container_rules(self) -> None: ...
    def add_hook_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_hook_rules(self) -> None: ...
    def add_alarm_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_alarms(self) -> None: ...
    def add_container_instances(self, request: Mapping[str, Any]) -> list[str]: ...
    def reset(self) -> None: ...
    def timeline(self) -> list[dict[str, Any]]: ...


class Identities(Protocol):
    """Who signed a request (``ecsdeploy.sim._sts.identities.IdentityRegistry``)."""

    def caller(self, access_key_id: str | None, *, now: float) -> Caller: ...
    def add_role_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_roles(self) -> None: ...
    def reset(self) -> None: ...


class _EcsService:
    """ECS behind the `ServiceBackend` interface; looks the backend's `handle` up per call, so
    a test can still replace it on the backend."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @property
    def operations(self) -> frozenset[str]:
        return self._backend.operations

    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]:
        return self._backend.handle(region, operation, params, account=caller.account)


class EcsServer:
    """Owns everything behind the port except the simulated state: routing, faults,
    throttling, counters."""

    def __init__(
        self,
        backend: Backend,
        *,
        clock: SimClock,
        identities: Identities,
        seed: int | None = None,
        throttle: bool = False,
        validator: RequestValidator | None = None,
        services: Mapping[str, Any] | None = None,
        stale_history: float = 0.0,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.identities = identities
        others = dict(services or {})
        self.directory = ServiceDirectory(
            [
                wire_service("ecs", _EcsService(backend)),
                *(
                    wire_service(name, others.get(name) or UnservedOperations())
                    for name in ("elbv2", "cloudwatch", "sts")
                ),
            ]
        )
        self.validator = validator if validator is not None else self.directory.ecs.validator
        self.faults = FaultInjector(random.Random(seed))
        self.throttle = Throttle() if throttle else None
        self.call_stats = CallStats()
        self.answers = ServiceAnswerHistory(window=stale_history)

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/", self._handle_api)
        app.router.add_routes(control_routes(self))
        return app

    # -- the AWS APIs ---------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        service = self.directory.by_signing_name(service_from_authorization(authorization))
        target = request.headers.get("X-Amz-Target")
        json_service = self.directory.by_target(target)
        try:
            raw = await _read_body(request)
        except EcsApiError as error:
            return self._error(service or json_service or self.directory.ecs, error)
        if json_service is not None and service in (None, json_service):
            return await self._handle_json(request, json_service, raw, target, authorization)
        if (service is None or service.speaks_query) and _is_form(request):
            try:
                form = query.parse_form(raw)
            except EcsApiError as error:
                return self._error(service or self.directory.ecs, error)
            service = service or self.directory.by_api_version(form.get("Version"))
            if service is not None:
                return await self._handle_query(request, service, form, authorization)
        if service is None or not service.speaks_query:
            return error_response(unknown_operation())
        return self._error(
            service,
            EcsApiError(
                "InvalidAction",
                f"{service.signing_name} speaks the query protocol"
                f"{' or AWS JSON 1.0' if service.json_target_prefix else ''}: POST a "
                "form-encoded body"
                f"{' or an X-Amz-Target' if service.json_target_prefix else ''}.",
            ),
        )

    async def _handle_json(
        self,
        request: web.Request,
        service: WireService,
        raw: bytes,
        target: str | None,
        authorization: str | None,
    ) -> web.StreamResponse:
        """ECS (JSON 1.1), or CloudWatch as current SDKs call it (JSON 1.0, query-compatible)."""
        operation = service.operation_from_target(target)
        if operation is None or operation not in service.validator.operations:
            return self._json_error(service, unknown_operation())
        key = service.key(operation)
        is_ecs = not service.speaks_query
        region = region_from_authorization(authorization)
        self.call_stats.record_call(key)
        try:
            caller, fault = await self._admit(service, key, authorization, region)
            if fault is not None and fault.kind is FaultKind.RESET:
                return _drop_connection(request)
            params = parse_body(raw)
            (self.validator if is_ecs else service.validator).validate(operation, params)
            self.backend.catch_up()
            response = service.backend.handle(region, operation, params, caller=caller)
            if is_ecs:
                now = self.clock.now()
                self.answers.record(operation, response, now=now)
                if fault is not None and fault.kind is FaultKind.STALE:
                    response = self.answers.stale(response, seconds=fault.seconds, now=now)
                elif fault is not None and fault.kind is FaultKind.MISSING:
                    response = missing(response)
            return json_response(response, content_type=service.json_content_type)
        except EcsApiError as error:
            if error.code == "ThrottlingException":
                self.call_stats.record_throttled(key)
            return self._json_error(service, error)
        except Exception:
            logger.exception("ecsdeploy.sim.unexpected_error", operation=key, region=region)
            return self._json_error(service, server_error())

    def _json_error(self, service: WireService, error: EcsApiError) -> web.Response:
        """ECS's own error body; for a query-compatible service also its query error code in
        ``x-amzn-query-error``, which botocore takes as the code."""
        if not service.speaks_query:
            return error_response(error)
        renamed = _query_error(error)
        kind = "Receiver" if renamed.status >= 500 else "Sender"
        response = error_response(renamed, content_type=service.json_content_type)
        response.headers["x-amzn-query-error"] = f"{renamed.code};{kind}"
        return response

    async def _handle_query(
        self,
        request: web.Request,
        service: WireService,
        form: dict[str, str],
        authorization: str | None,
    ) -> web.StreamResponse:
        if not _is_form(request):
            return self._error(
                service,
                EcsApiError(
                    "InvalidAction",
                    f"{service.signing_name} speaks the query protocol: POST a form-encoded body.",
                ),
            )
        operation = form.get("Action", "")
        version = form.get("Version") or service.api_version
        # Another API signs with the same name (Classic ELB, 2012-06-01, as ELBv2 does): its
        # actions are not ELBv2's, even where the names match.
        if version != service.api_version or operation not in service.validator.operations:
            return self._error(service, _unknown_query_action(operation, version))
        key = service.key(operation)
        region = region_from_authorization(authorization)
        self.call_stats.record_call(key)
        try:
            caller, fault = await self._admit(service, key, authorization, region)
            if fault is not None and fault.kind is FaultKind.RESET:
                return _drop_connection(request)
            model = service.model.operation_model(operation)
            params = query.parse_params(model, form)
            service.validator.validate(operation, params)
            self.backend.catch_up()
            response = service.backend.handle(region, operation, params, caller=caller)
            return query.xml_response(model, response)
        except EcsApiError as error:
            if error.code in ("ThrottlingException", "Throttling"):
                self.call_stats.record_throttled(key)
            return self._error(service, error)
        except Exception:
            logger.exception("ecsdeploy.sim.unexpected_error", operation=key, region=region)
            return self._error(service, server_error())

    def _error(self, service: WireService, error: EcsApiError) -> web.Response:
        """`error` in the service's protocol; ECS's own codes become their query equivalents."""
        if not service.speaks_query:
            return error_response(error)
        return query.xml_error(_query_error(error), namespace=service.xml_namespace)

    async def _admit(
        self, service: WireService, key: str, authorization: str | None, region: str
    ) -> tuple[Caller, FaultRule | None]:
        """Who signed the request and the fault injected into it, once its credentials, the
        injected errors and the throttle let it through (each refusal raises EcsApiError)."""
        caller = self._caller(authorization)
        fault = await self._injected_fault(service, key, caller)
        if fault is None or fault.kind is not FaultKind.RESET:
            self._check_throttle(caller.account, region, key)
        return caller, fault

    def _caller(self, authorization: str | None) -> Caller:
        return self.identities.caller(
            access_key_from_authorization(authorization), now=self.clock.now()
        )

    async def _injected_fault(
        self, service: WireService, key: str, caller: Caller
    ) -> FaultRule | None:
        """Apply the fault rule that fires for this call: raise its error or delay it.

        Returns the rule when the caller still has to act on it (drop the connection, or
        rewrite the answer), else None.
        """
        rule = self.faults.fire(key)
        if rule is None:
            return None
        if rule.kind is FaultKind.THROTTLING:
            raise throttling_error()
        if rule.kind is FaultKind.SERVER_ERROR:
            raise server_error()
        if rule.kind is FaultKind.ACCESS_DENIED:
            raise _access_denied(service, key, caller)
        if rule.kind is FaultKind.LATENCY:
            speed = self.clock.speed
            if not rule.simulated:
                await asyncio.sleep(rule.seconds)
            elif speed > 0:
                await asyncio.sleep(rule.seconds / speed)
            return None
        return rule

    def _check_throttle(self, account: str, region: str, key: str) -> None:
        # ECS's quotas are per account and Region.
        if self.throttle is not None and not self.throttle.allow(region, key, account=account):
            raise throttling_error()

    # -- the controls (SimulatorControls) --------------------------------------------------

    def reset(self) -> None:
        """Forget all simulated state and identities, rules of every kind, counters and
        throttle buckets."""
        self.backend.reset()
        self.identities.reset()
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
        backend, a role setting (has ``role``) to the identities; an API fault rule stays
        here."""
        if "image" in rule:
            self.backend.add_container_rule(rule)
        elif "alarm" in rule:
            self.backend.add_alarm_rule(rule)
        elif "hook_stage" in rule:
            self.backend.add_hook_rule(rule)
        elif "role" in rule:
            self.identities.add_role_rule(rule)
        elif "operation" in rule:
            fault = parse_fault_rule(rule, operations=self.directory.operation_keys())
            if fault.kind is FaultKind.STALE:
                self.answers.keep(fault.seconds)
            self.faults.add(fault)
        else:
            raise ValueError(
                "a rule needs 'image' (container rule), 'alarm' (CloudWatch alarm state), "
                "'hook_stage' (lifecycle hook answer), 'role' (STS role settings) or 'operation' "
                "(API fault)"
            )

    def clear_rules(self) -> None:
        self.backend.clear_container_rules()
        self.backend.clear_hook_rules()
        self.backend.clear_alarms()
        self.identities.clear_roles()
        self.faults.clear()

    def add_container_instances(self, request: Mapping[str, Any]) -> list[str]:
        """Register container instances (in the default region unless `request` names one)."""
        return self.backend.add_container_instances(
            {**request, "region": request.get("region") or DEFAULT_REGION}
        )

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


def _access_denied(service: WireService, key: str, caller: Caller) -> EcsApiError:
    """IAM's refusal as the service words it (its code differs between ECS and the query
    services)."""
    action = f"{service.iam_prefix}:{key.rpartition(':')[2]}"
    message = (
        f"User: {caller.arn} is not authorized to perform: {action} because no "
        f"identity-based policy allows the {action} action"
    )
    if service.speaks_query:
        return EcsApiError("AccessDenied", message, status=403)
    return EcsApiError("AccessDeniedException", message)


def _is_form(request: web.Request) -> bool:
    return request.content_type == query.FORM_CONTENT_TYPE


def _unknown_query_action(operation: str, version: str) -> EcsApiError:
    """What query services answer for an Action they do not have (in that API version)."""
    return EcsApiError(
        "InvalidAction", f"Could not find operation {operation} for version {version}"
    )


_QUERY_CODES: Mapping[str, tuple[str, str | None]] = {
    # ECS's codes for the common errors, and what query services call them ("Common Errors").
    "ThrottlingException": ("Throttling", None),
    "ServerException": (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    "SerializationException": ("MalformedQueryString", None),
}


def _query_error(error: EcsApiError) -> EcsApiError:
    renamed = _QUERY_CODES.get(error.code)
    if renamed is None:
        return error
    code, message = renamed
    return EcsApiError(code, message or error.message, status=error.status)


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
