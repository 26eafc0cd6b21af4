"""Image references follow the Docker reference grammar."""

from __future__ import annotations

import pytest

from ecsdeploy import ImageReference, parse_image_reference
from ecsdeploy.exceptions import InvalidImageError

SHA256 = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nginx", ImageReference(None, "nginx")),
        ("nginx:1.27", ImageReference(None, "nginx", "1.27")),
        ("myorg/nginx:1", ImageReference(None, "myorg/nginx", "1")),
        ("a/b/c/d", ImageReference(None, "a/b/c/d")),
        ("my_org/my__app-x.y", ImageReference(None, "my_org/my__app-x.y")),
        ("a---b", ImageReference(None, "a---b")),
        ("nginx:_Latest-1.x", ImageReference(None, "nginx", "_Latest-1.x")),
        (f"nginx@{SHA256}", ImageReference(None, "nginx", None, SHA256)),
        (f"nginx:1@{SHA256}", ImageReference(None, "nginx", "1", SHA256)),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2.3",
            ImageReference("123456789012.dkr.ecr.us-east-1.amazonaws.com", "team/app", "v1.2.3"),
        ),
        ("public.ecr.aws/nginx/nginx", ImageReference("public.ecr.aws", "nginx/nginx")),
        ("localhost/app", ImageReference("localhost", "app")),
        ("localhost:5000/app:dev", ImageReference("localhost:5000", "app", "dev")),
        ("registry:5000/app", ImageReference("registry:5000", "app")),
        ("10.0.0.1:5000/app", ImageReference("10.0.0.1:5000", "app")),
        ("[::1]:5000/app", ImageReference("[::1]:5000", "app")),
        ("Registry/app", ImageReference("Registry", "app")),
        ("nginx:" + "t" * 128, ImageReference(None, "nginx", "t" * 128)),
        (
            "sha384ex@sha384:" + "a" * 96,
            ImageReference(None, "sha384ex", None, "sha384:" + "a" * 96),
        ),
    ],
)
def test_valid_references_parse_into_parts(reference: str, expected: ImageReference) -> None:
    """Registry, path, tag and digest are split as Docker splits them."""
    parsed = parse_image_reference(reference)
    assert parsed == expected
    assert str(parsed) == reference


def test_name_is_registry_and_path() -> None:
    """`name` is the repository without tag or digest."""
    assert parse_image_reference("ghcr.io/org/app:1").name == "ghcr.io/org/app"
    assert parse_image_reference("org/app:1").name == "org/app"


def test_name_of_255_characters_is_accepted() -> None:
    """The length limit is inclusive and counts the registry too."""
    name = "r.io/" + "a" * 250
    assert parse_image_reference(name + ":1").name == name


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("", "it is empty"),
        ("nginx latest", "whitespace"),
        ("Nginx", "component 'Nginx' must be lowercase"),
        ("myorg/MyApp:1", "component 'MyApp' must be lowercase"),
        ("a//b", "empty component"),
        ("a/", "empty component"),
        ("-a", "component '-a' must be lowercase letters and digits"),
        ("a_", "component 'a_' must be lowercase letters and digits"),
        ("a___b", "component 'a___b'"),
        ("a..b", "component 'a..b'"),
        ("nginx:", "the tag after ':' is empty"),
        ("nginx:.x", "tag '.x' must start with"),
        ("nginx:a/b", "registry 'nginx:a' is not a valid host[:port]"),
        ("nginx:" + "t" * 129, "tag is 129 characters long, the limit is 128"),
        (":1", "repository name is missing"),
        ("r.io/" + "a" * 251, "256 characters long, the limit is 255"),
        ("nginx@", "digest '' must have the form algorithm:hex"),
        ("nginx@sha256", "must have the form algorithm:hex"),
        ("nginx@sha256:abc", "a sha256 digest must be 64 lowercase hex characters"),
        ("nginx@sha256:" + "A" * 64, "a sha256 digest must be 64 lowercase hex characters"),
        ("nginx@md5:" + "a" * 32, "digest algorithm 'md5' is not supported"),
        ("nginx@1sha:" + "a" * 64, "digest algorithm '1sha' is malformed"),
        ("ex_ample.com/app", "registry 'ex_ample.com' is not a valid host[:port]"),
        ("host:port/app", "registry 'host:port' is not a valid host[:port]"),
    ],
)
def test_invalid_references_say_what_is_wrong(reference: str, problem: str) -> None:
    """The error names the reference and the specific problem."""
    with pytest.raises(InvalidImageError) as caught:
        parse_image_reference(reference)
    message = str(caught.value)
    assert problem in message
    assert message.startswith(f"image reference {reference!r} is invalid: ")
