"""`Simulator`: the server, the backend and the clock of the bundled ECS simulator, opened and
closed together."""

from __future__ import annotations

import enum
import math
import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from ecsdeploy.sim._api.backend import EcsBackend
from ecsdeploy.sim._cloudwatch.backend import CloudWatchBackend
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._dynamics.ids import ACCOUNT_ID
from ecsdeploy.sim._dynamics.timings import Timings
from ecsdeploy.sim._elbv2.backend import ElbBackend
from ecsdeploy.sim._sts.identities import (
    DEFAULT_ACCOUNT,
    DEFAULT_SESSION_SECONDS,
    IdentityRegistry,
    RoleConfig,
)
from ecsdeploy.sim._sts.operations import StsBackend
from ecsdeploy.sim._wire.protocol import DEFAULT_REGION
from ecsdeploy.sim._wire.server import EcsServer, RunningServer

__all__ = ["STALE_HISTORY_VARIABLE", "START_BEHIND_VARIABLE", "Simulator"]

START_BEHIND_VARIABLE = "ECSDEPLOY_SIM_START_BEHIND"
"""Environment variable: seconds the simulated clock starts behind the wall clock."""

STALE_HISTORY_VARIABLE = "ECSDEPLOY_SIM_STALE_HISTORY"
"""Environment variable: simulated seconds of DescribeServices answers kept for stale reads."""


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Simulator:
    """An ECS simulator served in-process on a free port for the life of an ``async with``.

    `speed` makes simulated time run that many times faster than the wall clock; `seed` makes
    task ids, fault probabilities and timing jitter repeatable; `throttle` switches on ECS's
    request throttling (token buckets refilled on wall time); `timings` sets the task lifecycle.
    A simulator opens once: entering it twice raises RuntimeError.

    `start_behind` starts simulated time that many seconds before the wall clock (default:
    ``ECSDEPLOY_SIM_START_BEHIND`` from the environment, else 0, so that ``ecsdeploy sim``
    honours it too). At a speed above 1 simulated time runs ahead of the wall clock, and a
    client that compares ECS timestamps with its own clock sees events from the future
    (ecs-deplojo replays them as new). Starting behind by the simulated length of the run keeps
    every timestamp in the past; the trade-off is that timestamps look older than they are, so
    a client that keeps only events created after it started sees none of them. Pick the one
    your client tolerates: behind for clients that compare ages, 0 for clients that filter by
    their own start time.

    `stale_history` keeps that many simulated seconds of service answers from the start, so a
    stale-read rule added later can answer with what was said before it (default:
    ``ECSDEPLOY_SIM_STALE_HISTORY``, else 0: answers are kept only once a stale rule exists).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        seed: int | None = None,
        throttle: bool = False,
        timings: Timings | None = None,
        start_behind: float | None = None,
        stale_history: float | None = None,
    ) -> None:
        if start_behind is None:
            start_behind = float(os.environ.get(START_BEHIND_VARIABLE) or 0)
        if start_behind < 0:
            raise ValueError(f"start_behind must be >= 0, not {start_behind}")
        self.clock = SimClock(speed=speed, start=time.time() - start_behind)
        self.backend = EcsBackend(self.clock, seed=seed, timings=timings)
        if stale_history is None:
            stale_history = float(os.environ.get(STALE_HISTORY_VARIABLE) or 0)
        if stale_history < 0:
            raise ValueError(f"stale_history must be >= 0, not {stale_history}")
        self.identities = IdentityRegistry(seed=seed)
        self.load_balancing = ElbBackend(self.backend)
        self._server = EcsServer(
            self.backend,
            clock=self.clock,
            identities=self.identities,
            seed=seed,
            throttle=throttle,
            stale_history=stale_history,
            services={
                "sts": StsBackend(self.identities, now=self.clock.now),
                "elbv2": self.load_balancing,
                "cloudwatch": CloudWatchBackend(self.backend),
            },
        )
        self._running = RunningServer(self._server, host=host, port=port)
        self._state = _State.UNOPENED

    async def __aenter__(self) -> Self:
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"a Simulator opens once; this one is {self._state.value}")
        await self._running.start()
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = _State.CLOSED
        await self._running.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running server (IPv6 hosts in brackets)."""
        if self._state is not _State.OPEN:
            raise RuntimeError("the simulator is not running; use it inside 'async with'")
        host = self._running.host
        return (
            f"http://[{host}]:{self._running.port}"
            if ":" in host
            else (f"http://{host}:{self._running.port}")
        )

    def client_kwargs(
        self, *, region_name: str = DEFAULT_REGION, account: str | None = None
    ) -> dict[str, str]:
        """Keyword arguments for ``boto3``/``aioboto3`` ``client(...)`` of any service the
        simulator serves (``ecs``, ``elbv2``, ``cloudwatch``, ``sts``), signing as `account`
        (default ``123456789012``): for another account, with credentials of a role session
        there that never expires (for arranging and reading that account's state)."""
        kwargs = {
            "endpoint_url": self.endpoint_url,
            "region_name": region_name,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        if account is not None and account != ACCOUNT_ID:
            session = self.identities.new_session(
                role_arn=f"arn:aws:iam::{account}:role/ecsdeploy-sim",
                account=account,
                role_name="ecsdeploy-sim",
                session_name="client-kwargs",
                expiration=math.inf,
            )
            kwargs["aws_access_key_id"] = session.access_key_id
            kwargs["aws_secret_access_key"] = session.secret_access_key
            kwargs["aws_session_token"] = session.session_token
        return kwargs

    async def advance(self, seconds: float) -> None:
        """Jump simulated time forward and run the dynamics up to the new now."""
        self._server.advance(seconds)

    def add_rule(self, rule: Mapping[str, Any]) -> None:
        """A container rule (``image``), a CloudWatch alarm state (``alarm``), STS role
        settings (``role``, see `configure_role`) or an API fault rule (``operation``);
        ValueError if bad."""
        self._server.add_rule(rule)

    def set_alarm(self, name: str, state: str, reason: str = "") -> None:
        """Set CloudWatch alarm `name` to ``OK``, ``ALARM`` or ``INSUFFICIENT_DATA``: a
        deployment whose ``deploymentConfiguration.alarms`` names it fails while it is in ALARM
        (and ECS rolls it back with ``rollback``). ValueError for an unknown state. CloudWatch's
        own SetAlarmState over the wire does the same for an alarm created with PutMetricAlarm
        (or set here before), and DescribeAlarms shows the state either way."""
        self.add_rule({"alarm": name, "state": state, "reason": reason})

    def create_target_group(
        self,
        name: str,
        *,
        region_name: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
        port: int = 80,
        target_type: str = "ip",
        health_check_interval: int = 30,
        healthy_threshold: int = 5,
        unhealthy_threshold: int = 2,
        deregistration_delay: int = 300,
    ) -> str:
        """A target group a service's ``loadBalancers`` can name at once: created (its ARN in
        `account`) behind a new Application Load Balancer ``<name>-alb`` whose HTTP listener
        on `port` forwards to it, as a test would through the ELBv2 API. Returns its ARN.
        Targets become healthy
        `health_check_interval * healthy_threshold` simulated seconds after registration
        (unhealthy after `* unhealthy_threshold` under an ``elb_unhealthy`` rule) and drain
        for `deregistration_delay`."""
        return self.load_balancing.load_balanced_target_group(
            name,
            region=region_name,
            account=account,
            port=port,
            target_type=target_type,
            health_check_interval=health_check_interval,
            healthy_threshold=healthy_threshold,
            unhealthy_threshold=unhealthy_threshold,
            deregistration_delay=deregistration_delay,
        )

    def add_container_instances(
        self,
        cluster: str,
        count: int = 1,
        *,
        cpu: int = 2048,
        memory: int = 3904,
        instance_type: str = "t3.medium",
        availability_zone: str | None = None,
        region_name: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[str]:
        """Register `count` EC2 container instances (each `cpu` units, `memory` MiB, the ECS
        agent's reserved ports) with existing `cluster`, as their agents'
        RegisterContainerInstance would (``POST /_sim/container-instances`` does the same);
        their ARNs. From then on the cluster's EC2 tasks are placed on its instances, with host
        ports for bridge and host network modes, and wait (PROVISIONING) when none has room.
        ValueError for an unknown cluster or bad values."""
        request: dict[str, Any] = {
            "cluster": cluster,
            "count": count,
            "cpu": cpu,
            "memory": memory,
            "instance_type": instance_type,
            "region": region_name,
            "account": account,
        }
        if availability_zone is not None:
            request["availability_zone"] = availability_zone
        return self._server.add_container_instances(request)

    def account_of(self, access_key_id: str | None) -> str:
        """The account whose credentials `access_key_id` is: the role's account for keys STS
        AssumeRole handed out (expired ones too), else the default ``123456789012``."""
        return self.identities.account_of(access_key_id)

    def configure_role(
        self,
        role_arn: str,
        *,
        assumable: bool = True,
        external_id: str | None = None,
        max_session_duration: int = DEFAULT_SESSION_SECONDS,
    ) -> None:
        """How STS AssumeRole treats `role_arn` (every role is assumable until configured):
        `assumable=False` answers AccessDenied; with `external_id` only that ExternalId is
        accepted (AccessDenied otherwise); DurationSeconds above `max_session_duration` is a
        ValidationError. ``clear_rules`` and ``reset`` forget these settings."""
        self.identities.configure_role(
            role_arn, RoleConfig(assumable, external_id, max_session_duration)
        )

    def set_session_lifetime(self, seconds: float | None) -> None:
        """Make every STS session AssumeRole hands out from now on last `seconds` of simulated
        time, whatever DurationSeconds asked for (None: as asked, default 3600 s)."""
        if seconds is not None and seconds <= 0:
            raise ValueError(f"a session lifetime must be > 0, not {seconds}")
        self.identities.session_lifetime = seconds

    def clear_rules(self) -> None:
        """Forget container, fault and role rules; every alarm goes back to
        INSUFFICIENT_DATA."""
        self._server.clear_rules()

    def reset(self) -> None:
        """Forget all simulated state, STS sessions and role settings, rules and counters (the
        clock keeps running)."""
        self._server.reset()

    def stats(self) -> dict[str, Any]:
        """``{"calls": {...}, "throttled": {...}, "now": simulated epoch seconds}``."""
        return self._server.stats()

    def timeline(self) -> dict[str, Any]:
        """Every service deployment's instants (asked for, threshold of failed tasks reached,
        ECS rollback started, finished), as ``/_sim/timeline`` gives them."""
        return self._server.timeline()

    def set_throttle(self, enabled: bool) -> None:
        """Switch ECS's request throttling on (buckets full) or off."""
        self._server.set_throttle(enabled)
