"""ECS deployment lifecycle hooks (targetType PAUSE) for moto 5.2.1, for ecs-migrate's tests only.

moto 5.2.1 raises NotImplementedError for ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions and ContinueServiceDeployment, and CreateService/UpdateService drop
`deploymentConfiguration`. `PATCHES` add them to moto's ECS backend and response class, in memory, when moto loads them.

Nothing in moto makes a deployment pause, so the tests drive the owner's side through control endpoints
(POST, JSON body, JSON answer; region defaults to eu-west-1, account to moto's 123456789012):

- /moto-api/x-ecs-migrate/pause-deployment {cluster, service, taskDefinition?, stage?, digests?, emitEvent?}
  What the owner's UpdateService does when the service has a PAUSE hook: a service deployment IN_PROGRESS
  whose hook is AWAITING_ACTION at `stage` (default: the service's first PAUSE stage), a target service
  revision with the task definition (default: the service's current one) and `containerImages` with digests
  (`digests` by container name; otherwise the image's own `@sha256:` digest or a stable fake one). The service
  moves to the task definition with a new PRIMARY deployment, and `ECS Hook State Change` HOOK_AWAITING_ACTION
  is put on the default bus (rules with SQS targets deliver it) unless emitEvent is false.
  Answers {serviceDeploymentArn, hookId, serviceRevisionArn, expiresAt, event}.
- /moto-api/x-ecs-migrate/time-out-hook {serviceDeploymentArn, hookId?}: the hook becomes TIMED_OUT and its
  timeout action is applied (ROLLBACK: ROLLBACK_IN_PROGRESS); puts HOOK_TIMED_OUT.
- /moto-api/x-ecs-migrate/deployment-state {serviceDeploymentArn, eventName, reason?, eventType?}: puts
  `ECS Deployment State Change` for the service (eventName SERVICE_DEPLOYMENT_COMPLETED | _FAILED |
  _IN_PROGRESS) and moves the service deployment to SUCCESSFUL / ROLLBACK_SUCCESSFUL (or ROLLBACK_IN_PROGRESS
  for an IN_PROGRESS whose reason says it is rolling back).

What AWS does not document is a guess here, and marked so: the error for an answer to a hook that is not
AWAITING_ACTION (InvalidParameterException), and the status names a rollback goes through.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

# moto is imported inside the functions: loading moto's ECS backend costs about a second, and moto itself loads it
# on the first ECS request only. test/support/moto_server.py applies PATCHES right after moto imports each module.

DEFAULT_REGION = "eu-west-1"
DEFAULT_ACCOUNT = "123456789012"
# PAUSE hooks cannot be configured at these stages (SDK docs of DeploymentLifecycleHook).
NOT_PAUSABLE = {"TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"}
# The stage a deployment goes to after a CONTINUE (only used to make lifecycleStage move on).
NEXT_STAGE = {
    "RECONCILE_SERVICE": "PRE_SCALE_UP",
    "PRE_SCALE_UP": "SCALE_UP",
    "POST_SCALE_UP": "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT": "PRODUCTION_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT": "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT": "BAKE_TIME",
}

_lock = threading.Lock()


def _not_found(arn: str) -> Exception:
    """ServiceDeploymentNotFoundException, an error of the ECS model moto serializes like its own."""
    from moto.ecs.exceptions import ECSException

    class ServiceDeploymentNotFoundException(ECSException):
        # moto finds an error's service model by the exception's module ("moto.<service>....").
        __module__ = "moto.ecs.exceptions"

    return ServiceDeploymentNotFoundException("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")


def _invalid(message: str) -> Exception:
    from moto.ecs.exceptions import InvalidParameterException

    return InvalidParameterException(message)


def _random() -> Any:
    from moto.moto_api._internal import mock_random

    return mock_random


class ControlError(Exception):
    """A bad control-endpoint request: answered with HTTP 400 and the message."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _store(backend: Any) -> dict[str, dict[str, Any]]:
    """Deployments and revisions live on the backend, so /moto-api/reset (which rebuilds backends) forgets them."""
    store = backend.__dict__.get("_x_pause_hooks")
    if store is None:
        store = {"deployments": {}, "revisions": {}}
        backend.__dict__["_x_pause_hooks"] = store
    return store


def _deployment(backend: Any, arn: str) -> dict[str, Any]:
    found = _store(backend)["deployments"].get(arn)
    if found is None:
        raise _not_found(arn)
    return found


def _arn(backend: Any, kind: str, cluster: str, service: str, suffix: str) -> str:
    return f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:{kind}/{cluster}/{service}/{suffix}"


