"""Developer tasks: `nox -s tests` is the README's test command; .ci/run adds lint and typecheck."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

#: "uv|venv" (a fallback backend) needs nox 2024.03.02; env values of None (BYTECODE_CACHED)
#: 2024.04.15, before which they reach the subprocess and fail with a TypeError.
nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["tests", "packaging", "lint", "typecheck"]

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]


#: Most tests spend their time waiting on a simulator (its clock runs at a multiple of wall
#: time) rather than computing: two pytest-xdist workers per core overlap those waits (on 2
#: cores, 4 workers took the suite from 117 s to 73 s; 6 and 8 gained nothing more). worksteal
#: evens out files whose tests take very different times.
PARALLEL = [f"--numprocesses={min(2 * (os.cpu_count() or 1), 8)}", "--dist=worksteal"]
#: The tests that build the distribution or pip-install it run in their own session.
NOT_PACKAGING = ["-m", "not packaging"]


#: The suite starts a few hundred Python processes (xdist workers, simulators, the CLI, the
#: Drone plugin, the AWS CLI); a machine-wide PYTHONDONTWRITEBYTECODE would have each of them
#: compile every module it imports from source again.
BYTECODE_CACHED = {"PYTHONDONTWRITEBYTECODE": None}


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """Run the test suite on the current interpreter (`--force-python 3.12` for another)."""
    session.install("-e", ".[test]")
    session.run("pytest", *PARALLEL, *NOT_PACKAGING, *session.posargs, env=BYTECODE_CACHED)


@nox.session(python=SUPPORTED_PYTHONS)
def tests_all(session: nox.Session) -> None:
    """Run the test suite on every supported Python this machine has."""
    session.install("-e", ".[test]")
    session.run("pytest", *PARALLEL, *NOT_PACKAGING, *session.posargs, env=BYTECODE_CACHED)


@nox.session(python=None)
def packaging(session: nox.Session) -> None:
    """The tests that build the sdist and the wheel or pip-install the package (about a minute,
    mostly pip): the release artifacts and the GitHub Action's own install step."""
    session.install("-e", ".[test]")
    session.run("pytest", *PARALLEL, "-m", "packaging", *session.posargs, env=BYTECODE_CACHED)


@nox.session(python=None)
def coverage(session: nox.Session) -> None:
    """The test suite under coverage.py; prints line and branch coverage of src/ecsdeploy."""
    session.install("-e", ".[coverage]")
    session.run("coverage", "erase")
    # xdist's workers and the subprocesses tests start are measured through coverage's
    # subprocess patch (pyproject.toml), so the suite runs as parallel as `nox -s tests`.
    session.run("coverage", "run", "-m", "pytest", *PARALLEL, *session.posargs, env=BYTECODE_CACHED)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """What .pre-commit-config.yaml runs on each commit, over every file."""
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("codespell")
    session.run("validate-pyproject", "pyproject.toml")


@nox.session(python=None)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[typecheck]")
    session.run("mypy")


@nox.session(python=None)
def demo(session: nox.Session) -> None:
    """The README's main job: the demo release on the bundled simulator."""
    session.install(".")
    session.run("ecsdeploy", "demo", *session.posargs)


