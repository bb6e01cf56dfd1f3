"""ECS task states as ECS reports them, for moto 5.2.1, for ecs-migrate's tests only.

Why: moto 5.2.1's DescribeTasks moves a task one state further on every call (RUNNING, DEACTIVATING, ..., STOPPED)
and reports its container with `exitCode 0` from the start; its StopTask sets no stopCode and leaves the container as
it was (../shared/notes/moto-5.2.1.md). ECS reports no exit code before a container stopped, and a task does not stop
because it is described. The watcher reads a running deployment's task with DescribeTasks for its timeout check: on
plain moto every task would look like a migration that exited 0. `PATCHES` make moto report what ECS does:

- a task stays RUNNING until it is stopped (describing it changes nothing);
- its container has no exit code until the task stops;
- StopTask sets stopCode `UserInitiated` and stops the container (no exit code, as for a container ECS killed).

And a control endpoint for what only the task itself does (POST, JSON body, JSON answer; region defaults to
eu-west-1, account to moto's 123456789012):

- /moto-api/x-ecs-migrate/task-exited {cluster, task, exitCode, reason?}: the task's containers (moto runs one per
  task) exited with `exitCode`; the task is STOPPED with stopCode `EssentialContainerExited`, as after a migration
  container ended.
  Answers {taskArn, lastStatus, exitCode}.
"""

from __future__ import annotations

from typing import Any

DEFAULT_REGION = "eu-west-1"
DEFAULT_ACCOUNT = "123456789012"


def apply_models(ecs_models: Any) -> None:
    """After moto.ecs.models is imported: tasks stay as they are when described, containers start with no exit code."""
    ecs_models.Task.advance = lambda self: None

    container_init = ecs_models.Container.__init__

    def init(self: Any, task_def: Any) -> None:
        container_init(self, task_def)
        self.exitCode = None

    ecs_models.Container.__init__ = init

    stop_task = ecs_models.EC2ContainerServiceBackend.stop_task

    def stop(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = stop_task(self, cluster_str, task_str, reason)
        if getattr(task, "stop_code", None) is None:
            task.stop_code = "UserInitiated"
        for container in task.containers:
            container.last_status = "STOPPED"
        return task

    ecs_models.EC2ContainerServiceBackend.stop_task = stop


def task_exited(body: dict[str, Any]) -> dict[str, Any]:
    import moto.ecs.responses  # noqa: F401  (loads moto's ECS backend, and with it these patches)
    from moto.ecs import models as ecs_models

    backend = ecs_models.ecs_backends[body.get("account", DEFAULT_ACCOUNT)][body.get("region", DEFAULT_REGION)]
    found = backend.describe_tasks(body["cluster"], [body["task"]])
    if not found:
        raise KeyError(f"no task {body['task']} in cluster {body['cluster']}")
    task = found[0]
    for container in task.containers:
        container.exitCode = int(body["exitCode"])
        container.last_status = "STOPPED"
        if body.get("reason") is not None:
            container.reason = body["reason"]
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stop_code = "EssentialContainerExited"
    task.stopped_reason = "Essential container in task exited"
    return {"taskArn": task.task_arn, "lastStatus": task.last_status, "exitCode": int(body["exitCode"])}


def apply_moto_api(moto_api_urls: Any) -> None:
    """After moto.moto_api._internal.urls is imported: the control endpoint beside /moto-api/reset."""
    from moto_pause_hooks import control

    moto_api_urls.url_paths["{0}/moto-api/x-ecs-migrate/task-exited"] = control(task_exited)


# module name → the patch to apply right after moto imports it
PATCHES = {"moto.ecs.models": apply_models, "moto.moto_api._internal.urls": apply_moto_api}
