"""Running a composite action's steps the way the GitHub runner does, for tests.

What the runner does, reproduced: `${{ inputs.NAME }}` in a step's `env` becomes the input's
value (its default when the workflow does not give it, else empty); each `shell: bash` step runs
as `bash --noprofile --norc -eo pipefail FILE` with the runner's environment plus the step's
`env`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and `GITHUB_PATH` files, `GITHUB_ACTION_PATH` and
`RUNNER_TEMP`; lines a step appends to `GITHUB_PATH` are put in front of PATH for later steps;
`::error ...::` lines on stdout become annotations; the action's `outputs` are read from the
steps' outputs. Cancelling the job (`cancel_when`) is done as the runner's ProcessInvoker does
it: SIGINT to the step's process (the shell, not its process group), SIGTERM when it has not
exited 7.5 s later, a kill 2.5 s after that, then the job's orphan processes are killed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")
#: The runner's waits after SIGINT and after SIGTERM before it kills the step's process.
SIGINT_TIMEOUT = 7.5
SIGTERM_TIMEOUT = 2.5
STEP_TIMEOUT = 120
#: RUNNER_TEMP, under the runner's work directory.
RUNNER_TEMP = "runner-temp"


def load_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return action


def unescape(text: str) -> str:
    return (
        text.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


@dataclass(frozen=True)
class Annotation:
    level: str
    properties: Mapping[str, str]
    message: str


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER` ... `DELIMITER`."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            outputs[name] = "\n".join(value)
        elif line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class ActionRun:
    """What one use of the action left: each step's run, outputs, summary and annotations."""

    steps: dict[str, StepRun] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    #: What the steps appended to GITHUB_PATH: in front of PATH for the rest of the job.
    path_additions: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.returncode != 0 for step in self.steps.values())


class Runner:
    """Runs action.yml's steps in `workdir` (the workspace) with `environment`."""

    def __init__(self, workdir: Path, environment: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.environment = dict(environment)
        self.action = load_action()

    def _expand(self, text: str, inputs: Mapping[str, str]) -> str:
        declared = self.action["inputs"]

        def value(match: re.Match[str]) -> str:
            scope, _, name = match.group(1).partition(".")
            assert scope == "inputs", f"the test runner does not evaluate {match.group(0)}"
            assert name in declared, f"{name} is not an input of the action"
            return inputs.get(name, str(declared[name].get("default", "")))

        return EXPRESSION.sub(value, text)

    def run(
        self,
        inputs: Mapping[str, str],
        *,
        skip: tuple[str, ...] = (),
        cancel_when: Callable[[str], bool] | None = None,
        sigint_timeout: float = SIGINT_TIMEOUT,
    ) -> ActionRun:
        """Run the steps in order, stopping at the first that fails, as the runner does.

        `cancel_when(stdout so far)` is asked while a step runs; once true, the job is cancelled.
        """
        for name in inputs:
            assert name in self.action["inputs"], f"{name} is not an input of the action"
        files = {
            "GITHUB_OUTPUT": self.workdir / "output",
            "GITHUB_STEP_SUMMARY": self.workdir / "summary.md",
            "GITHUB_PATH": self.workdir / "path",
        }
        for path in files.values():
            path.write_text("")
        runner_temp = self.workdir / RUNNER_TEMP
        runner_temp.mkdir(exist_ok=True)
        result = ActionRun()
        step_outputs: dict[str, dict[str, str]] = {}
        for index, step in enumerate(self.action["runs"]["steps"]):
            if step["name"] in skip:
                continue
            assert step["shell"] == "bash"
            script = self.workdir / f"step-{index}.sh"
            script.write_text(self._expand(step["run"], inputs))
            files["GITHUB_OUTPUT"].write_text("")
            added_paths = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
            environment = {
                **self.environment,
                **{key: self._expand(str(v), inputs) for key, v in step.get("env", {}).items()},
                **{key: str(path) for key, path in files.items()},
                "GITHUB_ACTION_PATH": str(ROOT),
                "GITHUB_WORKSPACE": str(self.workdir),
                "RUNNER_TEMP": str(runner_temp),
                "PATH": os.pathsep.join([*reversed(added_paths), self.environment["PATH"]]),
            }
            completed = self._run_step(
                script, environment, cancel_when=cancel_when, sigint_timeout=sigint_timeout
            )
            result.steps[step["name"]] = completed
            if "id" in step:
                step_outputs[step["id"]] = read_outputs(files["GITHUB_OUTPUT"])
            for line in completed.stdout.splitlines():
                match = ANNOTATION.match(line)
                if match:
                    level, properties, message = match.groups()
                    pairs = (p.split("=", 1) for p in (properties or "").split(",") if p)
                    result.annotations.append(
                        Annotation(level, {k: unescape(v) for k, v in pairs}, unescape(message))
                    )
            if completed.returncode != 0:
                break
        result.summary = files["GITHUB_STEP_SUMMARY"].read_text()
        result.path_additions = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        for name, output in self.action.get("outputs", {}).items():
            match = re.fullmatch(
                r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}", output["value"]
            )
            assert match, f"output {name}: {output['value']!r}"
            result.outputs[name] = step_outputs.get(match.group(1), {}).get(match.group(2), "")
        return result

    def _run_step(
        self,
        script: Path,
        environment: Mapping[str, str],
        *,
        cancel_when: Callable[[str], bool] | None,
        sigint_timeout: float,
    ) -> StepRun:
        stdout_path, stderr_path = script.with_suffix(".out"), script.with_suffix(".err")
        with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
            # A session of its own only so that the orphans can be found and killed afterwards.
            process = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                env=dict(environment),
                cwd=self.workdir,
                stdout=stdout,
                stderr=stderr,
                text=True,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + STEP_TIMEOUT
                while process.poll() is None:
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(process.args, STEP_TIMEOUT)
                    if cancel_when is not None and cancel_when(stdout_path.read_text()):
                        _cancel(process, sigint_timeout)
                        break
                    time.sleep(0.05)
            finally:
                # The runner kills what a step left running when the job ends.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return StepRun(process.returncode, stdout_path.read_text(), stderr_path.read_text())


def _cancel(process: subprocess.Popen[str], sigint_timeout: float) -> None:
    """The runner's cancellation of a step: signals to the step's process only."""
    for signum, wait in ((signal.SIGINT, sigint_timeout), (signal.SIGTERM, SIGTERM_TIMEOUT)):
        process.send_signal(signum)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        return
    process.kill()