@nox.session(python=None)
def soak(session: nox.Session) -> None:
    """200 deployments under seeded faults, SIGTERM at 30 random points of a release, and the
    fuzzers' deep profile (not part of the test run; `nox -s tests` runs a small version)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.soak.engine", "--deployments", "200", *session.posargs)
    session.run(
        "pytest",
        "tests/soak/test_cancellation.py",
        "tests/fuzz",
        "-q",
        env={"HYPOTHESIS_PROFILE": "fuzz-deep", "ECSDEPLOY_SOAK_CANCELLATIONS": "30"},
    )


#: The peers the benchmark compares with, each in a virtualenv of its own: they pin botocore,
#: boto3 and click versions that cannot live beside aioboto3's (or each other's).
BENCH_PEERS = {
    "fabfuel": ("ecs-deploy==1.17.*",),
    "awscli": ("awscli", "boto3"),
    "deplojo": ("ecs-deplojo",),
}


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """Speed and memory figures (not part of the test run).

    The simulator and release benchmarks, then ecsdeploy side by side with fabfuel's
    ecs-deploy, the AWS CLI, ecs-deplojo and a re-implementation of drone-deploy-ecs's loop
    (bench/bench_versus.py; its arguments after `--`, e.g. `nox -s bench -- --small 2`).
    """
    session.install("-e", ".", "matplotlib")
    peers = Path(session.create_tmp()) / "peers"
    for name, packages in BENCH_PEERS.items():
        _tool_venv(session, peers / name, packages)
    if not session.posargs:
        session.run("python", "bench/bench_sim.py")
        # A session's first clients, with and without the shared botocore data loader.
        session.run("python", "bench/bench_sessions.py", "--sessions", "30")
        # One family per service: ECS's RegisterTaskDefinition quota (1/s) sets the pace.
        session.run("python", "bench/bench_release.py", "--services", "200")
        # Ten shared families: UpdateService's quota (5/s) sets the pace.
        session.run("python", "bench/bench_release.py", "--services", "200", "--families", "10")
        # The same 200 services in 5 regions: paced per (account, region), one region's quota.
        session.run("python", "bench/bench_regions.py", "--services", "200", "--regions", "5")
    session.run("python", "bench/bench_versus.py", "--peers", str(peers), *session.posargs)


def _tool_venv(session: nox.Session, venv: Path, packages: tuple[str, ...]) -> None:
    """A virtualenv of its own at `venv` with `packages` (uv when there is one, else pip)."""
    python = venv / "bin" / "python"
    if shutil.which("uv"):
        session.run("uv", "venv", "--quiet", "--allow-existing", str(venv), external=True)
        session.run(
            "uv", "pip", "install", "--quiet", "--python", str(python), *packages, external=True
        )
    else:
        # A CI machine with only pip and nox: the standard library's venv and pip do it too.
        if not python.exists():
            session.run("python", "-m", "venv", str(venv))
        session.run(str(python), "-m", "pip", "install", "--quiet", *packages, external=True)


@nox.session(python=None)
def clients(session: nox.Session) -> None:
    """Third-party ECS clients against the simulator (AWS CLI, boto3, ecs-deploy, JS SDK v3).

    The clients pin a current botocore that cannot live beside aioboto3's, so they go into a
    tools virtualenv of their own; the JS SDK goes into node_modules when node is installed.
    """
    session.install("-e", ".[test]")
    tools = Path(session.create_tmp()) / "tools"
    python = tools / "bin" / "python"
    clients = ("awscli", "boto3", "ecs-deploy")
    if shutil.which("uv"):
        session.run("uv", "venv", "--quiet", "--allow-existing", str(tools), external=True)
        session.run(
            "uv", "pip", "install", "--quiet", "--upgrade", "--python", str(python), *clients,
            external=True,
        )  # fmt: skip
    else:
        # A CI machine with only pip and nox: the standard library's venv and pip do it too.
        session.run("python", "-m", "venv", str(tools))
        session.run(
            str(python), "-m", "pip", "install", "--quiet", "--upgrade", *clients, external=True
        )
    env = {"ECSDEPLOY_CLIENTS_BIN": str(tools / "bin")}
    if shutil.which("node") and shutil.which("npm"):
        node = Path(session.create_tmp()) / "node"
        node.mkdir(exist_ok=True)
        session.run(
            "npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(node),
            "@aws-sdk/client-ecs",
            external=True,
        )  # fmt: skip
        env["ECSDEPLOY_CLIENTS_NODE_MODULES"] = str(node / "node_modules")
    session.run("pytest", "clients", *session.posargs, env=env)


@nox.session(python=None)
def sim_model(session: nox.Session) -> None:
    """Refresh the simulator's service models (ECS, ELBv2, CloudWatch, STS) from the newest
    botocore on PyPI."""
    session.install("--upgrade", "botocore")
    session.run("python", "-c", _COPY_SIM_MODELS)


_COPY_SIM_MODELS = """
import pathlib, shutil, botocore
target = pathlib.Path("src/ecsdeploy/sim/model")
for service, version in [
    ("ecs", "2014-11-13"), ("elbv2", "2015-12-01"), ("cloudwatch", "2010-08-01"),
    ("sts", "2011-06-15"),
]:
    source = pathlib.Path(botocore.__file__).parent / f"data/{service}/{version}/service-2.json.gz"
    shutil.copyfile(source, target / f"{service}-{version}.json.gz")
