"""``python -m ecsdeploy.sim``: the same server as ``ecsdeploy sim``."""

from __future__ import annotations

from ecsdeploy._front.sim_command import sim

if __name__ == "__main__":
    sim(prog_name="python -m ecsdeploy.sim")
