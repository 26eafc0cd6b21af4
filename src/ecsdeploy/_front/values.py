"""Values CI systems pass as strings (Drone's PLUGIN_*, GitHub's INPUT_*), read one way."""

from __future__ import annotations

from collections.abc import Sequence

from ecsdeploy._taskdef.changes import ImageChange, parse_image_change
from ecsdeploy.exceptions import InputError

__all__ = ["boolean", "image_changes"]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def boolean(value: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case; empty is false); ValueError for anything else."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def image_changes(
    *,
    container: tuple[str, str],
    image: tuple[str, str],
    images: tuple[str, Sequence[str]],
    kind: str,
    error: type[InputError],
) -> tuple[ImageChange, ...]:
    """The image changes a CI step asks for: the `container` + `image` pair (the one change the
    original plugins take), then each CONTAINER=IMAGE item of `images`.

    Each argument is (the setting's name, its value); `kind` is what the front calls its
    settings ("setting", "input"), so every error names the one to fix, raised as `error`.
    """
    (container_name, container_value), (image_name, image_value) = container, image
    changes: list[ImageChange] = []
    if container_value or image_value:
        if not (container_value and image_value):
            missing = container_name if image_value else image_name
            raise error(f"{kind} {missing} is required with {container_name} and {image_name}")
        try:
            changes.append(ImageChange(container_value, image_value))
        except InputError as exc:
            raise error(f"{kind} {container_name}/{image_name}: {exc}") from exc
    images_name, items = images
    for item in items:
        try:
            changes.append(parse_image_change(item))
        except InputError as exc:
            raise error(f"{kind} {images_name}: {exc}") from exc
    return tuple(changes)
