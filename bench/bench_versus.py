"""ecsdeploy side by side with the tools people use today, on one simulator (issue 13).

    python bench/bench_versus.py --peers DIR [--scenarios a,b] [--tools ecsdeploy,fabfuel]
                                 [--small N] [--results bench/results]

DIR holds the peers' virtualenvs (`fabfuel`, `awscli`, `deplojo`; `nox -s bench` makes them).
Writes `latest.json` and `latest.png` under --results and prints the table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from versus import report
from versus.figures import Figures, compute
from versus.measure import run_processes
from versus.scenarios import SCENARIOS, Scenario
from versus.sim import Simulator, final_task_definitions, service_names, set_up, simulator_process
from versus.tools import TOOLS, RunContext, Tool


def run_one(sim: Simulator, scenario: Scenario, tool: Tool, peers: Path, work: Path) -> Figures:
    services = service_names(scenario.services)
    set_up(
        sim, services, families=scenario.family_count, breaker=scenario.breaker,
        desired=scenario.desired,
    )  # fmt: skip
    initial = final_task_definitions(sim, services)
    invocation = tool.invocation(RunContext(scenario, work, peers))
    sim.throttle(scenario.throttle)
    before = sim.stats()
    started_at = float(before["now"])
    sim.speed(scenario.speed)
    wall_started = time.monotonic()
    runs = run_processes(
        invocation.commands,
        env={**sim.client_env(), **(invocation.env or {})},
        sim_now=sim.now,
        wall_limit=scenario.wall_limit,
        log_dir=work,
        parallel=invocation.parallel,
    )
    wall = time.monotonic() - wall_started
    sim.speed(0)
    after = sim.stats()
    sim.throttle(False)
    return compute(
        scenario, tool.name, tool.label, services=services, initial=initial,
        final=final_task_definitions(sim, services), timeline=sim.timeline(),
        started_at=started_at, runs=runs, before=before, after=after, wall_s=wall,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", type=Path, required=True)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--small", type=int, default=0, help="at most N services a scenario")
    parser.add_argument("--results", type=Path, default=Path("bench/results"))
    parser.add_argument("--name", default="latest", help="file name of the results")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other runs of an earlier results file; replace these scenarios' runs of "
        "these tools",
    )
    args = parser.parse_args()
    chosen_tools = args.tools.split(",")
    figures: list[Figures] = []
    with simulator_process() as sim:
        for key in args.scenarios.split(","):
            scenario = SCENARIOS[key]
            if args.small:
                scenario = scenario.scaled(args.small)
            for name in chosen_tools:
                tool = TOOLS[name]
                if not (name in scenario.tools if scenario.tools else tool.fits(scenario)):
                    continue
                with tempfile.TemporaryDirectory(prefix=f"versus-{key}-{name}-") as work:
                    print(f"-- ({key}) {scenario.title}: {tool.label}", flush=True)
                    figure = run_one(sim, scenario, tool, args.peers.resolve(), Path(work))
                figures.append(figure)
                print(report.table([figure]), flush=True)
    path = args.results / f"{args.name}.json"
    if args.update and path.exists():
        rerun = {(f.scenario, f.tool) for f in figures}
        kept = [f for f in report.read_json(path) if (f.scenario, f.tool) not in rerun]
        order = list(TOOLS)
        figures = sorted([*kept, *figures], key=lambda f: (f.scenario, order.index(f.tool)))
    print()
    print(report.table(figures))
    meta = {
        "machine": report.machine(),
        "command": " ".join(["python", *sys.argv]),
        "speeds": {f.scenario: f.speed for f in figures},
        "scenarios": {f.scenario: SCENARIOS[f.scenario].title for f in figures},
        "tools": {name: TOOLS[name].label for name in chosen_tools},
    }
    report.write_json(path, figures, meta)
    (args.results / f"{args.name}.md").write_text(report.markdown(figures) + "\n")
    report.chart(args.results / f"{args.name}.png", figures)
    print(f"wrote {args.results / (args.name + '.json')}, {args.name}.md and {args.name}.png")


if __name__ == "__main__":
    main()
