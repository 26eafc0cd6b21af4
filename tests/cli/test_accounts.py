"""`ecsdeploy release` across accounts: roles from the file, --role-arn, and a role STS refuses
(exit 2, nothing changed anywhere), against the simulator process's ECS and STS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # typed only with boto3-stubs
from botocore.config import Config

from tests.cli.simulator_process import (
    CLUSTER,
    ECSDEPLOY,
    REGION,
    SimulatedEcs,
    results,
    run_process,
)

ACCOUNT_A = "210987654321"
ACCOUNT_B = "345678901234"
ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/ecsdeploy"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/ecsdeploy"
_ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def ecs_of(simulated: SimulatedEcs, role_arn: str) -> Any:
    """A boto3 ECS client in the role's account, with credentials from the simulator's STS."""
    sts = boto3.client(
        "sts",
        endpoint_url=simulated.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_ONE_ATTEMPT,
    )
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="arrange")["Credentials"]
    return boto3.client(
        "ecs",
        endpoint_url=simulated.url,
        region_name=REGION,
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
        config=_ONE_ATTEMPT,
    )


def create_web(simulated: SimulatedEcs, role_arn: str | None) -> None:
    """`web` on myorg/nginx:1.0 in the role's account (None: the default account)."""
    ecs = simulated.ecs if role_arn is None else ecs_of(simulated, role_arn)
    ecs.create_cluster(clusterName=CLUSTER)
    registered = ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "nginx", "image": "myorg/nginx:1.0", "essential": True, "memory": 128}
        ],
    )
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="web",
        taskDefinition=registered["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
    )
    simulated.advance(600)


def revisions(simulated: SimulatedEcs, role_arn: str) -> list[str]:
    listed = ecs_of(simulated, role_arn).list_task_definitions(familyPrefix="web")
    return list(listed["taskDefinitionArns"])


def release_file(tmp_path: Path) -> Path:
    """`web` in account A (canary), then in account B."""
    path = tmp_path / "accounts.toml"
    path.write_text(
        f"""
        [defaults]
        cluster = "{CLUSTER}"
        role_arn = "{ROLE_A}"
        [[stage]]
        name = "canary"
        [[stage.service]]
        service = "web"
        images = {{ nginx = "myorg/nginx:2.0" }}
        [[stage]]
        name = "rest"
        [[stage.service]]
        service = "web"
        role_arn = "{ROLE_B}"
        images = {{ nginx = "myorg/nginx:2.0" }}
        """
    )
    return path


def environ(simulated: SimulatedEcs) -> dict[str, str]:
    return {**simulated.environ(), "AWS_ENDPOINT_URL_STS": simulated.url}


FAST = ["--poll-interval", "0.05", "--timeout", "30", "--no-live", "--log-format", "json"]


def test_a_release_deploys_each_service_with_its_accounts_role(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """Exit 0; each account registered its own revision 2; results name account and region."""
    create_web(simulated, ROLE_A)
    create_web(simulated, ROLE_B)
    done = run_process(
        [ECSDEPLOY, "release", str(release_file(tmp_path)), *FAST], environ(simulated)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for account, role in ((ACCOUNT_A, ROLE_A), (ACCOUNT_B, ROLE_B)):
        assert revisions(simulated, role)[-1] == (
            f"arn:aws:ecs:{REGION}:{account}:task-definition/web:2"
        )
    rows = results(done.stdout, "ecsdeploy.release.service")
    assert sorted(row["account"] for row in rows) == [ACCOUNT_A, ACCOUNT_B]


def test_a_role_sts_refuses_exits_2_and_changes_nothing_anywhere(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """Account B's role is not assumable: exit 2 naming it; account A (stage 1) is untouched."""
    create_web(simulated, ROLE_A)
    create_web(simulated, ROLE_B)
    simulated.add_rule({"role": ROLE_B, "assumable": False})
    done = run_process(
        [ECSDEPLOY, "release", str(release_file(tmp_path)), *FAST], environ(simulated)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert ROLE_B in done.stdout + done.stderr
    simulated.add_rule({"role": ROLE_B, "assumable": True})
    for account, role in ((ACCOUNT_A, ROLE_A), (ACCOUNT_B, ROLE_B)):
        assert revisions(simulated, role) == [
            f"arn:aws:ecs:{REGION}:{account}:task-definition/web:1"
        ]


def test_role_arn_on_the_command_line_replaces_the_files_default_role(
    simulated: SimulatedEcs, tmp_path: Path
) -> None:
    """--role-arn B over [defaults]' role A: the service deploys in account B."""
    create_web(simulated, ROLE_B)
    path = tmp_path / "one.toml"
    path.write_text(
        f"""
        [defaults]
        cluster = "{CLUSTER}"
        role_arn = "{ROLE_A}"
        [[stage]]
        [[stage.service]]
        service = "web"
        images = {{ nginx = "myorg/nginx:2.0" }}
        """
    )
    done = run_process(
        [ECSDEPLOY, "release", str(path), "--role-arn", ROLE_B, *FAST], environ(simulated)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert revisions(simulated, ROLE_B)[-1].endswith(f"{ACCOUNT_B}:task-definition/web:2")
