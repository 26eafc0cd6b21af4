"""The AWS services served on the simulator's one port, and how a request finds its service.

AWS gives each service its own endpoint; the simulator serves ECS, ELBv2, CloudWatch and STS on
one, so that ``AWS_ENDPOINT_URL`` alone points every client at it. A request names its service
three ways, tried in this order:

1. the SigV4 credential scope's service (``Credential=AKID/DATE/REGION/<service>/aws4_request``):
   ``ecs``, ``elasticloadbalancing``, ``monitoring``, ``sts`` — every SDK signs with it;
2. ``X-Amz-Target``: ``AmazonEC2ContainerServiceV20141113.<Operation>`` is ECS (JSON 1.1),
   ``GraniteServiceVersion20100801.<Operation>`` CloudWatch over AWS JSON 1.0;
3. a form body's ``Version`` (the query protocol's API version): ``2015-12-01`` ELBv2,
   ``2010-08-01`` CloudWatch, ``2011-06-15`` STS.

Each service has its botocore model (bundled in ``sim/model``), the protocol(s) it is served
over and a backend. CloudWatch is served two ways because its clients differ: botocore 1.40
(aioboto3 15.5) sends the query protocol, while newer botocore (and the AWS CLI v1, which bundles
one) picks JSON 1.0 in "query-compatible" mode from the model's ``protocols`` list
(``smithy-rpc-v2-cbor``, ``json``, ``query``: botocore ranks ``json`` above CBOR). Errors then
carry the query error code in ``x-amzn-query-error``. No Python client sends CBOR, so the
simulator does not serve it.

Calls are counted and matched by fault rules under one key per operation: the bare operation
name for ECS (``DescribeServices``, as before), ``<service>:<Operation>`` for the others
(``elbv2:DescribeTargetHealth``, ``cloudwatch:SetAlarmState``, ``sts:AssumeRole``), since
CloudWatch and ECS share names such as ``TagResource``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.model import ServiceModel

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._wire.protocol import TARGET_PREFIX
from ecsdeploy.sim._wire.validation import RequestValidator, load_model

ECS = "ecs"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who signed a request: the access key and the account it belongs to."""

    access_key_id: str
    account: str
    arn: str = ""
    """The principal's ARN (an assumed-role session's or an IAM user's)."""


class ServiceBackend(Protocol):
    """One service's simulated state and operations, called with already validated params."""

    @property
    def operations(self) -> frozenset[str]: ...
    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class WireService:
    """A service the simulator serves: botocore name, signing name, model and backend."""

    name: str
    signing_name: str
    model: ServiceModel
    backend: ServiceBackend
    validator: RequestValidator = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "validator", RequestValidator(self.model, query=self.speaks_query))

    @property
    def speaks_query(self) -> bool:
        return self.name != ECS

    @property
    def iam_prefix(self) -> str:
        """The service's prefix in IAM actions (``elasticloadbalancing:DescribeTargetHealth``)."""
        return "cloudwatch" if self.name == "cloudwatch" else self.signing_name

    @property
    def json_target_prefix(self) -> str | None:
        """``X-Amz-Target``'s prefix when the service is also served over AWS JSON: ECS, and
        CloudWatch, whose newer models declare JSON 1.0 (query-compatible) before query."""
        if self.name == ECS:
            return TARGET_PREFIX
        prefix = self.model.metadata.get("targetPrefix")
        return (
            f"{prefix}." if prefix and "json" in self.model.metadata.get("protocols", ()) else None
        )

    @property
    def json_content_type(self) -> str:
        return f"application/x-amz-json-{self.model.metadata.get('jsonVersion', '1.1')}"

    def operation_from_target(self, target: str | None) -> str | None:
        prefix = self.json_target_prefix
        if not target or prefix is None or not target.startswith(prefix):
            return None
        return target[len(prefix) :] or None

    @property
    def api_version(self) -> str:
        version: str = self.model.metadata["apiVersion"]
        return version

    @property
    def xml_namespace(self) -> str:
        namespace: str = self.model.metadata.get("xmlNamespace", "")
        return namespace

    def key(self, operation: str) -> str:
        """The stats and fault-rule key of `operation`."""
        return operation if self.name == ECS else f"{self.name}:{operation}"


SIGNING_NAMES: Mapping[str, str] = {
    "ecs": "ecs",
    "elbv2": "elasticloadbalancing",
    "cloudwatch": "monitoring",
    "sts": "sts",
}


def wire_service(name: str, backend: ServiceBackend) -> WireService:
    return WireService(name, SIGNING_NAMES[name], load_model(name), backend)


class UnservedOperations:
    """A backend for a service whose operations are not simulated yet: InvalidAction for all."""

    operations: frozenset[str] = frozenset()

    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]:
        raise invalid_action(operation)


def invalid_action(operation: str) -> EcsApiError:
    """AWS's answer for an action a service (or the simulator) does not have."""
    return EcsApiError(
        "InvalidAction", f"The action {operation} is not valid for this web service."
    )


class ServiceDirectory:
    """The served services, found by signing name or by query API version."""

    def __init__(self, services: list[WireService]) -> None:
        self.services = {service.name: service for service in services}
        self._by_signing_name = {service.signing_name: service for service in services}
        self._by_version = {
            service.api_version: service for service in services if service.speaks_query
        }

    def by_signing_name(self, name: str | None) -> WireService | None:
        return self._by_signing_name.get(name or "")

    def by_api_version(self, version: str | None) -> WireService | None:
        return self._by_version.get(version or "")

    def by_target(self, target: str | None) -> WireService | None:
        """The service whose JSON ``X-Amz-Target`` prefix `target` has."""
        for service in self.services.values():
            if service.operation_from_target(target) is not None:
                return service
        return None

    @property
    def ecs(self) -> WireService:
        return self.services[ECS]

    def operation_keys(self) -> frozenset[str]:
        """Every operation key a fault rule may name (see the module docstring)."""
        return frozenset(
            service.key(operation)
            for service in self.services.values()
            for operation in service.validator.operations
        )
