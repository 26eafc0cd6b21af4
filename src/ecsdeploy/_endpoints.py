"""Which AWS services an explicit endpoint URL serves.

`--endpoint-url` (the Deployer's `endpoint_url`) is ECS's endpoint. A local emulator such as
`ecsdeploy sim` or LocalStack serves every service on that one URL, so the health checks'
ELBv2 and CloudWatch calls go there too. An AWS endpoint — an interface VPC endpoint, a FIPS
or dual-stack endpoint, ECS's own — serves ECS only: sending ELBv2 or CloudWatch calls to it
would fail every check read, so those keep botocore's own resolution (their
AWS_ENDPOINT_URL_* variables, then AWS_ENDPOINT_URL, then AWS).
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["serves_every_service"]

#: The DNS suffixes of AWS's partitions (commercial, China, GovCloud's and the new ones'
#: `api.aws`, the isolated regions').
_AWS_DOMAINS = (
    "amazonaws.com",
    "amazonaws.com.cn",
    "api.aws",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
    "amazonaws.eu",
)


def serves_every_service(endpoint_url: str) -> bool:
    """False when `endpoint_url` is an AWS endpoint (it serves one service); True for anything
    else, such as a local emulator."""
    host = (urlsplit(endpoint_url).hostname or "").rstrip(".").lower()
    return not any(host == domain or host.endswith("." + domain) for domain in _AWS_DOMAINS)
