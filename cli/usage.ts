/** Usage texts, apart from the commands so `help` loads no command (and no AWS SDK). */

export const LOCAL_USAGE = `ecs-migrate local --app DIR [--tag TAG] [--command "CMD ARGS"] [--rerun] [--run "CMD ARGS"]
                   [--timeout-minutes N] [--stop-timeout SECONDS] [--env-file FILE] [--env NAME=VALUE]
                   [--database-url URL] [--no-wait] [--config FILE] [--state-dir DIR] [--json]
                   [--mode update-service|pause-hook]
  Runs the whole flow on this machine: an ECR push of the app enters, the launcher decides, the app's
  bin/db-migrate runs as a local "task" (its own process group) against DATABASE_URL, the watcher decides,
  the local service moves to the new image or stays. Exit code 0 when the rollout continued (or there was nothing
  to do), 1 when it was halted or the image was not run (older than the one rolled out: --rerun runs it),
  128+N when interrupted by signal N (the task is stopped first).
  --command       the migration command for this deployment (a deploy-request with "command")
  --rerun         run again even if this image has already been migrated (a rerun request)
  --run           run a command from ALLOWED_COMMANDS (run-command), e.g. --run db-rollback
  --stop-timeout  seconds between SIGTERM and SIGKILL when the task is stopped (default 30)
  --env-file      the task's variables from a dotenv file (repeatable); --env NAME=VALUE after them. Node.js
                  itself opens one first and ends on a missing one ("node: FILE: not found", exit 9;
                  nodejs/node#54232); the CLI refuses one that is not a regular file (exit 2)
  --database-url  the task migrates this Postgres, in an environment of its own (local-<app>-<hash of host,
                  port and database name>); default: local-<app>'s embedded database, on a free loopback port
  --no-wait       exit 1 ("environment busy") instead of waiting while another run holds the environment
  --mode          pause-hook: instead of the push, the service owner's deployment of the app's image pauses
                  at HOOK_STAGE; the migration runs and the watcher answers CONTINUE (the service moves) or
                  ROLLBACK (it stays). Default update-service: ecs-migrate updates the service itself
  --config        a JSON object of configuration keys (as explain --config, e.g. {"ROLLOUT_MODE": "pause-hook",
                  "ALLOWED_COMMANDS": "db-migrate,db-seed"}) over local mode's defaults (ENVIRONMENT local-<app>,
                  MIGRATION_COMMAND db-migrate, ALLOWED_COMMANDS db-migrate,db-rollback, TIMEOUT_MINUTES 60);
                  --timeout-minutes and --mode win over it; any other key is refused. The CLI's
                  environment variables are not read
  --state-dir     where local state is kept (default .ecs-migrate in the current directory)`;

export const EXPLAIN_USAGE = `ecs-migrate explain --config FILE [--state FILE] [--now ISO-TIME] EVENT.json [--json]
  Dry run: what the controller would do with this event and why, without doing it.
  --state  a JSON ControllerState ({ env, deployments, service, task, hook }), its records checked as the stores read
           them (a bad one: exit 2, naming the key), e.g. events/states/running.json (the deployment of the
           task-* samples running); default: an idle environment whose service runs revision 1 of the family
           SERVICE in REGISTRY's account and region, also the service of a state without one
           ("service": null: a service that could not be read); "task": the running deployment's task as
           DescribeTasks reads it for a cancel, an unlock or a takeover ({ taskArn, containers: [{ name, exitCode }] })`;

const STACK_OPTIONS = `  --stack NAME       the ecs-migrate stack of the environment: its CloudFormation outputs name the table, bus,
                     source, log group and environment (or give --environment, --table, --bus, --source)
  --profile, --region  as for the AWS CLI (or AWS_PROFILE, AWS_REGION)
  --json             machine-readable output`;

export const STATUS_USAGE = `ecs-migrate status  (--stack NAME | --environment ENV --table TABLE) [--json]
ecs-migrate status  [--environment ENV] [--state-dir DIR] [--json]          (local mode)
  The environment: gated services, active and queued deployment, the last result.
${STACK_OPTIONS}`;

export const HISTORY_USAGE = `ecs-migrate history (--stack NAME | --environment ENV --table TABLE) [--limit N] [--json]
ecs-migrate history [--environment ENV] [--state-dir DIR] [--limit N] [--json]  (local mode)
  The environment's deployments, newest trigger first (default 20; a replay is listed at the time of the event it replays).
${STACK_OPTIONS}`;

export const LOGS_USAGE = `ecs-migrate logs DEPLOYMENT_ID (--stack NAME | --environment ENV --table TABLE) [--follow] [--json]
ecs-migrate logs DEPLOYMENT_ID [--environment ENV] [--state-dir DIR] [--follow] [--json]  (local mode)
  The deployment and the full CloudWatch log of its task (not only the stored tail); --follow keeps
  printing new lines until the deployment ends.
${STACK_OPTIONS}`;

export const INSPECT_USAGE = `${STATUS_USAGE}\n\n${HISTORY_USAGE}\n\n${LOGS_USAGE}`;

