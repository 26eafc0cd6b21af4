"""One-off tasks (migrations) in release stages, end to end on the simulator."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from structlog.testing import capture_logs

from ecsdeploy import (
    Deployer,
    DeployEvent,
    EventKind,
    ImageChange,
    OneOffTask,
    Outcome,
    Release,
    ReleaseResult,
    RetryPolicy,
    ServiceState,
    Stage,
    Target,
    TaskState,
)
from ecsdeploy.exceptions import InputError
from ecsdeploy.sim import Simulator
from ecsdeploy.testing import CLUSTER, EcsServices
from tests.deployer.lossy_proxy import deployer_through, lossy_proxy

pytestmark = pytest.mark.anyio

#: The migration: the service's new image run with `migrate` as its command.
MIGRATE = ("migrate", "--up")


def finishes(exit_code: int, image: str = "myorg/api:2") -> dict[str, Any]:
    """A rule: the migration run from `image` exits `exit_code` after 20 s; its service's
    tasks of that image keep running."""
    return {
        "image": image,
        "behavior": "exit",
        "command": "migrate*",
        "exit_code": exit_code,
        "after": 20,
    }


def migration(**options: Any) -> OneOffTask:
    return OneOffTask(
        "migrate",
        cluster=CLUSTER,
        task_definition_of=options.pop("task_definition_of", "api"),
        command={"nginx": list(MIGRATE)},
        env=options.pop("env", {"nginx": {"MIGRATION": "on"}}),
        **options,
    )


def api_to(image: str) -> Target:
    return Target(CLUSTER, "api", [ImageChange("nginx", image)])


async def assert_refused_before_web_deploys(
    result: ReleaseResult, ecs_services: EcsServices, old_web: str, says: str
) -> None:
    """A release of `web` then a bad task refused up front: exit 2 saying `says`, `web`
    skipped and still on `old_web`."""
    assert result.exit_code == 2
    assert result.error is not None
    assert says in result.error
    assert result.services[0].state is ServiceState.SKIPPED
    assert await ecs_services.task_definition("web") == old_web


async def describe_task(ecs_services: EcsServices, arn: str) -> dict[str, Any]:
    response = await ecs_services.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn], include=["TAGS"])
    return dict(response["tasks"][0])


async def test_a_migration_that_exits_0_runs_the_new_revision_then_its_stage_deploys(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The task runs the revision the release deploys to "api", exits 0, then "api" deploys."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(0))
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])], name="r42")
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.SUCCEEDED, [t.reason for t in result.tasks]
    (task,) = result.tasks
    (api,) = result.services
    assert task.state is TaskState.SUCCEEDED
    assert task.exit_codes == {"nginx": 0}
    assert api.result is not None
    assert task.task_definition_arn == api.result.task_definition_arn
    assert await ecs_services.task_definition("api") == api.result.task_definition_arn
    # Registered for the migration, deployed by the service: it stays registered.
    assert (await ecs_services.revisions("api"))[-1] == api.result.task_definition_arn
    assert task.finished_at <= api.result.started_at
    assert task.task_arn is not None
    ran = await describe_task(ecs_services, task.task_arn)
    assert ran["startedBy"] == "ecsdeploy"
    tags = {t["key"]: t["value"] for t in ran["tags"]}
    assert tags["ecsdeploy:release"] == "r42"
    assert tags["ecsdeploy:task"] == "migrate"
    assert ran["overrides"]["containerOverrides"] == [
        {
            "name": "nginx",
            "command": list(MIGRATE),
            "environment": [{"name": "MIGRATION", "value": "on"}],
        }
    ]


async def test_a_migration_exiting_1_fails_its_stage_and_deploys_nothing_of_it(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Exit 1: the stage fails with the exit code and stop reason; "api" keeps its revision."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(1))
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.FAILED
    assert result.exit_code == 1
    (task,) = result.tasks
    assert task.state is TaskState.FAILED
    assert task.exit_codes == {"nginx": 1}
    assert task.stop_code == "EssentialContainerExited"
    assert task.stopped_reason == "Essential container in task exited"
    assert "nginx: exit 1" in task.reason
    (api,) = result.services
    assert api.state is ServiceState.SKIPPED
    assert "task 'migrate' failed" in api.reason
    assert await ecs_services.task_definition("api") == old
    # The revision registered for the migration is not left behind.
    assert await ecs_services.revisions("api") == [old]


async def test_a_failed_migration_in_stage_two_rolls_back_stage_one(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Atomic release: stage 1's service goes back when stage 2's migration fails."""
    old_web = await ecs_services.create("web", image="myorg/web:1", desired=1)
    old_api = await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(2))
    web = Target(CLUSTER, "web", [ImageChange("nginx", "myorg/web:2")])
    release = Release(
        [Stage("edge", [web]), Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])]
    )
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.ROLLED_BACK
    states = {s.target.service: s.state for s in result.services}
    assert states == {"web": ServiceState.ROLLED_BACK, "api": ServiceState.SKIPPED}
    assert result.tasks[0].exit_codes == {"nginx": 2}
    assert await ecs_services.task_definition("web") == old_web
    assert await ecs_services.task_definition("api") == old_api


