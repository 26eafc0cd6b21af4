"""Errors the simulator answers with, as ECS names them."""

from __future__ import annotations


class EcsApiError(Exception):
    """An error response ECS itself would send: its `__type` name, message and HTTP status.

    Raised by the simulated backend; the wire layer turns it into an AWS JSON 1.1 error body.
    """

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def client_error(message: str) -> EcsApiError:
    return EcsApiError("ClientException", message)


def invalid_parameter(message: str) -> EcsApiError:
    return EcsApiError("InvalidParameterException", message)


def cluster_not_found() -> EcsApiError:
    return EcsApiError("ClusterNotFoundException", "Cluster not found.")


def service_not_found() -> EcsApiError:
    return EcsApiError("ServiceNotFoundException", "Service not found.")


def service_not_active() -> EcsApiError:
    return EcsApiError("ServiceNotActiveException", "Service was not ACTIVE.")
