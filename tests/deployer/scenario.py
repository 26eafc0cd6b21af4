"""The deployment tests' shared pieces, which live in `tests._fixtures.scenario` so that other test
packages (the checks') use them too: import from there in new tests."""

from tests._fixtures.scenario import CRASH, Lockstep, once_in, to

__all__ = ["CRASH", "Lockstep", "once_in", "to"]
