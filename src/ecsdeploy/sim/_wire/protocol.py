"""The AWS JSON 1.1 wire format as ECS speaks it: targets, regions, bodies and error shapes.

Reference: "Making API requests / Query APIs" and the ECS API reference's "Common Errors"
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html). botocore parses
error bodies of the form ``{"__type": "<code>", "message": "..."}`` and takes the error code from
``__type`` (anything before a ``#`` is a namespace it strips).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ecsdeploy.sim._api.errors import EcsApiError

TARGET_PREFIX: Final = "AmazonEC2ContainerServiceV20141113."
CONTENT_TYPE: Final = "application/x-amz-json-1.1"
DEFAULT_REGION: Final = "us-east-1"

# SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-2/ecs/aws4_request, SignedHeaders=..."
_CREDENTIAL_SCOPE = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[^/,\s]+)/aws4_request"
)


def operation_from_target(target: str | None) -> str | None:
    """The operation named by an ``X-Amz-Target`` header, or None when it is not ECS's."""
    if not target or not target.startswith(TARGET_PREFIX):
        return None
    return target[len(TARGET_PREFIX) :] or None


def region_from_authorization(authorization: str | None) -> str:
    """The region of the SigV4 credential scope; ECS state is kept per region like AWS does."""
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return match.group("region") if match else DEFAULT_REGION


def service_from_authorization(authorization: str | None) -> str | None:
    """The signing name in the SigV4 credential scope (``ecs``, ``elasticloadbalancing``,
    ``monitoring``, ``sts``…), or None for an unsigned request."""
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return match.group("service") if match else None


def access_key_from_authorization(authorization: str | None) -> str | None:
    """The access key id the request was signed with, or None for an unsigned request."""
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return match.group("key") if match else None


def new_request_id() -> str:
    return str(uuid.uuid4())


def json_response(
    body: Mapping[str, Any], *, status: int = 200, content_type: str = CONTENT_TYPE
) -> web.Response:
    """An ECS answer: JSON 1.1 content type and a request id, as botocore expects."""
    return web.Response(
        status=status,
        body=json.dumps(body, allow_nan=False).encode(),
        headers={"Content-Type": content_type, "x-amzn-RequestId": new_request_id()},
    )


def error_response(error: EcsApiError, *, content_type: str = CONTENT_TYPE) -> web.Response:
    body = {"__type": error.code}
    if error.message:
        body["message"] = error.message
    return json_response(body, status=error.status, content_type=content_type)


def unknown_operation() -> EcsApiError:
    """What AWS JSON services answer for a target they do not know (no message, 400)."""
    return EcsApiError("UnknownOperationException", "", status=400)


def serialization_error(message: str) -> EcsApiError:
    """The error AWS JSON services give when the body cannot be read into the input shape."""
    return EcsApiError("SerializationException", message)


def server_error(message: str = "Service encountered an unexpected error.") -> EcsApiError:
    return EcsApiError("ServerException", message, status=500)


def throttling_error() -> EcsApiError:
    """Body and status exactly as in "Request throttling for the Amazon ECS API"."""
    return EcsApiError("ThrottlingException", "Rate exceeded")


def expired_token_error() -> EcsApiError:
    """ "Common Errors" of the AWS API references: credentials past their expiration."""
    return EcsApiError(
        "ExpiredTokenException", "The security token included in the request is expired", status=403
    )


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request's JSON object; an empty body means no parameters (as botocore sends ``{}``)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise serialization_error(f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise serialization_error("Request body must be a JSON object.")
    return body
