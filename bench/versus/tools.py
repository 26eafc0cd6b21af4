"""The tools, one registry entry each, and how each is run for a scenario.

Every tool runs as its users run it, pointed at the simulator through AWS_ENDPOINT_URL_ECS.
The simulator runs `speed` times faster than the wall clock, so each tool's own waiting is
given in simulated seconds where the tool lets us (its documented default divided by `speed`):
ecsdeploy polls every 5 s and gives up after 600 s; the AWS CLI's services-stable waiter polls
every 15 s, 40 times (its waiter model, copied with the delay scaled, through AWS_DATA_PATH);
the drone-deploy-ecs re-implementation checks every 10 s, 60 times. fabfuel's ecs-deploy
(`--sleep-time` takes whole wall seconds) and ecs-deplojo (a fixed 5 s) cannot be scaled: they
look `speed` times less often in simulated time than on real ECS, which spares them calls.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from versus.scenarios import Scenario
from versus.sim import CLUSTER, CONTAINER, REGION, service_names

HERE = Path(__file__).resolve().parent
ECSDEPLOY = str(Path(sys.executable).with_name("ecsdeploy"))


@dataclass(frozen=True)
class Invocation:
    commands: list[list[str]]
    #: All commands at once (one process per service), else one after another.
    parallel: bool = False
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class RunContext:
    scenario: Scenario
    work: Path
    peers: Path
    """Directory of the peers' virtualenvs: ``fabfuel``, ``awscli``, ``deplojo``."""

    @property
    def services(self) -> list[str]:
        return service_names(self.scenario.services)

    def wall(self, simulated: float) -> float:
        return simulated / self.scenario.speed


@dataclass(frozen=True)
class Tool:
    name: str
    label: str
    invocation: Callable[[RunContext], Invocation]
    #: Whether the tool takes part in a scenario whose `tools` does not name it.
    fits: Callable[[Scenario], bool]


def _ecsdeploy_cli(ctx: RunContext) -> Invocation:
    scenario = ctx.scenario
    timing = ["--poll-interval", f"{ctx.wall(5):g}", "--timeout", f"{ctx.wall(600):g}"]
    output = ["--no-live", "--log-format", "json"]
    if scenario.services == 1:
        argv = [
            ECSDEPLOY, "deploy", "--cluster", CLUSTER, "--service", ctx.services[0],
            "--image", f"{CONTAINER}={scenario.image(0)}", *timing, *output,
        ]  # fmt: skip
        return Invocation([argv])
    release = ctx.work / "release.toml"
    release.write_text(_release_toml(ctx))
    return Invocation([[ECSDEPLOY, "release", str(release), *timing, *output]])


def _release_toml(ctx: RunContext) -> str:
    lines = [
        "[release]",
        'name = "bench"',
        "atomic = false",
        f"max_concurrency = {len(ctx.services)}",
        "[defaults]",
        f'region = "{REGION}"',
        f'cluster = "{CLUSTER}"',
        "[[stage]]",
        'name = "all"',
    ]
    for index, name in enumerate(ctx.services):
        lines += [
            "[[stage.service]]",
            f'service = "{name}"',
            f'images = {{ {CONTAINER} = "{ctx.scenario.image(index)}" }}',
        ]
    return "\n".join(lines) + "\n"


def _ecsdeploy_library(ctx: RunContext) -> Invocation:
    spec = ctx.work / "library.json"
    spec.write_text(
        json.dumps(
            {
                "cluster": CLUSTER,
                "region": REGION,
                "container": CONTAINER,
                "services": {name: ctx.scenario.image(i) for i, name in enumerate(ctx.services)},
                "poll_interval": ctx.wall(5),
                "timeout": ctx.wall(600),
            }
        )
    )
    return Invocation([[sys.executable, str(HERE / "library_release.py"), str(spec)]])


def _fabfuel(ctx: RunContext) -> Invocation:
    ecs = str(ctx.peers / "fabfuel" / "bin" / "ecs")
    commands = [
        [
            ecs,
            "deploy",
            CLUSTER,
            name,
            "--image",
            CONTAINER,
            ctx.scenario.image(index),
            "--timeout",
            f"{round(ctx.wall(600))}",
            "--sleep-time",
            "1",
            "--rollback",
        ]
        for index, name in enumerate(ctx.services)
    ]
    return Invocation(commands, parallel=True)


