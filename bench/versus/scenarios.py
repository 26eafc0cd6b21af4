"""The scenarios, one registry entry each: add a `Scenario` to `SCENARIOS` to add one.

Services are named ``svc-0000``…; a scenario says how many, which of them get the crashing
image (``myorg/app:crash``, its tasks exit 1 five simulated seconds after they start) and how the
simulator runs. Every other service gets the good image ``myorg/app:2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    services: int
    #: Indexes of the services that get the crashing image.
    crashing: frozenset[int] = frozenset()
    #: ECS's deployment circuit breaker with rollback on every service.
    breaker: bool = False
    #: ECS's request throttling at its documented rates (token buckets on the wall clock).
    throttle: bool = False
    #: Task-definition families the services share (0: one family per service).
    families: int = 0
    #: Tools that take part (empty: every tool whose `fits` accepts the scenario).
    tools: tuple[str, ...] = ()
    #: Simulated seconds per wall second while the tools run.
    speed: float = 10.0
    #: Tasks per service.
    desired: int = 2
    #: Wall seconds after which the bench stops a tool that has not exited.
    wall_limit: float = 100.0
    notes: tuple[str, ...] = field(default=())

    @property
    def family_count(self) -> int:
        return self.families or self.services

    def image(self, index: int) -> str:
        return "myorg/app:crash" if index in self.crashing else "myorg/app:2"

    @property
    def should_succeed(self) -> bool:
        return not self.crashing

    def scaled(self, services: int) -> Scenario:
        """The same scenario with fewer services (the --small development run)."""
        if services >= self.services:
            return self
        crashing = frozenset(i for i in self.crashing if i < services) or (
            frozenset({0}) if self.crashing else frozenset()
        )
        families = min(self.families, services) if self.families else 0
        return Scenario(
            self.key,
            self.title,
            services,
            crashing,
            self.breaker,
            self.throttle,
            families,
            self.tools,
            self.speed,
            self.desired,
            self.wall_limit,
            self.notes,
        )


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario("a", "1 service, good image", services=1),
        Scenario("b", "1 service, crashing image", services=1, crashing=frozenset({0})),
        # Detection without the 10x clock inflating each HTTP round trip 10x.
        Scenario(
            "b1",
            "1 service, crashing image (simulator at real time)",
            services=1,
            crashing=frozenset({0}),
            speed=1.0,
            tools=("ecsdeploy", "drone-reimpl"),
            wall_limit=300,
        ),
        Scenario(
            "c",
            "1 service, crashing image, ECS circuit breaker + rollback",
            services=1,
            crashing=frozenset({0}),
            breaker=True,
        ),
        # Real time: every tool polls at its own default rate, as on ECS.
        Scenario(
            "d",
            "20 services, good (simulator at real time)",
            services=20,
            speed=1.0,
            # drone-deploy-ecs deploys one service after another: 20 rollouts, ~25 min.
            tools=("ecsdeploy", "fabfuel", "aws-cli", "deplojo"),
            wall_limit=400,
        ),
        Scenario(
            "e",
            "20 services, one crashing",
            services=20,
            crashing=frozenset({7}),
            # The AWS CLI script's 80 process starts take ~90 s on a loaded machine.
            wall_limit=300,
        ),
        Scenario(
            "f",
            "200 services, ECS throttling on",
            services=200,
            throttle=True,
            # The AWS CLI's script starts 4 Python processes per service (~10 min of CPU here);
            # fabfuel would be 200 processes of ~55 MB.
            tools=("ecsdeploy",),
            wall_limit=600,
        ),
        Scenario(
            "g",
            "1,000 services in one release, ECS throttling on",
            services=1000,
            throttle=True,
            families=50,
            tools=("ecsdeploy-library",),
            wall_limit=900,
        ),
    )
}
