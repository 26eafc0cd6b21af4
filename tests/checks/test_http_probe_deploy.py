"""HttpProbe in a deployment on the simulator: its verdict decides success, and a failure during
the bake time fails the deployment and rolls it back."""

from __future__ import annotations

import pytest
import structlog

from ecsdeploy import Deployer, DeployEvent, Outcome, Status
from ecsdeploy.checks import HttpProbe
from ecsdeploy.testing import EcsServices
from tests._fixtures.scenario import to
from tests.checks.http_server import Endpoint

pytestmark = pytest.mark.anyio


async def test_a_healthy_endpoint_lets_the_deployment_succeed(
    ecs_deployer: Deployer, ecs_services: EcsServices, endpoint: Endpoint
) -> None:
    """The probe's HEALTHY verdict is in the result, beside the built-in checks'."""
    await ecs_services.create()
    settings = ecs_deployer.settings.with_overrides(
        extra_checks=(HttpProbe(endpoint.url, times=2),)
    )
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), settings=settings)
    assert result.outcome is Outcome.SUCCEEDED, result.reason
    (http,) = [v for v in result.checks if v.check == "http"]
    assert http.status is Status.HEALTHY
    assert "answered 200" in http.reason
    assert endpoint.requests >= 2


async def test_a_failure_during_the_bake_time_rolls_the_deployment_back(
    ecs_deployer: Deployer, ecs_services: EcsServices, endpoint: Endpoint
) -> None:
    """Healthy, then the endpoint answers 500 while baking: ROLLED_BACK by ecsdeploy, with the
    status and body in the reason, and the service on its previous revision."""
    old = await ecs_services.create()

    def break_endpoint_once_healthy(event: DeployEvent) -> None:
        if event.kind == "verdict" and event.data.get("status") == "HEALTHY":
            endpoint.status, endpoint.body = 500, "database unreachable"

    ecs_deployer.subscribe(break_endpoint_once_healthy)
    probe = HttpProbe(endpoint.url, times=1, failures=2)
    settings = ecs_deployer.settings.with_overrides(extra_checks=(probe,), bake=60.0)
    result = await ecs_deployer.deploy(to("myorg/nginx:2"), settings=settings)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert result.rolled_back_by == "ecsdeploy"
    assert "got status 500: 'database unreachable'" in result.reason
    assert await ecs_services.task_definition() == old


async def test_a_token_in_the_probe_url_reaches_no_log_event_result_or_event(
    ecs_deployer: Deployer, ecs_services: EcsServices, endpoint: Endpoint
) -> None:
    """`?token=SECRET` in the URL: the failing probe rolls the deployment back, and the token is
    in no log event, no DeployEvent and no field of the result, which shows `?token=***`."""
    secret = "SECRET-7f3a9c"
    old = await ecs_services.create()
    endpoint.status, endpoint.body = 503, "maintenance"
    events: list[DeployEvent] = []
    ecs_deployer.subscribe(events.append)
    probe = HttpProbe(f"{endpoint.url}?token={secret}&region=eu", times=1, failures=2)
    target = to("myorg/nginx:2")
    settings = ecs_deployer.settings.with_overrides(extra_checks=(probe,))
    with structlog.testing.capture_logs() as logs:
        result = await ecs_deployer.deploy(target, settings=settings)
    assert result.outcome is Outcome.ROLLED_BACK, result.reason
    assert f"{endpoint.url}?token=***&region=*** expected 200, got status 503" in result.reason
    assert any(e.kind == "verdict" and "?token=***" in e.message for e in events)
    assert logs, "the deployment logged nothing"
    for shown in (logs, events, result, probe, settings):
        assert secret not in repr(shown)
    assert await ecs_services.task_definition() == old
