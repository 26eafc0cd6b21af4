"""Strategies for text people and CI systems hand to ecsdeploy."""

from __future__ import annotations

from hypothesis import strategies as st

#: Characters that matter to the parsers (separators, quoting, globs, TOML syntax) mixed with
#: anything at all.
_PUNCTUATION = ":=@/,.\n\t -_$%{}[]\"'\\#*?"
SEPARATED = st.text(
    alphabet=st.one_of(st.sampled_from(list(_PUNCTUATION)), st.characters()), max_size=60
)
WORDISH = st.text(alphabet="abcAB09:/=@.-_${} ,\n", max_size=40)
ANY_TEXT = st.one_of(SEPARATED, WORDISH, st.text(max_size=80))