(target / "SOURCE").write_text(f"botocore {botocore.__version__}\\n")
print(f"ECS, ELBv2, CloudWatch and STS models of botocore {botocore.__version__} -> {target}")
"""


IMAGE_ARCHITECTURES = ("amd64", "arm64")


@nox.session(python=None)
def image(session: nox.Session) -> None:
    """Build the Drone plugin image for amd64 and arm64 with podman, then test each one.

    `nox -s image -- amd64` builds and tests one architecture. Needs root on Debian: the host
    set-up (podman, qemu, binfmt) and the Debian-made base images are done by the scripts in
    packaging/, which skip whatever is done already; base tarballs are cached between runs.
    """
    architectures = session.posargs or list(IMAGE_ARCHITECTURES)
    session.run("bash", "packaging/podman-host-setup.sh", external=True)
    session.install("-e", ".[test]")
    version = session.run(
        "python",
        "-c",
        "from importlib.metadata import version; print(version('ecsdeploy'))",
        silent=True,
    )
    assert isinstance(version, str)
    version = version.strip()
    # podman takes the builder stage's --platform=$BUILDPLATFORM as the target's, so under
    # --arch arm64 both stages run under qemu (docker buildx builds the wheel natively).
    built = []
    for arch in architectures:
        base = _debian_base(session, arch)
        reference = f"localhost/ecsdeploy-drone:{version}-{arch}"
        session.run(
            "podman",
            "build",
            "--isolation=chroot",
            "--pull=never",
            f"--arch={arch}",
            f"--build-arg=PYTHON_IMAGE={base}",
            f"--build-arg=VERSION={version}",
            *_pip_build_options(),
            f"--tag={reference}",
            ".",
            external=True,
        )
        built.append(f"{arch}={reference}")
    session.run(
        "pytest",
        "tests/image",
        "-p",
        "no:cacheprovider",
        "-rA",
        env={"ECSDEPLOY_TEST_IMAGES": ",".join(built)},
    )


def _debian_base(session: nox.Session, arch: str) -> str:
    """The Debian-made base image for `arch` (built and imported on first use)."""
    output = session.run("bash", "packaging/debian-base.sh", arch, external=True, silent=True)
    assert isinstance(output, str)
    return output.strip().splitlines()[-1]


def _pip_build_options() -> list[str]:
    """The host's own package index for pip inside the build: its URL (when not PyPI) and its
    CA bundle (mounted read-only), so the image builds wherever the host's pip works."""
    options = []
    config = _pip_config()
    for name in ("index-url", "extra-index-url"):
        urls = [u for u in config.get(name, "").split() if u.startswith(("http://", "https://"))]
        if urls:
            options.append(f"--build-arg=PIP_{name.upper().replace('-', '_')}={' '.join(urls)}")
    cert = config.get("cert")
    if cert and os.path.isfile(cert):
        options += [f"--volume={cert}:/run/pip-ca.crt:ro", "--build-arg=PIP_CERT=/run/pip-ca.crt"]
    return options


def _pip_config() -> dict[str, str]:
    """pip's effective settings (environment over config files), keyed without the scope."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    config: dict[str, str] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        name = key.rpartition(".")[2]
        config.setdefault(name, value.strip().strip("'\""))
        if key.startswith(":env:"):
            config[name] = value.strip().strip("'\"")
    return config
