"""Check each request against the newest ECS service model before the backend sees it.

The model is data kept with the simulator (``model/ecs-2014-11-13.json.gz``, botocore's
``botocore/data/ecs/2014-11-13/service-2.json.gz``; ``model/SOURCE`` says which botocore it
came from), not the year-old one of the botocore aioboto3 pins: current SDKs send members that
model lacks (``deploymentCircuitBreaker.resetOnHealthyTask``…). ``nox -s sim_model`` refreshes
it from the newest botocore on PyPI.

ECS (a Coral JSON service) answers in two families, and the simulator mimics both:

* The body cannot be read into the input shape — wrong JSON type for a member (a string where an
  integer is expected, an object where a list is), or a member the shape does not have:
  ``SerializationException`` (HTTP 400), the deserializer's error, raised before any validation.
  Real ECS sends that code (often with no message); we add a message naming the member so a
  failing test says what is wrong. Rejecting unknown members is stricter than some Coral
  services, on purpose: it is the bug class "copied a described task definition into
  RegisterTaskDefinition" (``registeredAt``…), which botocore also refuses client-side.
* The body reads but a value breaks a constraint — a required member missing, a value outside
  an enum, a length or range outside the model's ``min``/``max``, or one of ECS's own batch
  limits: ``InvalidParameterException`` (HTTP 400), worded as ECS words it where we have seen
  the words ("Services cannot be empty.", "service names can have at most 10 items.",
  "taskIds can have at most 100 items.", "instanceIds can have at most 100 items." — quoted in
  public bug reports against ECS), and in Coral's "1 validation error detected" form otherwise.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from ecsdeploy.sim._api.errors import EcsApiError, invalid_parameter
from ecsdeploy.sim._wire.protocol import serialization_error

_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class BatchLimit:
    """A list limit ECS enforces that botocore's model does not carry."""

    empty_message: str | None
    max_items: int
    too_many_message: str


# ECS's own limits on batched reads (API reference: DescribeServices "up to 10 services",
# DescribeTasks "up to 100 tasks", DescribeContainerInstances, DescribeClusters "up to 100").
BATCH_LIMITS: Final[Mapping[tuple[str, str], BatchLimit]] = {
    ("DescribeServices", "services"): BatchLimit(
        "Services cannot be empty.", 10, "service names can have at most 10 items."
    ),
    ("DescribeTasks", "tasks"): BatchLimit(
        "Tasks cannot be empty.", 100, "taskIds can have at most 100 items."
    ),
    ("DescribeContainerInstances", "containerInstances"): BatchLimit(
        "ContainerInstances cannot be empty.", 100, "instanceIds can have at most 100 items."
    ),
    ("DescribeClusters", "clusters"): BatchLimit(None, 100, "clusters can have at most 100 items."),
}


MODEL_FILE: Final = "ecs-2014-11-13.json.gz"
MODEL_FILES: Final[Mapping[str, str]] = {
    "ecs": MODEL_FILE,
    "elbv2": "elbv2-2015-12-01.json.gz",
    "cloudwatch": "cloudwatch-2010-08-01.json.gz",
    "sts": "sts-2011-06-15.json.gz",
}
"""Bundled botocore models by botocore service name (`nox -s sim_model` refreshes them all)."""


@functools.cache
def load_model(service: str) -> ServiceModel:
    """The bundled (newest known) model of `service` (a key of `MODEL_FILES`).

    Loaded once per process (it is read-only), so each new simulator starts fast.
    """
    packed = resources.files("ecsdeploy.sim.model").joinpath(MODEL_FILES[service]).read_bytes()
    return ServiceModel(json.loads(gzip.decompress(packed)), service_name=service)


def load_ecs_model() -> ServiceModel:
    """The bundled (newest known) ECS service model: the contract we validate."""
    return load_model("ecs")


