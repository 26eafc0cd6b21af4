"""The signature every simulated ECS operation has, and small parameter helpers they share."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from ecsdeploy.sim._api.errors import cluster_not_found, invalid_parameter
from ecsdeploy.sim._dynamics.ids import arn, name_of
from ecsdeploy.sim._dynamics.state import Cluster, Region
from ecsdeploy.sim._dynamics.world import World

Params = dict[str, Any]
Response = dict[str, Any]
Operation = Callable[[World, Region, Params], Response]
T = TypeVar("T")

DEFAULT_CLUSTER = "default"


def cluster_param(region: Region, params: Params, key: str = "cluster") -> Cluster:
    """The ACTIVE cluster named by `params[key]` (name or ARN), "default" when omitted."""
    cluster = region.clusters.get(name_of(params.get(key) or DEFAULT_CLUSTER))
    if cluster is None or cluster.status != "ACTIVE":
        raise cluster_not_found()
    return cluster


def describe_in_cluster(
    region: Region,
    cluster: Cluster,
    references: Iterable[str],
    *,
    kind: str,
    known: Mapping[str, T],
    view: Callable[[T], dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """What a Describe* of a cluster's `kind` of resource ("service", "container-instance")
    answers: the `view` of each reference (name or ARN) found in `known`, and a MISSING
    failure for each other, with the ARN as given or the one a bare name would have."""
    found = []
    failures = []
    for given in references:
        name = name_of(given)
        own_arn = arn(region.name, f"{kind}/{cluster.name}/{name}", region.account)
        item = known.get(name)
        # An ARN names one resource: one of another cluster, account or region is not this
        # cluster's namesake. The short form (`service/web`, without the cluster) is ECS's
        # older ARN format, still accepted.
        if given.startswith("arn:") and given not in (
            own_arn,
            arn(region.name, f"{kind}/{name}", region.account),
        ):
            item = None
        if item is None:
            failures.append(
                {"arn": given if given.startswith("arn:") else own_arn, "reason": "MISSING"}
            )
        else:
            found.append(view(item))
    return found, failures


def tags_from(raw: Any) -> dict[str, str]:
    """ECS's `[{"key": k, "value": v}]` tag list as a dict."""
    if not raw:
        return {}
    if any(not tag.get("key") for tag in raw):
        raise invalid_parameter("Tag keys must not be empty.")
    tags = {str(tag["key"]): str(tag.get("value", "")) for tag in raw}
    if not all(_taggable(text) for pair in tags.items() for text in pair):
        raise invalid_parameter(
            "Some tags contain invalid characters. Valid characters: UTF-8 letters, spaces, "
            "numbers and _ . / = + - : @."
        )
    return tags


#: Besides letters, numbers and spaces (Unicode categories L, N and Z), what ECS's tag keys
#: and values may hold ("Tagging your Amazon ECS resources", tag restrictions).
_TAG_PUNCTUATION = frozenset("_./=+-:@")


def _taggable(text: str) -> bool:
    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LNZ" for ch in text)


def tags_to(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def max_results(params: Params, *, limit: int, default: int) -> int:
    value = params.get("maxResults")
    if value is None:
        return default
    if not 1 <= int(value) <= limit:
        raise invalid_parameter(f"maxResults must be between 1 and {limit}.")
    return int(value)


def with_token(body: Response, token: str | None) -> Response:
    """Add `nextToken` to a List* response when there is a next page."""
    if token is not None:
        body["nextToken"] = token
    return body