# ---------------------------------------------------------------- backend methods


def list_service_deployments(self: Any, cluster_str: str, service_str: str, statuses: list[str] | None) -> list[dict[str, Any]]:
    service = self._get_service(cluster_str or "default", service_str)
    found = [d for d in _store(self)["deployments"].values() if d["serviceArn"] == service.arn]
    if statuses:
        found = [d for d in found if d["status"] in statuses]
    found.sort(key=lambda d: d["createdAt"], reverse=True)
    keys = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt", "status", "statusReason")
    return [{**{k: d[k] for k in keys if k in d}, "targetServiceRevisionArn": d["targetServiceRevision"]["arn"]} for d in found]


def describe_service_deployments(self: Any, arns: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    store = _store(self)["deployments"]
    found = [store[a] for a in arns if a in store]
    failures = [{"arn": a, "reason": "MISSING"} for a in arns if a not in store]
    return found, failures


def describe_service_revisions(self: Any, arns: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    store = _store(self)["revisions"]
    found = [store[a] for a in arns if a in store]
    failures = [{"arn": a, "reason": "MISSING"} for a in arns if a not in store]
    return found, failures


def continue_service_deployment(self: Any, arn: str, hook_id: str, action: str | None) -> str:
    action = action or "CONTINUE"
    if action not in ("CONTINUE", "ROLLBACK"):
        raise _invalid(f"action must be CONTINUE or ROLLBACK, not {action}.")
    with _lock:
        deployment = _deployment(self, arn)
        hook = next((h for h in deployment["lifecycleHookDetails"] if h["hookId"] == hook_id), None)
        if hook is None:
            raise _invalid(f"The lifecycle hook {hook_id} does not exist in service deployment {arn}.")
        # AWS: "the hook must be in AWAITING_ACTION status; the deployment must be IN_PROGRESS". The error for a
        # late answer is not documented: InvalidParameterException is this emulator's guess.
        if hook["status"] != "AWAITING_ACTION":
            raise _invalid(f"The lifecycle hook {hook_id} is {hook['status']}, not AWAITING_ACTION.")
        if deployment["status"] != "IN_PROGRESS":
            raise _invalid(f"The service deployment {arn} is {deployment['status']}, not IN_PROGRESS.")
        hook["status"] = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
        deployment["updatedAt"] = _now()
        if action == "CONTINUE":
            deployment["lifecycleStage"] = NEXT_STAGE.get(deployment["lifecycleStage"], deployment["lifecycleStage"])
        else:
            _roll_back(self, deployment, f"Lifecycle hook {hook_id} answered ROLLBACK.")
    _put_hook_event(self, deployment, hook, "HOOK_SUCCEEDED" if action == "CONTINUE" else "HOOK_FAILED")
    return arn


def _roll_back(backend: Any, deployment: dict[str, Any], reason: str) -> None:
    deployment["status"] = "ROLLBACK_IN_PROGRESS"
    deployment["statusReason"] = reason
    source = (deployment.get("sourceServiceRevisions") or [{}])[0].get("arn")
    deployment["rollback"] = {"reason": reason, "startedAt": _now(), **({"serviceRevisionArn": source} if source else {})}
    revision = _store(backend)["revisions"].get(source or "")
    if revision is not None:
        service = backend._get_service(deployment["clusterArn"], deployment["serviceArn"])
        service.task_definition = revision["taskDefinition"]


# ---------------------------------------------------------------- CreateService / UpdateService keep deploymentConfiguration


def _validate_hooks(configuration: dict[str, Any] | None) -> None:
    for hook in (configuration or {}).get("lifecycleHooks") or []:
        if hook.get("targetType") != "PAUSE":
            continue
        if hook.get("hookTargetArn") or hook.get("roleArn"):
            raise _invalid("PAUSE lifecycle hooks do not take hookTargetArn or roleArn.")
        bad = NOT_PAUSABLE.intersection(hook.get("lifecycleStages") or [])
        if bad:
            raise _invalid(f"PAUSE lifecycle hooks cannot be configured at {', '.join(sorted(bad))}.")
        minutes = (hook.get("timeoutConfiguration") or {}).get("timeoutInMinutes")
        if minutes is not None and not 1 <= int(minutes) <= 20160:
            raise _invalid("timeoutInMinutes must be between 1 and 20160.")


def _patch_service_calls(ecs_responses: Any) -> None:
    response_cls = ecs_responses.EC2ContainerServiceResponse
    original_create = response_cls.create_service
    original_update = response_cls.update_service

    def create_service(self: Any) -> Any:
        configuration = self._get_param("deploymentConfiguration")
        _validate_hooks(configuration)
        result = original_create(self)
        if configuration is not None:
            result.result["service"].deployment_configuration = configuration
        return result

    def update_service(self: Any) -> Any:
        configuration = self._get_param("deploymentConfiguration")
        _validate_hooks(configuration)
        # moto's update_service sets every parameter as a snake_case attribute, which is what DescribeServices reads.
        return original_update(self)

    response_cls.create_service = create_service
    response_cls.update_service = update_service


def _pause_hooks(service: Any) -> list[dict[str, Any]]:
    configuration = getattr(service, "deployment_configuration", None) or {}
    return [h for h in configuration.get("lifecycleHooks") or [] if h.get("targetType") == "PAUSE"]


# ---------------------------------------------------------------- response methods (the JSON API)


def _result(value: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(value)


def _r_list_service_deployments(self: Any) -> Any:
    found = self.ecs_backend.list_service_deployments(self._get_param("cluster"), self._get_param("service"), self._get_param("status"))
    return _result({"serviceDeployments": found})


def _r_describe_service_deployments(self: Any) -> Any:
    found, failures = self.ecs_backend.describe_service_deployments(self._get_param("serviceDeploymentArns") or [])
    return _result({"serviceDeployments": found, "failures": failures})


def _r_describe_service_revisions(self: Any) -> Any:
    found, failures = self.ecs_backend.describe_service_revisions(self._get_param("serviceRevisionArns") or [])
    return _result({"serviceRevisions": found, "failures": failures})


def _r_continue_service_deployment(self: Any) -> Any:
    arn = self.ecs_backend.continue_service_deployment(
        self._get_param("serviceDeploymentArn"), self._get_param("hookId"), self._get_param("action")
    )
    return _result({"serviceDeploymentArn": arn})


# ---------------------------------------------------------------- events


def _put_event(backend: Any, detail_type: str, detail: dict[str, Any], resources: list[str]) -> dict[str, Any]:
    from moto.events.models import events_backends

    time = _iso(_now())
    # No "Time": moto's delivery template writes it unquoted, so only its default (a number) gives valid JSON.
    entry = {"Source": "aws.ecs", "DetailType": detail_type, "Detail": json.dumps(detail), "Resources": resources}
    events_backends[backend.account_id][backend.region_name].put_events([entry])
    return {
        "version": "0",
        "source": "aws.ecs",
        "detail-type": detail_type,
        "account": backend.account_id,
        "region": backend.region_name,
        "time": time,
        "resources": resources,
        "detail": detail,
    }


def _put_hook_event(backend: Any, deployment: dict[str, Any], hook: dict[str, Any], event_name: str) -> dict[str, Any]:
    detail = {
        "eventType": "INFO" if event_name in ("HOOK_AWAITING_ACTION", "HOOK_IN_PROGRESS", "HOOK_SUCCEEDED") else "WARN",
        "eventName": event_name,
        "hookId": hook["hookId"],
        "hookType": "PAUSE",
        "expiresAt": _iso(hook["expiresAt"]),
        "lifecycleStage": hook["_stage"],
        "clusterArn": deployment["clusterArn"],
        "serviceArn": deployment["serviceArn"],
        "serviceDeploymentArn": deployment["serviceDeploymentArn"],
        "updatedAt": _iso(_now()),
    }
    return _put_event(backend, "ECS Hook State Change", detail, [deployment["serviceDeploymentArn"]])


# ---------------------------------------------------------------- control endpoints


def _digest(image: str) -> str:
    if "@sha256:" in image:
        return image.split("@", 1)[1]
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def _backend(body: dict[str, Any]) -> Any:
    import moto.ecs.responses  # noqa: F401  (loads moto's ECS backend, and with it these patches)
    from moto.ecs import models as ecs_models

    return ecs_models.ecs_backends[body.get("account", DEFAULT_ACCOUNT)][body.get("region", DEFAULT_REGION)]


def _revision(backend: Any, service: Any, task_definition_arn: str, digests: dict[str, str]) -> dict[str, Any]:
    definition = backend.describe_task_definition(task_definition_arn)
    images = [
        {"containerName": c["name"], "image": c["image"], "imageDigest": digests.get(c["name"], _digest(c["image"]))}
        for c in definition.container_definitions
    ]
    revision: dict[str, Any] = {
        "serviceRevisionArn": _arn(backend, "service-revision", service.cluster_name, service.name, str(_random().randint(10**18, 10**19 - 1))),
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinition": definition.arn,
        "containerImages": images,
        "createdAt": _now(),
    }
    strategy = getattr(service, "capacity_provider_strategy", None)
    if strategy:
        revision["capacityProviderStrategy"] = strategy
    elif service.launch_type:
        revision["launchType"] = service.launch_type
    if service.platform_version:
        revision["platformVersion"] = service.platform_version
    if service.network_configuration:
        revision["networkConfiguration"] = service.network_configuration
    _store(backend)["revisions"][revision["serviceRevisionArn"]] = revision
    return revision


def pause_deployment(body: dict[str, Any]) -> dict[str, Any]:
    backend = _backend(body)
    service = backend._get_service(body.get("cluster", "default"), body["service"])
    hooks = _pause_hooks(service)
    stage = body.get("stage") or ((hooks[0].get("lifecycleStages") or ["PRE_SCALE_UP"])[0] if hooks else "PRE_SCALE_UP")
    hook_config = next((h for h in hooks if stage in (h.get("lifecycleStages") or [])), None)
    if hook_config is None:
        raise ControlError(
            f"service {service.name} has no PAUSE lifecycle hook at {stage}: create or update it with "
            "deploymentConfiguration.lifecycleHooks [{targetType: PAUSE, lifecycleStages: [...]}]"
        )
    timeout = hook_config.get("timeoutConfiguration") or {}
    now = _now()
    with _lock:
        source = _revision(backend, service, service.task_definition, {}) if service.task_definition else None
        target = _revision(backend, service, body.get("taskDefinition") or service.task_definition, body.get("digests") or {})
        arn = _arn(backend, "service-deployment", service.cluster_name, service.name, _random().get_random_string(20))
        hook = {
            "hookId": f"ecs-pause-{_random().get_random_hex(32)}",
            "targetType": "PAUSE",
            "status": "AWAITING_ACTION",
            "expiresAt": now + timedelta(minutes=int(timeout.get("timeoutInMinutes", 1440))),
            "timeoutAction": timeout.get("action", "ROLLBACK"),
            "_stage": stage,
        }
        deployment = {
            "serviceDeploymentArn": arn,
            "serviceArn": service.arn,
            "clusterArn": service.cluster_arn,
            "createdAt": now,
            "startedAt": now,
            "updatedAt": now,
            "sourceServiceRevisions": [{"arn": source["serviceRevisionArn"]}] if source else [],
            "targetServiceRevision": {"arn": target["serviceRevisionArn"], "requestedTaskCount": service.desired_count},
            "status": "IN_PROGRESS",
            "lifecycleStage": stage,
            "lifecycleHookDetails": [hook],
            "deploymentConfiguration": getattr(service, "deployment_configuration", None) or {},
        }
        _store(backend)["deployments"][arn] = deployment
        # The owner's UpdateService: the service names the new task definition and has a new PRIMARY deployment.
        service.task_definition = target["taskDefinition"]
        for old in service.deployments:
            old["status"] = "ACTIVE"
        service.deployments.insert(
            0,
            {
                "id": f"ecs-svc/{_random().randint(0, 10**19)}",
                "status": "PRIMARY",
                "taskDefinition": target["taskDefinition"],
                "desiredCount": service.desired_count,
                "pendingCount": 0,
                "runningCount": 0,
                "failedTasks": 0,
                "createdAt": now,
                "updatedAt": now,
                "launchType": service.launch_type,
                "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": "ECS deployment in progress.",
            },
        )
    answer = {
        "serviceDeploymentArn": arn,
        "hookId": hook["hookId"],
        "serviceRevisionArn": target["serviceRevisionArn"],
        "expiresAt": _iso(hook["expiresAt"]),
        "ecsDeploymentId": service.deployments[0]["id"],
    }
    if body.get("emitEvent", True):
        answer["event"] = _put_hook_event(backend, deployment, hook, "HOOK_AWAITING_ACTION")
    return answer


def time_out_hook(body: dict[str, Any]) -> dict[str, Any]:
    backend = _backend(body)
    with _lock:
        deployment = _deployment(backend, body["serviceDeploymentArn"])
        hooks = [h for h in deployment["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION" and body.get("hookId") in (None, h["hookId"])]
        if not hooks:
            raise ControlError(f"no hook AWAITING_ACTION in {deployment['serviceDeploymentArn']}")
        hook = hooks[0]
        hook["status"] = "TIMED_OUT"
        hook["expiresAt"] = _now()
        if hook["timeoutAction"] == "ROLLBACK":
            _roll_back(backend, deployment, f"Lifecycle hook {hook['hookId']} timed out.")
    return {"event": _put_hook_event(backend, deployment, hook, "HOOK_TIMED_OUT"), "status": deployment["status"]}


def deployment_state(body: dict[str, Any]) -> dict[str, Any]:
    backend = _backend(body)
    event_name = body["eventName"]
    if event_name not in ("SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED", "SERVICE_DEPLOYMENT_IN_PROGRESS"):
        raise ControlError(f"eventName {event_name}: expected SERVICE_DEPLOYMENT_COMPLETED, _FAILED or _IN_PROGRESS")
    with _lock:
        deployment = _deployment(backend, body["serviceDeploymentArn"])
        service = backend._get_service(deployment["clusterArn"], deployment["serviceArn"])
        primary = service.deployments[0] if service.deployments else {"id": "ecs-svc/0"}
        reason = body.get("reason") or {
            "SERVICE_DEPLOYMENT_COMPLETED": f"ECS deployment {primary['id']} completed.",
            "SERVICE_DEPLOYMENT_FAILED": "ECS deployment circuit breaker: tasks failed to start.",
            "SERVICE_DEPLOYMENT_IN_PROGRESS": f"ECS deployment {primary['id']} in progress.",
        }[event_name]
        now = _now()
        deployment["updatedAt"] = now
        if event_name == "SERVICE_DEPLOYMENT_COMPLETED":
            deployment["status"] = "ROLLBACK_SUCCESSFUL" if deployment["status"].startswith("ROLLBACK") else "SUCCESSFUL"
            deployment["finishedAt"] = now
            primary["rolloutState"] = "COMPLETED"
        elif event_name == "SERVICE_DEPLOYMENT_FAILED":
            # Status names of a circuit-breaker rollback are a guess: AWS does not document the sequence.
            deployment["status"] = "ROLLBACK_SUCCESSFUL"
            deployment["statusReason"] = reason
            deployment["finishedAt"] = now
            primary["rolloutState"] = "FAILED"
        elif "rolling back" in reason.lower():
            _roll_back(backend, deployment, reason)
        primary["rolloutStateReason"] = reason
    detail = {
        "eventType": body.get("eventType") or ("ERROR" if event_name == "SERVICE_DEPLOYMENT_FAILED" else "INFO"),
        "eventName": event_name,
        "deploymentId": primary["id"],
        "updatedAt": _iso(now),
        "reason": reason,
    }
    return {"event": _put_event(backend, "ECS Deployment State Change", detail, [deployment["serviceArn"]]), "status": deployment["status"]}


def control(handler: Any) -> Any:
    """A moto-api view: POST with a JSON body → 200 with the JSON answer; a bad request → 400 with the reason."""

    def view(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        if request.method != "POST":
            return 405, {}, json.dumps({"error": "POST a JSON body"})
        try:
            raw = request.get_data(as_text=True)  # not request.data: a form content type leaves that empty
            return 200, {"Content-Type": "application/json"}, json.dumps(handler(json.loads(raw or "{}")))
        except Exception as error:  # a bad request (ControlError, KeyError, an ECS error): 400 with the reason
            message = getattr(error, "message", None) or str(error)
            return 400, {"Content-Type": "application/json"}, json.dumps({"error": f"{type(error).__name__}: {message}"})

    view.__name__ = f"x_ecs_migrate_{handler.__name__}"
    return view


def apply_ecs(ecs_responses: Any) -> None:
    """After moto.ecs.responses is imported (moto.ecs.models with it): the new actions and CreateService/UpdateService."""
    from moto.ecs import models as ecs_models

    backend_cls = ecs_models.EC2ContainerServiceBackend
    backend_cls.list_service_deployments = list_service_deployments
    backend_cls.describe_service_deployments = describe_service_deployments
    backend_cls.describe_service_revisions = describe_service_revisions
    backend_cls.continue_service_deployment = continue_service_deployment
    response_cls = ecs_responses.EC2ContainerServiceResponse
    response_cls.list_service_deployments = _r_list_service_deployments
    response_cls.describe_service_deployments = _r_describe_service_deployments
    response_cls.describe_service_revisions = _r_describe_service_revisions
    response_cls.continue_service_deployment = _r_continue_service_deployment
    _patch_service_calls(ecs_responses)


def apply_moto_api(moto_api_urls: Any) -> None:
    """After moto.moto_api._internal.urls is imported: the control endpoints beside /moto-api/reset."""
    for name, handler in (("pause-deployment", pause_deployment), ("time-out-hook", time_out_hook), ("deployment-state", deployment_state)):
        moto_api_urls.url_paths["{0}/moto-api/x-ecs-migrate/" + name] = control(handler)


# module name → the patch to apply right after moto imports it
PATCHES = {"moto.ecs.responses": apply_ecs, "moto.moto_api._internal.urls": apply_moto_api}
