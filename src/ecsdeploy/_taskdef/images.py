"""Container image references, checked before anything is registered.

A typo in an image only shows up on ECS as tasks that fail with ``CannotPullContainerError``
minutes into a deploy. Checking the reference against the Docker reference grammar (as defined by
the distribution/reference project) turns the worst of those into an error before any change is
made. Whether the image exists is not checked here: that needs the registry.

Grammar::

    reference  := name [":" tag] ["@" digest]
    name       := [domain "/"] path            (at most 255 characters)
    domain     := host [":" port]
    host       := domain-name | IPv4 address | "[" IPv6 address "]"
    path       := component ("/" component)*
    component  := [a-z0-9]+ (separator [a-z0-9]+)*
    separator  := "." | "_" | "__" | "-"+
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex

The first part of a name is a registry when it contains ``.`` or ``:``, is ``localhost``, or has
an uppercase letter — Docker's rule; otherwise the whole name is a Docker Hub path
(``myorg/nginx``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from ecsdeploy.exceptions import InvalidImageError

__all__ = ["ImageReference", "parse_image_reference"]

_NAME_MAX = 255
_TAG_MAX = 128

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_NAME_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = re.compile(
    rf"(?:{_DOMAIN_NAME_PART}(?:\.{_DOMAIN_NAME_PART})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?"
)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*")
# Lengths of the hex digests registries accept, by algorithm (go-digest's registered ones).
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_Fail = Callable[[str], InvalidImageError]


@dataclasses.dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed image reference. `str()` gives back the reference as written."""

    registry: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Registry and path: the repository, without tag or digest."""
        return self.path if self.registry is None else f"{self.registry}/{self.path}"

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_image_reference(reference: str) -> ImageReference:
    """Parse `reference`, raising `InvalidImageError` that names it and says what is wrong."""

    def fail(problem: str) -> InvalidImageError:
        return InvalidImageError(f"image reference {reference!r} is invalid: {problem}")

    if not reference:
        raise fail("it is empty")
    if any(ch.isspace() for ch in reference):
        raise fail("it contains whitespace")
    remainder, at, digest = reference.partition("@")
    if at:
        _check_digest(digest, fail)
    name, tag = _split_tag(remainder)
    if tag is not None and not _TAG.fullmatch(tag):
        if not tag:
            raise fail("the tag after ':' is empty")
        if len(tag) > _TAG_MAX:
            raise fail(f"tag is {len(tag)} characters long, the limit is {_TAG_MAX}")
        raise fail(
            f"tag {tag!r} must start with a letter, digit or '_' and contain only letters, "
            "digits, '_', '.' and '-'"
        )
    if not name:
        raise fail("the repository name is missing")
    if len(name) > _NAME_MAX:
        raise fail(f"the repository name is {len(name)} characters long, the limit is {_NAME_MAX}")
    registry, path = _split_registry(name)
    if registry is not None and not _HOST.fullmatch(registry):
        raise fail(f"registry {registry!r} is not a valid host[:port]")
    for component in path.split("/"):
        if _COMPONENT.fullmatch(component):
            continue
        if not component:
            raise fail("the repository path has an empty component (a doubled or trailing '/')")
        if component.lower() != component and _COMPONENT.fullmatch(component.lower()):
            raise fail(f"repository path component {component!r} must be lowercase")
        raise fail(
            f"repository path component {component!r} must be lowercase letters and digits, "
            "separated by '.', '_', '__' or dashes, and start and end with a letter or digit"
        )
    return ImageReference(registry, path, tag, digest if at else None)


def _split_tag(remainder: str) -> tuple[str, str | None]:
    """Split off a tag: a ':' after the last '/' (a ':' before it belongs to a registry port)."""
    colon = remainder.rfind(":")
    if colon > remainder.rfind("/"):
        return remainder[:colon], remainder[colon + 1 :]
    return remainder, None


def _split_registry(name: str) -> tuple[str | None, str]:
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        return first, rest
    return None, name


def _check_digest(digest: str, fail: _Fail) -> None:
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not algorithm or not encoded:
        raise fail(f"digest {digest!r} must have the form algorithm:hex, e.g. sha256:<64 hex>")
    if not _ALGORITHM.fullmatch(algorithm):
        raise fail(f"digest algorithm {algorithm!r} is malformed")
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        supported = ", ".join(sorted(_DIGEST_HEX_LENGTHS))
        raise fail(f"digest algorithm {algorithm!r} is not supported (use one of {supported})")
    if len(encoded) != expected or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise fail(f"a {algorithm} digest must be {expected} lowercase hex characters")
