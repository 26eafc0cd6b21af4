"""Deterministic identifiers and ARNs for simulated ECS resources."""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass

ACCOUNT_ID = "123456789012"
"""The account of every request whose credentials STS did not hand out for another one."""


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    """The ENI an awsvpc task gets ("Amazon ECS task networking options for Fargate")."""

    attachment_id: str
    eni_id: str
    subnet_id: str
    private_ip: str
    mac: str
    dns_name: str


_SERVICE_DEPLOYMENT_ALPHABET = string.ascii_letters + string.digits + "-_"
_HOSTS_PER_BLOCK = 251
"""Host addresses .4 to .254 of each /24: AWS reserves the first four and the last one."""
_PRIVATE_HOSTS = 256 * _HOSTS_PER_BLOCK
"""Addresses in 10.0.0.0/16 the simulator hands out, one after another from a seeded start,
so no two tasks share one until that many ENIs were made."""


class IdFactory:
    """Every random identifier the simulator hands out, drawn from one seeded generator.

    A fixed seed makes a whole simulation (task ids, deployment ids, event ids) reproducible.
    """

    __slots__ = ("_next_host", "_random")

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._next_host: int | None = None

    def task_id(self) -> str:
        """32 lowercase hex digits, like Fargate task ids."""
        return f"{self._random.getrandbits(128):032x}"

    def deployment_id(self) -> str:
        """`ecs-svc/` and 19 digits, the form ECS gives rolling-update deployments."""
        return f"ecs-svc/{self._random.randrange(10**18, 10**19)}"

    def container_instance_id(self) -> str:
        """32 lowercase hex digits, the last part of a container instance's ARN."""
        return f"{self._random.getrandbits(128):032x}"

    def ec2_instance_id(self) -> str:
        """``i-`` and 17 hex digits, the form of current EC2 instance ids."""
        return f"i-{self._random.getrandbits(68) % 16**17:017x}"

    def pick(self, count: int) -> int:
        """A random index below `count` (the ``random`` placement strategy)."""
        return self._random.randrange(count)

    def revision_id(self) -> str:
        """Numeric id of a service revision."""
        return str(self._random.randrange(10**18, 10**19))

    def service_deployment_id(self) -> str:
        """22 URL-safe characters, the form of the last part of a service-deployment ARN."""
        return "".join(self._random.choices(_SERVICE_DEPLOYMENT_ALPHABET, k=22))

    def network_interface(self, subnets: list[str]) -> NetworkInterface:
        """An elastic network interface in one of `subnets` (a made-up one if none given)."""
        bits = self._random.getrandbits(64)
        subnet = self._random.choice(subnets) if subnets else "subnet-0a1b2c3d4e5f60718"
        # Random picks collide within a few hundred tasks; AWS never gives two ENIs one IP.
        host = bits % _PRIVATE_HOSTS if self._next_host is None else self._next_host
        self._next_host = (host + 1) % _PRIVATE_HOSTS
        ip = f"10.0.{host // _HOSTS_PER_BLOCK}.{4 + host % _HOSTS_PER_BLOCK}"
        octets = [(bits >> shift) & 0xFF for shift in (16, 24, 32)]
        return NetworkInterface(
            attachment_id=self.uuid(),
            eni_id=f"eni-{bits & ((1 << 68) - 1):017x}"[:21],
            subnet_id=subnet,
            private_ip=ip,
            mac=":".join(f"{octet:02x}" for octet in [0x0A, *octets, host >> 8, host & 0xFF]),
            dns_name=f"ip-{ip.replace('.', '-')}.ec2.internal",
        )

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def arn(region: str, resource: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:ecs:{region}:{account}:{resource}"


def name_of(name_or_arn: str) -> str:
    """The short name in a name-or-ARN parameter (ECS accepts either everywhere)."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.rsplit("/", 1)[-1]
    return name_or_arn