async def test_a_task_only_stage_runs_the_revision_a_later_stage_deploys(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A migration stage before the service's stage runs the new revision; failing, it gates
    the later stage and leaves no revision behind."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(3, image="myorg/api:2"))
    release = Release(
        [Stage("migrate", tasks=[migration()]), Stage("apps", [api_to("myorg/api:2")])]
    )
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.FAILED
    (task,) = result.tasks
    assert task.task_definition_arn not in (None, old)
    assert task.exit_codes == {"nginx": 3}
    (api,) = result.services
    assert api.state is ServiceState.SKIPPED
    assert api.reason == "not started: an earlier stage failed"
    assert await ecs_services.task_definition("api") == old
    assert await ecs_services.revisions("api") == [old]


async def fargate_service(ecs_services: EcsServices, name: str = "api") -> str:
    """A steady awsvpc service on FARGATE in two subnets; its task definition ARN."""
    ecs = ecs_services.ecs
    await ecs.create_cluster(clusterName=CLUSTER)
    registered = await ecs.register_task_definition(
        family=name,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "nginx", "image": "myorg/api:1", "essential": True}],
    )
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    await ecs.create_service(
        cluster=CLUSTER,
        serviceName=name,
        taskDefinition=arn,
        desiredCount=1,
        launchType="FARGATE",
        platformVersion="1.4.0",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": ["subnet-0aaa", "subnet-0bbb"],
                "securityGroups": ["sg-0123"],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    await ecs_services.sim.advance(600)
    return str(arn)


async def test_the_task_takes_its_network_configuration_from_the_named_service(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Launch type, platform version and awsvpc subnets come from the service."""
    current = await fargate_service(ecs_services)
    ecs_simulator.add_rule(finishes(0, image="myorg/api:1"))
    release = Release([Stage("migrate", tasks=[migration()])])
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.SUCCEEDED, result.tasks[0].reason
    (task,) = result.tasks
    assert task.task_definition_arn == current
    assert task.task_arn is not None
    ran = await describe_task(ecs_services, task.task_arn)
    assert (ran["launchType"], ran["platformVersion"]) == ("FARGATE", "1.4.0")
    eni = {d["name"]: d["value"] for d in ran["attachments"][0]["details"]}
    assert eni["subnetId"] in ("subnet-0aaa", "subnet-0bbb")


async def test_run_task_failures_fail_the_stage_with_their_reason(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """No Fargate capacity: RunTask's failure is the stage's reason; nothing is deployed."""
    old = await fargate_service(ecs_services)
    ecs_simulator.add_rule({"image": "myorg/api:*", "behavior": "no_capacity"})
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
    result = await ecs_deployer.release(release)
    ecs_simulator.clear_rules()
    assert result.outcome is Outcome.FAILED
    (task,) = result.tasks
    assert task.state is TaskState.FAILED
    assert task.task_arn is None
    assert task.reason.startswith("RunTask failed: Capacity is unavailable at this time")
    assert await ecs_services.task_definition("api") == old


async def test_cancelling_the_release_stops_the_running_migration(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Cancelled while the task runs: StopTask, shielded; the simulator shows it stopped by us."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    running = anyio.Event()
    arns: list[str] = []

    def on_event(event: DeployEvent) -> None:
        if event.kind is EventKind.TASK and event.data.get("status") == "RUNNING":
            arns.append(str(event.data["task_arn"]))
            running.set()

    ecs_deployer.subscribe(on_event)
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])], name="r7")
    with capture_logs() as logs:
        async with anyio.create_task_group() as group:
            group.start_soon(ecs_deployer.release, release)
            await running.wait()
            group.cancel_scope.cancel()
    await ecs_simulator.advance(120)
    stopped = await describe_task(ecs_services, arns[0])
    assert (stopped["lastStatus"], stopped["stopCode"]) == ("STOPPED", "UserInitiated")
    assert stopped["stoppedReason"] == "ecsdeploy: release r7 was cancelled"
    (finished,) = [e for e in logs if e["event"] == "ecsdeploy.task.finished"]
    assert (finished["state"], finished["stopped_by_ecsdeploy"]) == ("STOPPED", True)
    (outcome,) = ecs_deployer.task_results
    assert (outcome.state, outcome.stopped_by_ecsdeploy) == (TaskState.STOPPED, True)
    assert outcome.task_arn == arns[0]
    assert outcome.reason == "stopped by ecsdeploy: release r7 was cancelled"


async def test_a_migration_past_its_timeout_is_stopped_and_fails_the_stage(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A task still running at its timeout is stopped; the result says ecsdeploy stopped it."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration(timeout=0.3)])])
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.FAILED
    (task,) = result.tasks
    assert task.state is TaskState.STOPPED
    assert task.stopped_by_ecsdeploy
    assert "ran longer than its timeout" in task.reason
    assert task.task_arn is not None
    await ecs_simulator.advance(120)
    stopped = await describe_task(ecs_services, task.task_arn)
    assert stopped["stopCode"] == "UserInitiated"
    assert await ecs_services.task_definition("api") == old


async def test_a_lost_run_task_answer_does_not_start_a_second_migration(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """RunTask's answer is lost once; the retry with the same client token finds the task."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(0))
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"RunTask": 1}) as proxy,
        deployer_through(proxy) as deployer,
    ):
        result = await deployer.release(
            Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
        )
    assert proxy.lost == 1
    assert result.outcome is Outcome.SUCCEEDED, result.tasks[0].reason
    listed = await ecs_services.ecs.list_tasks(
        cluster=CLUSTER, startedBy="ecsdeploy", desiredStatus="STOPPED"
    )
    assert listed["taskArns"] == [result.tasks[0].task_arn]


