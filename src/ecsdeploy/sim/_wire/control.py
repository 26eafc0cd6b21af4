"""The control API under ``/_sim/``: drive the simulator from any language over plain HTTP.

Same port as the ECS API, JSON in and out, never signed. Bad control requests get a 400 with
``{"message": "..."}``; they never reach the simulated ECS state. Every input problem, wrong
type included, is a ValueError here (hence the TRY004 exemptions): that is what maps to 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web


class SimulatorControls(Protocol):
    """What the control API drives; implemented by the server that owns the simulated state."""

    def reset(self) -> None: ...
    def advance(self, seconds: float) -> None: ...
    def add_rule(self, rule: Mapping[str, Any]) -> None: ...
    def clear_rules(self) -> None: ...
    def set_speed(self, speed: float) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def timeline(self) -> dict[str, Any]: ...
    def set_throttle(self, enabled: bool) -> None: ...
    def add_container_instances(self, request: Mapping[str, Any]) -> list[str]: ...


def _bad_request(message: str) -> web.Response:
    return web.json_response({"message": message}, status=400)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")  # noqa: TRY004
    return body


def _seconds_like(body: Mapping[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{key}' must be a number, not {value!r}")  # noqa: TRY004
    return float(value)


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"'{key}' must be true or false, not {value!r}")  # noqa: TRY004
    return value


def control_routes(controls: SimulatorControls) -> web.RouteTableDef:
    """Routes for ``/_sim/health``, ``stats``, ``timeline``, ``reset``, ``advance``, ``rules``,
    ``speed``, ``throttle`` and ``container-instances``."""
    routes = web.RouteTableDef()

    @routes.get("/_sim/health")
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    @routes.get("/_sim/stats")
    async def stats(_: web.Request) -> web.Response:
        return web.json_response(controls.stats())

    @routes.get("/_sim/timeline")
    async def timeline(_: web.Request) -> web.Response:
        return web.json_response(controls.timeline())

    @routes.post("/_sim/throttle")
    async def throttle(request: web.Request) -> web.Response:
        try:
            enabled = _flag(await _json_object(request), "enabled")
        except ValueError as exc:
            return _bad_request(str(exc))
        controls.set_throttle(enabled)
        return web.json_response({"status": "ok"})

    @routes.post("/_sim/reset")
    async def reset(_: web.Request) -> web.Response:
        controls.reset()
        return web.json_response({"status": "reset"})

    @routes.post("/_sim/advance")
    async def advance(request: web.Request) -> web.Response:
        try:
            controls.advance(_seconds_like(await _json_object(request), "seconds"))
        except ValueError as exc:
            return _bad_request(str(exc))
        return web.json_response(controls.stats())

    @routes.post("/_sim/speed")
    async def speed(request: web.Request) -> web.Response:
        try:
            controls.set_speed(_seconds_like(await _json_object(request), "speed"))
        except ValueError as exc:
            return _bad_request(str(exc))
        return web.json_response({"status": "ok"})

    @routes.post("/_sim/rules")
    async def add_rule(request: web.Request) -> web.Response:
        try:
            controls.add_rule(await _json_object(request))
        except ValueError as exc:
            return _bad_request(str(exc))
        return web.json_response({"status": "added"}, status=201)

    @routes.post("/_sim/container-instances")
    async def container_instances(request: web.Request) -> web.Response:
        try:
            arns = controls.add_container_instances(await _json_object(request))
        except ValueError as exc:
            return _bad_request(str(exc))
        return web.json_response({"containerInstanceArns": arns}, status=201)

    @routes.delete("/_sim/rules")
    async def clear_rules(_: web.Request) -> web.Response:
        controls.clear_rules()
        return web.json_response({"status": "cleared"})

    return routes
