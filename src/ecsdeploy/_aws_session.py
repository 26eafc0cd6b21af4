"""aioboto3 sessions that share one botocore data loader per process.

A fresh botocore session parses the service models and endpoint rules (megabytes of JSON)
again for its first client: about 70 ms of CPU, paid by every Deployer and by every
(role, region) session of a release across accounts and regions. The loader only reads
botocore's installed data and caches what it parsed, so one instance serves every session.
"""

from __future__ import annotations

import functools

import aioboto3
from aiobotocore.session import AioSession
from botocore.loaders import Loader, create_loader

__all__ = ["new_session"]


@functools.cache
def _shared_loader() -> Loader:
    return create_loader()


def new_botocore_session() -> AioSession:
    """An aiobotocore session reading service data through the process's shared loader."""
    session = AioSession()
    session.register_component("data_loader", _shared_loader())
    return session


def new_session(
    *,
    region_name: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    botocore_session: AioSession | None = None,
) -> aioboto3.Session:
    """An aioboto3 Session like `aioboto3.Session(...)`, on the shared loader."""
    return aioboto3.Session(
        botocore_session=botocore_session or new_botocore_session(),
        region_name=region_name,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
    )
