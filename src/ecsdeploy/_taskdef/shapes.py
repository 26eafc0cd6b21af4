"""The ECS service model shapes that task-definition handling is driven by.

Fields are never listed by hand: botocore's service model (the one aioboto3 pins) says which
members RegisterTaskDefinition accepts, so a field AWS adds reaches us with a botocore upgrade and
nothing here needs editing. Loading the model costs tens of milliseconds, hence the caches.
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import ServiceModel, Shape, StructureShape

__all__ = [
    "ecs_model",
    "register_input_members",
    "register_input_shape",
    "task_definition_shape",
]


@functools.cache
def ecs_model() -> ServiceModel:
    """The ECS service model of the installed botocore."""
    return botocore.session.get_session().get_service_model("ecs")


@functools.cache
def register_input_shape() -> StructureShape:
    """The input shape of RegisterTaskDefinition."""
    shape = ecs_model().operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None, "RegisterTaskDefinition always has an input shape"
    return shape


@functools.cache
def register_input_members() -> frozenset[str]:
    """Names of the top-level members RegisterTaskDefinition accepts."""
    return frozenset(register_input_shape().members)


@functools.cache
def task_definition_shape() -> StructureShape:
    """The `taskDefinition` member of DescribeTaskDefinition's output."""
    output = ecs_model().operation_model("DescribeTaskDefinition").output_shape
    assert output is not None, "DescribeTaskDefinition always has an output shape"
    shape: Shape = output.members["taskDefinition"]
    assert isinstance(shape, StructureShape)
    return shape
