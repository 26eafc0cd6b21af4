"""aioboto3 sessions that share one botocore data loader per process (per data path).

A fresh botocore session parses the service models and endpoint rules (megabytes of JSON)
again for its first client: about 70 ms of CPU, paid by every Deployer and by every
(role, region) session of a release across accounts and regions. The loader only reads
botocore's installed data and caches what it parsed, so one instance serves every session
that searches the same directories.
"""

from __future__ import annotations

import functools
import os

import aioboto3
from aiobotocore.session import AioSession
from botocore.loaders import Loader

__all__ = ["new_botocore_session", "new_session", "shared_loader"]


class _SearchPaths(list[str]):
    """A loader's search path that takes each directory once: boto3 appends its own data
    directory to the loader of every Session it makes, which on a shared loader would grow
    the path by one entry per session for the life of the process."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def shared_loader(data_path: str | None = None) -> Loader:
    """The loader botocore would make for `data_path` (AWS_DATA_PATH, or the profile's
    `data_path`), made once per process."""
    extra = [
        os.path.expanduser(os.path.expandvars(path))
        for path in (data_path.split(os.pathsep) if data_path else [])
    ]
    return Loader(extra_search_paths=_SearchPaths(extra))


def new_botocore_session() -> AioSession:
    """An aiobotocore session reading service data through the process's shared loader."""
    session = AioSession()
    # Read per session, as botocore does: models a user adds (e.g. a newer ECS model) are found.
    data_path = session.get_config_variable("data_path")
    session.register_component("data_loader", shared_loader(data_path))
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
