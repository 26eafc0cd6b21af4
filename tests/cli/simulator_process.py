"""The old import path of `tests._fixtures.simulator_process`, for tests written before the
suite's fixtures became one plugin: import from there instead."""

from tests._fixtures.simulator_process import (
    CLUSTER,
    ECSDEPLOY,
    ECSDEPLOY_DRONE,
    FAST,
    REGION,
    SPEED,
    SimulatedEcs,
    json_lines,
    results,
    run_process,
    simulator_process,
)

__all__ = [
    "CLUSTER",
    "ECSDEPLOY",
    "ECSDEPLOY_DRONE",
    "FAST",
    "REGION",
    "SPEED",
    "SimulatedEcs",
    "json_lines",
    "results",
    "run_process",
    "simulator_process",
]
