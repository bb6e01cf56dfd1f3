/** Usage texts, apart from the commands so `help` loads no command (and no AWS SDK). */

export const LOCAL_USAGE = `ecs-migrate local --app DIR [--tag TAG] [--command "CMD ARGS"] [--rerun] [--run "CMD ARGS"]
                   [--timeout-minutes N] [--stop-timeout SECONDS] [--env-file FILE] [--env NAME=VALUE]
                   [--database-url URL] [--no-wait] [--config FILE] [--state-dir DIR] [--json]
  Runs the whole flow on this machine: an ECR push of the app enters, the launcher decides, the app's
  bin/db-migrate runs as a local "task" (its own process group) against DATABASE_URL, the watcher decides,
  the local service moves to the new image or stays. Exit code 0 when the rollout continued, 1 when it was
  halted, 128+N when interrupted by signal N (the task is stopped first).
  --command       the migration command for this deployment (a deploy-request with "command")
  --rerun         run again even if this image has already been migrated (a rerun request)
  --run           run a command from ALLOWED_COMMANDS (run-command), e.g. --run db-rollback
  --stop-timeout  seconds between SIGTERM and SIGKILL when the task is stopped (default 30)
  --env-file      the task's variables from a dotenv file (repeatable); --env NAME=VALUE after them
  --database-url  the task migrates this Postgres; default: the environment's embedded database, served on
                  a free loopback port
  --no-wait       exit 1 ("environment busy") instead of waiting while another run holds the environment`;

export const EXPLAIN_USAGE = `ecs-migrate explain --config FILE [--state FILE] [--now ISO-TIME] EVENT.json [--json]
  Dry run: what the controller would do with this event and why, without doing it.
  --state  a JSON ControllerState ({ env, deployments, service }); default: an idle environment whose
           service runs "(the service's current task definition)"`;

export const INSPECT_USAGE = `ecs-migrate status  [--environment ENV] [--state-dir DIR | --table TABLE] [--json]
ecs-migrate history [--environment ENV] [--state-dir DIR | --table TABLE] [--limit N] [--json]
ecs-migrate logs DEPLOYMENT_ID [--environment ENV] [--state-dir DIR | --table TABLE]
  Inspect local mode's state in ./.ecs-migrate (--environment: needed when several apps ran here), or with
  --table a deployed stack's deployments table (stack output DeploymentsTableName; --environment required).`;

export const REQUEST_USAGE = `ecs-migrate request deploy --environment ENV (--image URI | --task-definition ARN) [--command "CMD ARGS"] [--rerun]
ecs-migrate request run-command --environment ENV --command "CMD ARGS" [--image URI | --task-definition ARN]
    [--source SOURCE] [--bus BUS] [--request-id ID] [--requested-by WHO] [--dry-run]
  Sends a deploy-request or run-command event to a deployed stack (EventBridge PutEvents, the CLI's AWS
  credentials and region). --source is the stack's EventSource (default ecs-migrate); --bus the stack's request bus
  (stack output RequestBusName; default ecs-migrate-ENV-requests). --dry-run prints the event instead of sending it.`;

export const REPLAY_USAGE = `ecs-migrate replay --archive NAME --from ISO-TIME --to ISO-TIME [--name REPLAY_NAME]
  Replays the stack's archived trigger events (ECR pushes, deploy-requests) of that window onto the bus they
  came from. Each replayed event carries "replay-name", so the controller runs it again as a deliberate rerun,
  even for an image it has already migrated. The archive is either stack output: PushArchiveName (pushes, default bus) or RequestArchiveName
  (deploy-requests, request bus).`;
