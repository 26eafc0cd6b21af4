"""Which AWS services an explicit endpoint URL serves.

`--endpoint-url` (the Deployer's `endpoint_url`) is ECS's endpoint. A local emulator such as
`ecsdeploy sim` or LocalStack serves every service on that one URL, so the health checks'
ELBv2 and CloudWatch calls go there too. An AWS endpoint — an interface VPC endpoint, a FIPS
or dual-stack endpoint, ECS's own — serves ECS only: sending ELBv2 or CloudWatch calls to it
would fail every check read, so those keep botocore's own resolution (their
AWS_ENDPOINT_URL_* variables, then AWS_ENDPOINT_URL, then AWS).
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import DataNotFoundError

from ecsdeploy._aws_session import shared_loader

__all__ = ["serves_every_service", "sts_endpoint_configured"]

#: The DNS suffixes of AWS's partitions when this was written, each partition's own and its
#: dual-stack one (commercial and GovCloud, China, the European Sovereign Cloud, the isolated
#: regions'); the installed botocore's partitions.json adds any newer partition.
_KNOWN_AWS_DOMAINS = (
    "amazonaws.com",
    "api.aws",
    "amazonaws.com.cn",
    "api.amazonwebservices.com.cn",
    "amazonaws.eu",
    "api.amazonwebservices.eu",
    "c2s.ic.gov",
    "api.aws.ic.gov",
    "sc2s.sgov.gov",
    "api.aws.scloud",
    "cloud.adc-e.uk",
    "api.cloud-aws.adc-e.uk",
    "csp.hci.ic.gov",
    "api.aws.hci.ic.gov",
)


@functools.cache
def _aws_domains() -> frozenset[str]:
    """Every partition's DNS suffix and dual-stack DNS suffix, from botocore's partitions.json
    and the ones known when this was written."""
    try:
        partitions = shared_loader().load_data("partitions").get("partitions", [])
    except DataNotFoundError:
        partitions = []
    found = {
        str(suffix).lower()
        for partition in partitions
        for key in ("dnsSuffix", "dualStackDnsSuffix")
        if (suffix := (partition.get("outputs") or {}).get(key))
    }
    return frozenset(found.union(_KNOWN_AWS_DOMAINS))


def serves_every_service(endpoint_url: str) -> bool:
    """False when `endpoint_url` is an AWS endpoint (it serves one service); True for anything
    else, such as a local emulator."""
    host = (urlsplit(endpoint_url).hostname or "").rstrip(".").lower()
    return not any(host == domain or host.endswith("." + domain) for domain in _aws_domains())


def sts_endpoint_configured(botocore_session: Any) -> bool:
    """True when botocore would send STS to an endpoint the user configured for STS itself:
    AWS_ENDPOINT_URL_STS, or `sts = endpoint_url = …` in the profile's `services` section of
    the shared config file; both count for nothing under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
    (or the profile's `ignore_configured_endpoint_urls`), as botocore ignores them then."""
    if botocore_session is None:
        return bool(os.environ.get("AWS_ENDPOINT_URL_STS"))
    if botocore_session.get_config_variable("ignore_configured_endpoint_urls"):
        return False
    if os.environ.get("AWS_ENDPOINT_URL_STS"):
        return True
    scoped = botocore_session.get_scoped_config()
    section = scoped.get("services")
    if not section:
        return False
    services = botocore_session.full_config.get("services", {}).get(section) or {}
    return bool((services.get("sts") or {}).get("endpoint_url"))
