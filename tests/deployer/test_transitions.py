"""The state machine's transition table."""

from __future__ import annotations

import itertools

from ecsdeploy import Outcome, Phase
from ecsdeploy._machine import TRANSITIONS


def test_every_terminal_phase_is_reachable_and_has_no_way_out() -> None:
    """Each outcome is reachable from some phase; terminal phases have no transitions."""
    reachable = set().union(*TRANSITIONS.values())
    for outcome in Outcome:
        assert Phase(outcome.value) in reachable
        assert Phase(outcome.value) not in TRANSITIONS
        assert Phase(outcome.value).outcome is outcome


def test_nothing_but_watch_can_lead_to_rollback_or_success() -> None:
    """SUCCEEDED and ROLLBACK only follow WATCH: success needs our deployment watched."""
    for phase, targets in TRANSITIONS.items():
        if phase is not Phase.WATCH:
            assert Phase.SUCCEEDED not in targets
            assert Phase.ROLLBACK not in targets


def test_the_happy_path_is_a_chain() -> None:
    """PREFLIGHT → REGISTER → UPDATE → WATCH → SUCCEEDED."""
    chain = [Phase.PREFLIGHT, Phase.REGISTER, Phase.UPDATE, Phase.WATCH, Phase.SUCCEEDED]
    for before, after in itertools.pairwise(chain):
        assert after in TRANSITIONS[before]