def _constraint(value: object, path: str, constraint: str, *, query: bool = False) -> EcsApiError:
    return (_query_constraint if query else invalid_parameter)(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _type_error(path: str, expected: str, value: object) -> EcsApiError:
    return serialization_error(
        f"Cannot read '{path}': expected {expected}, got JSON {_json_type(value)}."
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _query_constraint(message: str) -> EcsApiError:
    return EcsApiError("ValidationError", message)


def _query_missing(path: str) -> str:
    """Coral's wording for a required member a query service did not get."""
    return (
        f"1 validation error detected: Value null at '{path[:1].lower()}{path[1:]}' failed to "
        "satisfy constraint: Member must not be null"
    )


class RequestValidator:
    """Validates request bodies of ECS operations; raises `EcsApiError` as ECS would answer.

    `query=True` validates the already typed parameters of a query-protocol service (ELBv2,
    CloudWatch, STS) and words errors as those services do: ``ValidationError`` with Coral's
    "1 validation error detected" message, for missing members too.
    """

    def __init__(self, model: ServiceModel | None = None, *, query: bool = False) -> None:
        self._model = model if model is not None else load_ecs_model()
        self.operations: frozenset[str] = frozenset(self._model.operation_names)
        self._query = query

    def validate(self, operation: str, params: Mapping[str, Any]) -> None:
        """Raise for the first problem found; reading problems come before constraint ones."""
        shape = self._model.operation_model(operation).input_shape
        if shape is None:
            if params:
                raise serialization_error(f"{operation} takes no parameters.")
            return
        self._read(shape, params, "")
        self._check(shape, params, "")
        self._check_batch_limits(operation, params)

    # -- reading: would the JSON deserialize into the shape at all? ------------------------

    def _read(self, shape: Shape, value: object, path: str) -> None:
        kind = shape.type_name
        if value is None:
            return  # JSON null reads as "absent"; required-ness is checked afterwards
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                raise _type_error(path or "<body>", "an object", value)
            for name, member_value in value.items():
                if name not in shape.members:
                    where = f"{path}.{name}" if path else name
                    raise serialization_error(
                        f"Unrecognized field '{where}': not a member of {shape.name}."
                    )
                self._read(shape.members[name], member_value, _join(path, name))
        elif isinstance(shape, ListShape):
            if not isinstance(value, list):
                raise _type_error(path, "an array", value)
            for index, item in enumerate(value):
                self._read(shape.member, item, f"{path}[{index}]")
        elif isinstance(shape, MapShape):
            if not isinstance(value, dict):
                raise _type_error(path, "an object", value)
            for key, item in value.items():
                self._read(shape.value, item, f"{path}.{key}")
        elif kind == "string":
            if not isinstance(value, str):
                raise _type_error(path, "a string", value)
        elif kind in ("integer", "long"):
            low, high = _INT32 if kind == "integer" else _INT64
            # JSON numbers with a fraction part (even 2.0) are refused, so the backend only
            # ever sees Python ints where the model says integer.
            if isinstance(value, bool) or not isinstance(value, int):
                raise _type_error(path, f"an {kind}", value)
            if not low <= value <= high:
                raise serialization_error(f"Cannot read '{path}': {value} overflows {kind}.")
        elif kind in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(path, "a number", value)
            if isinstance(value, float) and not math.isfinite(value):
                raise _type_error(path, "a finite number", value)
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise _type_error(path, "a boolean", value)
        elif kind == "timestamp":
            # JSON 1.1 timestamps are epoch seconds; botocore sends numbers.
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(path, "epoch seconds", value)
        elif kind == "blob":
            if not isinstance(value, str):
                raise _type_error(path, "a base64 string", value)
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error as exc:
                raise serialization_error(f"Cannot read '{path}': invalid base64.") from exc

    # -- constraints: required members, enums, lengths and ranges ---------------------------

    def _check(self, shape: Shape, value: object, path: str) -> None:
        if value is None:
            return
        if isinstance(shape, StructureShape):
            assert isinstance(value, dict)
            for name in shape.required_members:
                if value.get(name) is None:
                    if self._query:
                        raise _query_constraint(_query_missing(_join(path, name)))
                    raise invalid_parameter(_missing_message(_join(path, name)))
            for name, member_value in value.items():
                self._check(shape.members[name], member_value, _join(path, name))
        elif isinstance(shape, ListShape):
            assert isinstance(value, list)
            self._check_size(shape, value, len(value), path, "have length")
            for index, item in enumerate(value):
                self._check(shape.member, item, f"{path}[{index}]")
        elif isinstance(shape, MapShape):
            assert isinstance(value, dict)
            self._check_size(shape, value, len(value), path, "have length")
            for key, item in value.items():
                self._check(shape.key, key, f"{path}.{key}")
                self._check(shape.value, item, f"{path}.{key}")
        elif shape.type_name == "string":
            assert isinstance(value, str)
            enum: list[str] = shape.metadata.get("enum", [])
            if enum and value not in enum:
                raise _constraint(
                    value,
                    path,
                    f"Member must satisfy enum value set: [{', '.join(enum)}]",
                    query=self._query,
                )
            self._check_size(shape, value, len(value), path, "have length")
        elif shape.type_name in ("integer", "long"):
            assert isinstance(value, int)
            self._check_size(shape, value, value, path, "have value")

    def _check_size(self, shape: Shape, value: object, size: float, path: str, what: str) -> None:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        if low is not None and size < low:
            raise _constraint(
                value,
                path,
                f"Member must {what} greater than or equal to {low}",
                query=self._query,
            )
        if high is not None and size > high:
            raise _constraint(
                value, path, f"Member must {what} less than or equal to {high}", query=self._query
            )

    @staticmethod
    def _check_batch_limits(operation: str, params: Mapping[str, Any]) -> None:
        for (limited_operation, member), limit in BATCH_LIMITS.items():
            if limited_operation != operation:
                continue
            items = params.get(member)
            if not items and limit.empty_message is not None:
                raise invalid_parameter(limit.empty_message)
            if items and len(items) > limit.max_items:
                raise invalid_parameter(limit.too_many_message)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _missing_message(path: str) -> str:
    """ECS's wording for a required member left out, e.g. "Services cannot be empty."."""
    head, _, tail = path.rpartition(".")
    return f"{head + '.' if head else ''}{tail[:1].upper()}{tail[1:]} cannot be empty."