const WAIT_OPTIONS = `  --wait             follow the request to its end: queued behind which deployment, launching, running (with
                     the task's log), then the verdict. Exit 0 when the rollout continued (run-command: the
                     command exited 0), 1 when halted or failed (also when a gated service could not be moved:
                     the verdict names it), 124 when --timeout passed (the deployment goes on).
                     A repeat of a deployment in progress follows that one; a repeat of the deployed image ends
                     with 0 (already deployed), or 1 when that rollout left a gated service unmoved. A request no deployment records within 5 minutes (the
                     controller rejected it) ends with 1;
                     Ctrl-C stops waiting (130), not the deployment
  --timeout DURATION how long --wait waits (default 45m; e.g. 90s, 45m, 2h)
  --request-id ID    default cli-<uuid>;  --requested-by WHO  default: the caller's ARN (STS GetCallerIdentity)
  --dry-run          print the event instead of sending it`;

export const DEPLOY_USAGE = `ecs-migrate deploy (--image URI | --tag TAG | --task-definition ARN) (--stack NAME | --environment ENV)
    [--command "CMD ARGS"] [--rerun] [--wait] [--timeout 45m] [--json]
  Sends a deploy-request (EventBridge PutEvents) to the stack: migrate, then roll the service out.
  Refused before sending (exit 2) when the stack's RolloutMode is pause-hook, whose controller refuses
  every deploy-request: there the service's own ECS deployment starts the migration.
  --tag TAG          the stack's repository (output RepositoryUri) at TAG
  --rerun            run again even if this image has already been migrated
${WAIT_OPTIONS}
${STACK_OPTIONS}`;

export const RUN_COMMAND_USAGE = `ecs-migrate run-command (--stack NAME | --environment ENV) [--wait] [--timeout 45m]
    [--image URI | --tag TAG | --task-definition ARN] -- CMD ARGS…
  Sends a run-command request: runs CMD as a task when the stack's AllowedCommands allow it (a bare entry
  such as db-seed, or a pattern such as "db-rollback --to *"); never touches the service. With --wait it
  prints the task's log and "exit code N", and exits 0 only when the command exited 0. A command the
  controller would refuse is refused before anything is sent, with the controller's reason (exit 2), as is
  --image or --tag when the stack's RolloutMode is pause-hook (it would register a revision).
  --image URI        run CMD on that image, in a revision of the service's task definition registered for it
  --tag TAG          the same with the stack's repository (output RepositoryUri) at TAG
  --task-definition ARN
                     run CMD in that task definition as it is (also on a pause-hook stack); with none of the
                     three, in the one the service runs when the task launches
${WAIT_OPTIONS}
${STACK_OPTIONS}`;

export const REQUEST_USAGE = `ecs-migrate request deploy …        same as "ecs-migrate deploy …"
ecs-migrate request run-command …   same as "ecs-migrate run-command …" (also: --command "CMD ARGS")`;

export const CANCEL_USAGE = `ecs-migrate cancel [DEPLOYMENT_ID] (--stack NAME | --environment ENV) [--reason TEXT] [--json]
  Asks the controller to cancel a deployment (default: the active one): it stops the task and ends the
  deployment as cancelled, the rollout halted. Sends a cancel-request event; needs events:PutEvents (and
  cloudformation:DescribeStacks with --stack).
${STACK_OPTIONS}`;

export const UNLOCK_USAGE = `ecs-migrate unlock --reason TEXT (--stack NAME | --environment ENV) [--json]
  Asks the controller to release the environment lock held by a deployment that is lost. Sends an
  unlock-request event; needs events:PutEvents (and cloudformation:DescribeStacks with --stack). The reason is
  kept in the history.
${STACK_OPTIONS}`;

export const REPLAY_USAGE = `ecs-migrate replay (--stack NAME [--archive NAME] | --archive NAME) --from ISO-TIME --to ISO-TIME [--name REPLAY_NAME] [--json]
  Replays the stack's archived trigger events (ECR pushes, deploy-requests) of that window onto the bus they
  came from. Each replayed event carries "replay-name", so the controller runs it again as a deliberate rerun,
  even for an image it has already migrated. The archive is either stack output: PushArchiveName (pushes, default bus;
  the default with --stack) or RequestArchiveName (deploy-requests, request bus). With --stack the archive is replayed to
  the stack's launcher rule alone (outputs PushRuleArn, RequestRuleArn); --archive without --stack replays to every rule
  on the bus whose pattern matches (another stack's push rule, for one). --from and --to: ISO-8601 with a zone (Z).
  With --stack, pushes are not replayed (exit 2) when its push rule is disabled: RolloutMode pause-hook, or
  TriggerOnPush=false (read with events:DescribeRule; without that permission they are replayed as before).
  --name  the replay's name (unique in the account and region); default: the archive's, the window's end and a hash
          of the window
  --profile, --region  as for the AWS CLI (or AWS_PROFILE, AWS_REGION)`;