async def test_a_run_task_whose_every_answer_is_lost_is_found_by_its_token_tag(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Every RunTask answer lost: the task is found among ecsdeploy's tasks by its client-token
    tag and watched to its end; still one task."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(0))
    attempts = RetryPolicy.fast().attempts
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"RunTask": attempts}) as proxy,
        deployer_through(proxy) as deployer,
    ):
        with capture_logs() as logs:
            result = await deployer.release(
                Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
            )
    assert proxy.lost == attempts
    assert result.outcome is Outcome.SUCCEEDED, result.tasks[0].reason
    assert any(e["event"] == "ecsdeploy.task.found_lost_run" for e in logs)
    listed = await ecs_services.ecs.list_tasks(
        cluster=CLUSTER, startedBy="ecsdeploy", desiredStatus="STOPPED"
    )
    assert listed["taskArns"] == [result.tasks[0].task_arn]


async def test_a_container_the_task_definition_lacks_is_bad_input_before_any_change(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """An override naming an unknown container: exit 2, nothing run, nothing deployed."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    task = OneOffTask("migrate", cluster=CLUSTER, task_definition_of="api", command={"app": ["x"]})
    result = await ecs_deployer.release(Release([Stage("apps", [api_to("x/a:2")], tasks=[task])]))
    assert result.exit_code == 2
    assert result.error is not None
    assert "no container 'app'" in result.error
    assert result.tasks[0].state is TaskState.SKIPPED
    listed = await ecs_services.ecs.list_tasks(cluster=CLUSTER, startedBy="ecsdeploy")
    assert listed["taskArns"] == []
    assert await ecs_services.task_definition("api") == old


async def test_an_awsvpc_task_without_a_service_to_copy_its_network_from_is_bad_input(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """An awsvpc task definition given directly needs network_from: exit 2."""
    current = await fargate_service(ecs_services)
    task = OneOffTask("migrate", cluster=CLUSTER, task_definition=current)
    result = await ecs_deployer.release(Release([Stage("migrate", tasks=[task])]))
    assert result.exit_code == 2
    assert result.error is not None
    assert "network_from" in result.error


async def test_tasks_run_in_order_and_a_failure_skips_the_rest_of_its_stage(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The first task exits 0, the second 1; the third never runs and says why."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    for word, code in (("first", 0), ("second", 1), ("third", 0)):
        ecs_simulator.add_rule(
            {"image": "myorg/api:1", "behavior": "exit", "command": word, "exit_code": code}
        )
    tasks = [
        OneOffTask(word, cluster=CLUSTER, task_definition_of="api", command={"nginx": [word]})
        for word in ("first", "second", "third")
    ]
    result = await ecs_deployer.release(Release([Stage("migrate", tasks=tasks)]))
    first, second, third = result.tasks
    assert [t.state for t in result.tasks] == [
        TaskState.SUCCEEDED,
        TaskState.FAILED,
        TaskState.SKIPPED,
    ]
    assert first.finished_at <= second.started_at
    assert third.reason == "not run: task 'second' of its stage failed"
    assert result.exit_code == 1


def test_a_tasks_environment_values_stay_out_of_its_repr() -> None:
    """Environment overrides often carry credentials: repr (and so tracebacks) leaves them out."""
    task = migration(env={"nginx": {"DB_PASSWORD": "hunter2-very-secret"}})
    assert "hunter2-very-secret" not in repr(task)
    assert task.env == {"nginx": {"DB_PASSWORD": "hunter2-very-secret"}}


async def test_a_migration_interrupted_by_aws_fails_its_stage_even_when_it_exited_0(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """A Spot interruption stops the migration and its container exits 0 on SIGTERM: the
    migration did not finish, so its stage fails and "api" keeps its revision."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(
        {"image": "myorg/api:2", "behavior": "interruption", "after": 10, "count": 1}
    )
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
    result = await ecs_deployer.release(release)
    (task,) = result.tasks
    assert task.stop_code == "SpotInterruption"
    assert task.exit_codes == {"nginx": 0}
    assert task.state is TaskState.FAILED
    assert "SpotInterruption" in task.reason
    assert result.outcome is Outcome.FAILED
    assert result.services[0].state is ServiceState.SKIPPED
    assert await ecs_services.task_definition("api") == old


