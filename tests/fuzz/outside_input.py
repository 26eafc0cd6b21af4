"""Strategies for text people and CI systems hand to ecsdeploy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import strategies as st

from ecsdeploy.exceptions import InputError

T = TypeVar("T")


def parsed_or_refused(parse: Callable[[], T]) -> T | InputError:
    """What a parser gives: its value, or the InputError it raised (anything else escapes)."""
    try:
        return parse()
    except InputError as exc:
        return exc


#: Characters that matter to the parsers (separators, quoting, globs, TOML syntax) mixed with
#: anything at all.
_PUNCTUATION = ":=@/,.\n\t -_$%{}[]\"'\\#*?"
SEPARATED = st.text(
    alphabet=st.one_of(st.sampled_from(list(_PUNCTUATION)), st.characters()), max_size=60
)
WORDISH = st.text(alphabet="abcAB09:/=@.-_${} ,\n", max_size=40)
ANY_TEXT = st.one_of(SEPARATED, WORDISH, st.text(max_size=80))
