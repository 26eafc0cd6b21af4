"""The AWS query protocol as ELBv2, CloudWatch and STS speak it: form-encoded requests, XML
answers wrapped as the service model says, ``<ErrorResponse>`` errors.

Requests are ``POST /`` with ``Content-Type: application/x-www-form-urlencoded`` and a body of
``Action=<Operation>&Version=<apiVersion>&...``; botocore's query serializer flattens members:
a structure's members as ``Parent.Member``, a list as ``Name.member.N`` (``Name.N`` when the
list is ``flattened``), a map as ``Name.entry.N.key``/``.value``, both named by the model's
``locationName`` where it has one; booleans as ``true``/``false`` and timestamps as ISO 8601.
An empty list is sent as ``Name=`` with no value.

Answers are ``<{Operation}Response xmlns="{xmlNamespace}"><{resultWrapper}>...</...>
<ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></...>``; botocore's query
parser reads the result from the element the operation's ``resultWrapper`` names.
Errors are ``<ErrorResponse><Error><Type>Sender</Type><Code>...</Code><Message>...</Message>
</Error><RequestId>...</RequestId></ErrorResponse>`` (``Type`` is ``Receiver`` for 5xx).
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from aiohttp import web
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._wire.protocol import new_request_id

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
XML_CONTENT_TYPE: Final = "text/xml"

_INDEX = re.compile(r"^(\d+)(?:\.|$)")


def parse_form(raw: bytes) -> dict[str, str]:
    """The request's form fields; a repeated field keeps its last value."""
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise malformed_query(f"Request body is not UTF-8: {exc}") from exc
    return dict(parse_qsl(text, keep_blank_values=True))


def malformed_query(message: str) -> EcsApiError:
    return EcsApiError("MalformedQueryString", message, status=400)


def invalid_value(message: str) -> EcsApiError:
    return EcsApiError("InvalidParameterValue", message, status=400)


def parse_params(operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    """The operation's input as typed Python values (the shape the backends receive).

    Fields the input shape does not have are ignored, as query services ignore them.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    return _structure(shape, form, "")


def _name(shape: Shape, default: str) -> str:
    name: str = shape.serialization.get("name", default)
    return name


def _structure(shape: StructureShape, form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member_name, member in shape.members.items():
        key = prefix + _name(member, member_name)
        value = _value(member, form, key)
        if value is not None:
            result[member_name] = value
    return result


def _value(shape: Shape, form: Mapping[str, str], key: str) -> Any:
    if isinstance(shape, StructureShape):
        if not any(field.startswith(key + ".") for field in form):
            return None
        return _structure(shape, form, key + ".")
    if isinstance(shape, ListShape):
        return _list(shape, form, key)
    if isinstance(shape, MapShape):
        return _map(shape, form, key)
    raw = form.get(key)
    if raw is None:
        return None
    return _scalar(shape, raw, key)


def _indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    found = set()
    for field in form:
        if field.startswith(prefix):
            match = _INDEX.match(field[len(prefix) :])
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def _list(shape: ListShape, form: Mapping[str, str], key: str) -> list[Any] | None:
    flattened = shape.serialization.get("flattened", False)
    prefix = f"{key}." if flattened else f"{key}.{_name(shape.member, 'member')}."
    indexes = _indexes(form, prefix)
    if not indexes:
        # botocore sends an empty list as the bare name with no value.
        return [] if form.get(key) == "" else None
    return [_value(shape.member, form, f"{prefix}{index}") for index in indexes]


def _map(shape: MapShape, form: Mapping[str, str], key: str) -> dict[str, Any] | None:
    flattened = shape.serialization.get("flattened", False)
    prefix = f"{key}." if flattened else f"{key}.entry."
    key_name = _name(shape.key, "key")
    value_name = _name(shape.value, "value")
    indexes = _indexes(form, prefix)
    if not indexes:
        return None
    result: dict[str, Any] = {}
    for index in indexes:
        entry_key = form.get(f"{prefix}{index}.{key_name}")
        if entry_key is None:
            raise malformed_query(f"{prefix}{index}.{key_name} is missing.")
        result[entry_key] = _value(shape.value, form, f"{prefix}{index}.{value_name}")
    return result


def _scalar(shape: Shape, raw: str, key: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("double", "float"):
            return float(raw)
    except ValueError:
        raise invalid_value(f"Value ({raw}) for parameter {key} is invalid.") from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise invalid_value(f"Value ({raw}) for parameter {key} is invalid.")
        return raw.lower() == "true"
    if kind == "timestamp":
        return _timestamp(raw, key)
    if kind == "blob":
        return base64.b64decode(raw)
    return raw


def _timestamp(raw: str, key: str) -> float:
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_value(f"Value ({raw}) for parameter {key} is invalid.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


# -- answers ------------------------------------------------------------------------------


def xml_response(operation: OperationModel, body: Mapping[str, Any]) -> web.Response:
    """A successful answer: `body` (member name → Python value) under the result wrapper."""
    namespace = operation.service_model.metadata.get("xmlNamespace", "")
    request_id = new_request_id()
    parts = [f'<{operation.name}Response xmlns="{namespace}">']
    output = operation.output_shape
    if isinstance(output, StructureShape):
        wrapper = _result_wrapper(output, operation.name)
        parts.append(f"<{wrapper}>")
        parts.append(_members(output, body))
        parts.append(f"</{wrapper}>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    parts.append(f"</{operation.name}Response>")
    return _xml(200, "".join(parts), request_id)


def _result_wrapper(output: Shape, operation_name: str) -> str:
    wrapper: str = output.serialization.get("resultWrapper", f"{operation_name}Result")
    return wrapper


def xml_error(error: EcsApiError, *, namespace: str = "") -> web.Response:
    """A query-protocol error answer, as botocore's query parser reads it."""
    request_id = new_request_id()
    kind = "Receiver" if error.status >= 500 else "Sender"
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    body = (
        f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return _xml(error.status, body, request_id)


def _xml(status: int, body: str, request_id: str) -> web.Response:
    return web.Response(
        status=status,
        body=body.encode(),
        headers={"Content-Type": XML_CONTENT_TYPE, "x-amzn-RequestId": request_id},
    )


def _members(shape: StructureShape, value: Mapping[str, Any]) -> str:
    parts = []
    for member_name, member in shape.members.items():
        item = value.get(member_name)
        if item is None:
            continue
        parts.append(_element(member, _name(member, member_name), item))
    return "".join(parts)


def _element(shape: Shape, name: str, value: Any) -> str:
    if isinstance(shape, ListShape):
        member_name = _name(shape.member, "member")
        if shape.serialization.get("flattened", False):
            return "".join(_element(shape.member, name, item) for item in value)
        inner = "".join(_element(shape.member, member_name, item) for item in value)
        return f"<{name}>{inner}</{name}>"
    if isinstance(shape, MapShape):
        key_name = _name(shape.key, "key")
        value_name = _name(shape.value, "value")
        entries = "".join(
            f"<entry>{_element(shape.key, key_name, key)}"
            f"{_element(shape.value, value_name, item)}</entry>"
            for key, item in value.items()
        )
        return f"<{name}>{entries}</{name}>"
    if isinstance(shape, StructureShape):
        return f"<{name}>{_members(shape, value)}</{name}>"
    return f"<{name}>{escape(_text(shape, value))}</{name}>"


def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        instant = datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    if kind == "blob":
        return base64.b64encode(value).decode()
    return str(value)