async def test_cancelled_while_run_task_answers_are_lost_the_started_task_is_stopped(
    ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """Cancelled while RunTask's answers are being lost: the task the first call started is
    still found by its token tag and stopped, and its outcome recorded."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    attempts = RetryPolicy.fast().attempts
    async with (
        lossy_proxy(ecs_simulator.endpoint_url, {"RunTask": attempts}) as proxy,
        deployer_through(proxy) as deployer,
    ):
        release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])], name="r9")

        async def cancel_once_an_answer_is_lost(scope: anyio.CancelScope) -> None:
            await proxy.answer_lost.wait()
            scope.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(deployer.release, release)
            group.start_soon(cancel_once_an_answer_is_lost, group.cancel_scope)
        (outcome,) = deployer.task_results
    assert proxy.lost == attempts
    await ecs_simulator.advance(120)
    listed = await ecs_services.ecs.list_tasks(cluster=CLUSTER, startedBy="ecsdeploy")
    assert listed["taskArns"] == []
    stopped = await ecs_services.ecs.list_tasks(
        cluster=CLUSTER, startedBy="ecsdeploy", desiredStatus="STOPPED"
    )
    (arn,) = stopped["taskArns"]
    ran = await describe_task(ecs_services, arn)
    assert (ran["stopCode"], ran["stoppedReason"]) == (
        "UserInitiated",
        "ecsdeploy: release r9 was cancelled",
    )
    assert (outcome.state, outcome.task_arn) == (TaskState.STOPPED, arn)


async def test_a_denied_run_task_fails_the_stage_without_claiming_a_task_may_run(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """RunTask answered AccessDenied (no ecs:RunTask): nothing started, so the release fails
    with exit 1 and names the refusal, not "state unknown" (exit 3)."""
    old = await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule({"operation": "RunTask", "error": "AccessDenied"})
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
    result = await ecs_deployer.release(release)
    (task,) = result.tasks
    assert task.state is TaskState.FAILED
    assert not task.state_unknown
    assert task.reason.startswith("RunTask refused it: ")
    assert "ecs:RunTask" in task.reason
    assert result.exit_code == 1
    listed = await ecs_services.ecs.list_tasks(cluster=CLUSTER, startedBy="ecsdeploy")
    assert listed["taskArns"] == []
    assert await ecs_services.task_definition("api") == old


async def test_an_awsvpc_task_copying_a_service_without_awsvpc_settings_is_bad_input(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """network_from names a service with no subnets to copy: exit 2 before stage 1 deploys."""
    old_web = await ecs_services.create("web", image="myorg/web:1", desired=1)
    awsvpc = await fargate_service(ecs_services)
    task = OneOffTask("migrate", cluster=CLUSTER, task_definition=awsvpc, network_from="web")
    web = Target(CLUSTER, "web", [ImageChange("nginx", "myorg/web:2")])
    result = await ecs_deployer.release(Release([Stage("edge", [web]), Stage("db", tasks=[task])]))
    await assert_refused_before_web_deploys(
        result, ecs_services, old_web, "'web' has no awsvpc network configuration"
    )


async def test_a_release_name_ecs_cannot_tag_with_still_runs_its_migration(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS refuses '#', '(' and ',' in tags: the release and task tags carry them as '_'."""
    await ecs_services.create("api", image="myorg/api:1", desired=1)
    ecs_simulator.add_rule(finishes(0))
    task = OneOffTask(
        "migrate (v2), then seed",
        cluster=CLUSTER,
        task_definition_of="api",
        command={"nginx": list(MIGRATE)},
    )
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[task])], name="hotfix #42")
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.SUCCEEDED, result.tasks[0].reason
    assert result.tasks[0].task_arn is not None
    ran = await describe_task(ecs_services, result.tasks[0].task_arn)
    tags = {t["key"]: t["value"] for t in ran["tags"]}
    assert tags["ecsdeploy:release"] == "hotfix _42"
    assert tags["ecsdeploy:task"] == "migrate _v2__ then seed"


