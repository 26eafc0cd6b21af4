"""ecsdeploy side by side with the ECS deploy tools people use today, on one simulator.

`python bench/bench_versus.py` (or `nox -s bench`) runs every scenario of `scenarios.SCENARIOS`
with every tool of `tools.TOOLS` that takes part in it, and writes `bench/results/`.
"""