def _aws_cli(ctx: RunContext) -> Invocation:
    """The usual shell script: for each service, describe the task definition, swap the image,
    register it, update the service; then `aws ecs wait services-stable` (10 services a call)."""
    bin_dir = ctx.peers / "awscli" / "bin"
    aws, python = bin_dir / "aws", bin_dir / "python"
    script = ["set -eu", f'AWS="{aws}"', f'PY="{python}"', f"cd {ctx.work}"]
    swap = (
        "import json,sys; t=json.load(open(sys.argv[1]))['taskDefinition']; "
        "keep={'family','containerDefinitions','volumes','networkMode','placementConstraints',"
        "'requiresCompatibilities','cpu','memory','taskRoleArn','executionRoleArn'}; "
        "t={k:v for k,v in t.items() if k in keep}; "
        "[c.update(image=sys.argv[2]) for c in t['containerDefinitions'] "
        "if c['name']==sys.argv[3]]; "
        "json.dump(t,open(sys.argv[4],'w'))"
    )
    for index, name in enumerate(ctx.services):
        script += [
            f'td=$("$AWS" ecs describe-services --cluster {CLUSTER} --services {name} '
            "--query 'services[0].taskDefinition' --output text)",
            f'"$AWS" ecs describe-task-definition --task-definition "$td" > {name}.json',
            f'"$PY" -c "{swap}" {name}.json {ctx.scenario.image(index)} {CONTAINER} '
            f"{name}.new.json",
            f'new=$("$AWS" ecs register-task-definition --cli-input-json file://{name}.new.json '
            "--query 'taskDefinition.taskDefinitionArn' --output text)",
            f'"$AWS" ecs update-service --cluster {CLUSTER} --service {name} '
            '--task-definition "$new" > /dev/null',
        ]
    for start in range(0, len(ctx.services), 10):
        batch = " ".join(ctx.services[start : start + 10])
        script.append(f'"$AWS" ecs wait services-stable --cluster {CLUSTER} --services {batch}')
    path = ctx.work / "deploy.sh"
    path.write_text("\n".join(script) + "\n")
    data = ctx.work / "aws-data"
    _scaled_waiters(python, data, delay=ctx.wall(15))
    return Invocation([["bash", str(path)]], env={"AWS_DATA_PATH": str(data)})


def _scaled_waiters(python: Path, data: Path, *, delay: float) -> None:
    """botocore's ECS waiters with the delay in simulated seconds (AWS_DATA_PATH wins)."""
    site = next((python.parent.parent / "lib").glob("python3*/site-packages"))
    source = site / "botocore" / "data" / "ecs" / "2014-11-13"
    target = data / "ecs" / "2014-11-13"
    target.mkdir(parents=True, exist_ok=True)
    waiters_file = next(source.glob("waiters-2.json*"))
    opener = gzip.open if waiters_file.suffix == ".gz" else open
    with opener(waiters_file, "rt") as handle:  # type: ignore[operator]
        waiters = json.load(handle)
    for waiter in waiters["waiters"].values():
        waiter["delay"] = delay
    (target / "waiters-2.json").write_text(json.dumps(waiters))


def _drone(ctx: RunContext) -> Invocation:
    python = ctx.peers / "awscli" / "bin" / "python"  # it has boto3
    pairs = [f"{name}={ctx.scenario.image(i)}" for i, name in enumerate(ctx.services)]
    argv = [
        str(python), str(HERE / "drone_loop.py"), "--cluster", CLUSTER, "--container",
        CONTAINER, "--check-interval", f"{ctx.wall(10):g}", "--max-checks", "60", *pairs,
    ]  # fmt: skip
    return Invocation([argv])


def _deplojo(ctx: RunContext) -> Invocation:
    """Its YAML config: one task-definition template per family (the family is its key)."""
    config = [f"cluster_name: {CLUSTER}", "task_definitions:"]
    services = ["services:"]
    for index, name in enumerate(ctx.services):
        family = f"app-{index % ctx.scenario.family_count:04d}"
        template = ctx.work / f"{family}.json"
        container = {
            "name": CONTAINER,
            "image": ctx.scenario.image(index),
            "memory": 128,
            "essential": True,
            "environment": {"MODE": "bench"},
        }
        if not template.exists():
            template.write_text(json.dumps({"containerDefinitions": [container]}))
            config += [f"  {family}:", f"    template: {template.name}"]
        services += [f"  {name}:", f"    task_definition: {family}"]
    path = ctx.work / "deplojo.yml"
    path.write_text("\n".join(config + services) + "\n")
    return Invocation([[str(ctx.peers / "deplojo" / "bin" / "ecs-deplojo"), "--config", str(path)]])


def _small(scenario: Scenario) -> bool:
    return scenario.services <= 20


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool("ecsdeploy", "ecsdeploy (CLI)", _ecsdeploy_cli, lambda s: s.services <= 200),
        Tool("ecsdeploy-library", "ecsdeploy (library)", _ecsdeploy_library, lambda s: False),
        Tool("fabfuel", "fabfuel ecs-deploy 1.17 (1 process/service)", _fabfuel, _small),
        Tool("aws-cli", "AWS CLI update-service + wait services-stable", _aws_cli, _small),
        Tool("deplojo", "ecs-deplojo", _deplojo, _small),
        Tool(
            "drone-reimpl",
            "drone-deploy-ecs loop (re-implementation)",
            _drone,
            lambda s: s.services <= 20,
        ),
    )
}