async def test_a_task_of_a_service_running_a_deregistered_revision_is_bad_input(
    ecs_deployer: Deployer, ecs_services: EcsServices
) -> None:
    """ECS cannot run an INACTIVE revision: the task of a service the release does not deploy,
    whose revision was deregistered, is refused before stage 1 deploys."""
    old_web = await ecs_services.create("web", image="myorg/web:1", desired=1)
    api = await ecs_services.create("api", image="myorg/api:1", desired=1)
    await ecs_services.ecs.deregister_task_definition(taskDefinition=api)
    web = Target(CLUSTER, "web", [ImageChange("nginx", "myorg/web:2")])
    release = Release([Stage("edge", [web]), Stage("db", tasks=[migration()])])
    result = await ecs_deployer.release(release)
    await assert_refused_before_web_deploys(result, ecs_services, old_web, "INACTIVE")


async def test_a_task_of_a_deployed_service_whose_revision_was_deregistered_still_runs(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """The release deploys "api": the task runs the new revision registered for it, so the
    deregistered current one does not matter."""
    api = await ecs_services.create("api", image="myorg/api:1", desired=1)
    await ecs_services.ecs.deregister_task_definition(taskDefinition=api)
    ecs_simulator.add_rule(finishes(0))
    release = Release([Stage("apps", [api_to("myorg/api:2")], tasks=[migration()])])
    result = await ecs_deployer.release(release)
    assert result.outcome is Outcome.SUCCEEDED, result.error or result.tasks[0].reason
    deployed = result.services[0].result
    assert deployed is not None
    assert result.tasks[0].task_definition_arn == deployed.task_definition_arn


async def test_a_bridge_task_copying_an_awsvpc_service_gets_its_launch_type_not_its_subnets(
    ecs_deployer: Deployer, ecs_services: EcsServices, ecs_simulator: Simulator
) -> None:
    """ECS refuses a network configuration for a bridge-mode task: only the launch type of the
    awsvpc service in network_from is copied."""
    ecs = ecs_services.ecs
    await ecs.create_cluster(clusterName=CLUSTER)
    api = await ecs.register_task_definition(
        family="api",
        networkMode="awsvpc",
        containerDefinitions=[{"name": "nginx", "image": "myorg/api:1", "memory": 128}],
    )
    await ecs.create_service(
        cluster=CLUSTER,
        serviceName="api",
        taskDefinition=api["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
        launchType="EC2",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-0aaa"], "securityGroups": ["sg-0123"]}
        },
    )
    bridge = await ecs.register_task_definition(
        family="migrate",
        containerDefinitions=[{"name": "app", "image": "myorg/migrate:1", "memory": 128}],
    )
    ecs_simulator.add_rule({"image": "myorg/migrate:1", "behavior": "exit", "after": 5})
    task = OneOffTask(
        "migrate",
        cluster=CLUSTER,
        task_definition=bridge["taskDefinition"]["taskDefinitionArn"],
        network_from="api",
    )
    result = await ecs_deployer.release(Release([Stage("db", tasks=[task])]))
    assert result.outcome is Outcome.SUCCEEDED, result.error or result.tasks[0].reason
    assert result.tasks[0].task_arn is not None
    ran = await describe_task(ecs_services, result.tasks[0].task_arn)
    assert ran["launchType"] == "EC2"
    assert not ran.get("attachments")


def test_a_command_given_as_one_string_is_refused_not_split_into_letters() -> None:
    """command={"api": "migrate --up"} would run "m", "i", ...: an InputError says to give words."""
    with pytest.raises(InputError, match="a list of words"):
        OneOffTask("m", cluster=CLUSTER, task_definition="m:1", command={"api": "migrate --up"})
