"""Finding the line of a key in a TOML text, so release-file errors can say where to look.

tomllib hands back plain dicts without positions. Scanning the text for table headers
(``[defaults]``, the Nth ``[[stage]]``, the Mth ``[[stage.service]]`` under it) and then for
``key =`` inside that table is a best effort: right for files written one key per line with
tables as headers or inline, and `None` rather than a guess when the key cannot be found at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["KeyPath", "TomlLines", "format_key_path"]

#: A key path into parsed TOML: table keys, and 0-based indexes into arrays.
KeyPath = tuple[str | int, ...]

_ARRAY_HEADER = re.compile(r"^\s*\[\[(?P<keys>[^\[\]]+)\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[(?P<keys>[^\[\]]+)\]\s*(?:#.*)?$")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DOTTED_PART = re.compile(
    r"""\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^.\s]+))\s*"""
)


def format_key_path(path: KeyPath) -> str:
    """``("stage", 1, "service", 0, "images")`` → ``stage[2].service[1].images`` (1-based)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            shown = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            text += f".{shown}" if text else shown
    return text


class TomlLines:
    """Where the tables of a TOML text start, and where a key path is written."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        #: Each table header's resolved key path → its 0-based line; the root starts at -1.
        self._tables: dict[KeyPath, int] = {(): -1}
        self._header_lines: list[int] = []
        self._in_string = frozenset(self._multiline_string_lines())
        self._scan()

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line where `path` is written, else its table's header line, else None."""
        path = tuple(path)
        under = [line for p, line in self._tables.items() if p[: len(path)] == path and p != path]
        if path and path not in self._tables and under:
            return min(under) + 1  # an array of tables: its first [[header]]
        table = max((p for p in self._tables if tuple(path[: len(p)]) == p), key=len, default=())
        start = self._tables[table]
        end = next((n for n in self._header_lines if n > start), len(self._lines))
        keys = [part for part in path[len(table) :] if isinstance(part, str)]
        found = start if table else None
        search_from = start + 1
        for depth, key in enumerate(keys):
            line = self._find_key(key, search_from, end, first=depth == 0)
            if line is None:
                break
            found = search_from = line
        return None if found is None else found + 1

    def _find_key(self, key: str, start: int, end: int, *, first: bool) -> int | None:
        """The first line in [start, end) assigning `key`: at the line start (a table's own key,
        possibly dotted), or anywhere (a key inside an inline table)."""
        quoted = rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
        pattern = (
            re.compile(rf"^\s*{quoted}\s*[=.]")
            if first
            else re.compile(rf"""(?:^|[\s{{,.]){quoted}\s*[=.]""")
        )
        for number in range(max(start, 0), end):
            if number not in self._in_string and pattern.search(self._lines[number]):
                return number
        return None

    def _scan(self) -> None:
        array_counts: dict[KeyPath, int] = {}
        for number, line in enumerate(self._lines):
            if number in self._in_string:
                continue
            array = _ARRAY_HEADER.match(line)
            match = array or _TABLE_HEADER.match(line)
            keys = _split_dotted(match.group("keys")) if match else None
            if keys is None:
                continue
            resolved = _resolve(keys[:-1] if array else keys, array_counts)
            if array:
                resolved = (*resolved, keys[-1])
                array_counts[resolved] = array_counts.get(resolved, -1) + 1
                resolved = (*resolved, array_counts[resolved])
            self._tables.setdefault(resolved, number)
            self._header_lines.append(number)

    def _multiline_string_lines(self) -> list[int]:
        """Lines inside a multi-line string (after its opening line): never headers or keys."""
        inside: str | None = None
        lines: list[int] = []
        for number, line in enumerate(self._lines):
            if inside is not None:
                lines.append(number)
            for quote in re.findall(r'"""|\'\'\'', line):
                if inside is None:
                    inside = quote
                elif quote == inside:
                    inside = None
        return lines


def _resolve(keys: Sequence[str], array_counts: dict[KeyPath, int]) -> KeyPath:
    """Insert the current index after every array of tables a header's keys pass through."""
    resolved: KeyPath = ()
    for key in keys:
        resolved = (*resolved, key)
        if resolved in array_counts:
            resolved = (*resolved, array_counts[resolved])
    return resolved


def _split_dotted(text: str) -> list[str] | None:
    """``stage . "service"`` → ``["stage", "service"]``; None if `text` is not a dotted key."""
    keys: list[str] = []
    for raw in text.split("."):
        match = _DOTTED_PART.fullmatch(raw)
        if match is None:
            return None
        bare = match.group("bare")
        if bare is not None and not _BARE_KEY.fullmatch(bare):
            return None
        quoted = match.group("double")
        keys.append(bare if bare is not None else quoted if quoted is not None else match["single"])
    return keys
