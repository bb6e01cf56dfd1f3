import type { SeenRequest } from './counting-proxy.js';

/** One AWS API call, identified from the HTTP request alone. */
export interface AwsCall {
  role: string;
  /** `service:Operation`, e.g. `dynamodb:TransactWriteItems`. */
  api: string;
  /** What the request was about (table, items, event types…), from its body. */
  detail: string;
  /** Why the controller makes it (see PURPOSES), or that the catalogue does not know it. */
  purpose: string;
  /** Powertools idempotency records are counted apart from the controller's own calls. */
  idempotency: boolean;
  status: number;
  /**
   * A `TransactWriteItems` only: the detail types of the events its records store in an `outbox` attribute, as its
   * body shows them (an empty list: an outbox with none listed); absent when no record of it writes an outbox.
   */
  outbox?: string[];
}

export interface Tables {
  deployments: string;
  idempotency: string;
}

type Json = Record<string, unknown>;

/** The service from the SigV4 credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function serviceOf(r: SeenRequest): string {
  const auth = String(r.headers.authorization ?? '');
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
}

/** The operation: X-Amz-Target (JSON protocols), the Smithy RPC v2 path, or the REST route (Scheduler). */
function operationOf(r: SeenRequest): string {
  const target = r.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const rpc = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(r.path);
  if (rpc?.[1] !== undefined) return rpc[1];
  const path = r.path.split('?')[0] ?? '';
  if (path.startsWith('/schedules/'))
    return ({ POST: 'CreateSchedule', GET: 'GetSchedule', PUT: 'UpdateSchedule', DELETE: 'DeleteSchedule' } as Json)[r.method] as string;
  if (path.startsWith('/schedule-groups/')) return `${r.method} schedule group`;
  return `${r.method} ${path}`;
}

function bodyOf(r: SeenRequest): Json {
  try {
    const parsed: unknown = JSON.parse(r.body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * What the records of a `TransactWriteItems` store in an `outbox` attribute (src/adapters/aws/store.ts writes each
 * record whole with a Put; an Update that SETs `outbox` counts too): the detail types of its events, or undefined
 * when no record of the transaction writes one.
 */
function outboxOf(body: Json): string[] | undefined {
  let found: string[] | undefined;
  for (const item of list(body.TransactItems)) {
    const put = (item.Put ?? {}) as Json;
    const update = (item.Update ?? {}) as Json;
    const stored = ((put.Item ?? {}) as Json).outbox as { L?: unknown } | undefined;
    const set = /\bSET\b[\s\S]*\boutbox\s*=/i.test(str(update.UpdateExpression));
    if (stored === undefined && !set) continue;
    found ??= [];
    const events = list(stored?.L).map((e) => str(((e.M as Json | undefined)?.detailType as { S?: unknown } | undefined)?.S));
    found.push(...events.filter(Boolean));
  }
  return found;
}

/** The sort key of a DynamoDB key, shortened to its kind (`DEP#…`, `STATE`, …), so ids do not vary the report. */
function keyKind(key: unknown): string {
  const k = (key ?? {}) as Record<string, { S?: string }>;
  const sk = k.sk?.S ?? k.id?.S ?? '';
  return sk.replace(/#.*/, '#…');
}

function tablesIn(body: Json): string[] {
  const names = new Set<string>();
  if (typeof body.TableName === 'string') names.add(body.TableName);
  for (const table of Object.keys((body.RequestItems ?? {}) as Json)) names.add(table);
  for (const item of list(body.TransactItems))
    for (const op of Object.values(item)) {
      const table = (op as Json | undefined)?.TableName;
      if (typeof table === 'string') names.add(table);
    }
  return [...names];
}

/** A few words on what a call was about, so repeated APIs can be told apart in the report. */
function detailOf(operation: string, body: Json, tables: Tables): string {
  const tableName = (name: string) => (name === tables.deployments ? 'deployments' : name === tables.idempotency ? 'idempotency' : name);
  switch (operation) {
    case 'TransactWriteItems':
      return list(body.TransactItems)
        .map((item) => {
          const [kind, op] = Object.entries(item)[0] ?? ['?', {}];
          const o = op as Json;
          return `${kind} ${keyKind(o.Key ?? o.Item)}`;
        })
        .join(', ');
    case 'BatchGetItem':
      return Object.entries((body.RequestItems ?? {}) as Json)
        .map(
          ([table, req]) =>
            `${tableName(table)}: ${list((req as Json).Keys)
              .map(keyKind)
              .join(', ')}`,
        )
        .join('; ');
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'Query':
      return tableName(str(body.TableName));
    case 'PutEvents':
      return list(body.Entries)
        .map((e) => str(e.DetailType))
        .join(', ');
    case 'DescribeTaskDefinition':
      return `${str(body.taskDefinition).split('/').pop()}${Array.isArray(body.include) ? ` include ${body.include.join(',')}` : ''}`;
    case 'DescribeServices':
      return list(body.services as unknown as Json[]).join(', ');
    default:
      return '';
  }
}

/**
 * Why each call is made, by role and API (`*` for either role). A catalogue, not a measurement: a call it does
 * not list is reported as "not catalogued" so a new call shows up in BENCHMARKS.md until someone says why.
 */
const PURPOSES: Record<string, string> = {
  'idempotency:PutItem': 'Powertools idempotency: claim the event (in progress)',
  'idempotency:UpdateItem': 'Powertools idempotency: store the result for duplicates',
  'idempotency:GetItem': 'Powertools idempotency: read an earlier result',
  'idempotency:DeleteItem': 'Powertools idempotency: release the claim after a failure',
  '*:dynamodb:BatchGetItem': 'read the environment record and the deployment(s) the event concerns',
  '*:dynamodb:GetItem': 'read a record of the deployments table',
  '*:dynamodb:Query': 'list deployments',
  '*:dynamodb:TransactWriteItems':
    'commit: the records under "about" (environment STATE, deployments DEP#…), in one transaction, each conditional on its version',
  '*:dynamodb:PutItem': 'write a record of the deployments table',
  '*:dynamodb:UpdateItem': 'update a record of the deployments table (e.g. clear an outbox once its events are out)',
  'launcher:ecr:DescribeImages':
    "date the pushed image by ECR's push time (an image the environment has not seen: the event's time is its tag's)",
  'launcher:ecs:DescribeServices': 'read the service: its task definition, network and capacity settings',
  'watcher:ecs:DescribeServices': 'read the service: its current revision before a rollout, and the network of a launch it may resume',
  'launcher:ecs:DescribeTaskDefinition': "read the service's task definition, the base of the migration's revision",
  'watcher:ecs:DescribeTaskDefinition': "log tail: find the task's awslogs group and stream prefix",
  '*:ecs:RegisterTaskDefinition': 'register the migration revision (the pushed image pinned by digest)',
  '*:ecs:RunTask': 'start the migration task',
  '*:ecs:DescribeTasks': "read the task's containers and exit codes",
  '*:ecs:UpdateService': 'roll the service out to the migrated revision',
  '*:ecs:StopTask': 'stop the migration task',
  '*:scheduler:CreateSchedule': 'one-shot timeout check for the migration',
  '*:scheduler:DeleteSchedule': 'cancel the timeout check',
  '*:events:PutEvents': 'publish the outcome events',
  '*:logs:GetLogEvents': 'log tail: the last lines of the migration',
  '*:logs:FilterLogEvents': 'log tail: the last lines of the migration',
};

/**
 * The function that sends the requests of a phase of bench/aws-calls.ts: the launcher's (its import, the push), or the
 * watcher's (its import, the task's RUNNING and STOPPED events, the rollout's IN_PROGRESS and completed events, the
 * timeout check); any other phase is its own.
 */
export function handlerOf(phase: string): string {
  if (phase === 'launcher' || phase.startsWith('launcher-')) return 'launcher';
  if (phase === 'watcher' || phase.startsWith('watcher-') || ['in-progress', 'completed', 'timeout-check'].includes(phase))
    return 'watcher';
  return phase;
}

export function identify(r: SeenRequest, tables: Tables): AwsCall {
  const service = serviceOf(r);
  const operation = operationOf(r);
  const body = bodyOf(r);
  const idempotency = service === 'dynamodb' && tablesIn(body).includes(tables.idempotency);
  const api = `${service}:${operation}`;
  const catalogued = idempotency
    ? (PURPOSES[`idempotency:${operation}`] ?? 'Powertools idempotency')
    : (PURPOSES[`${handlerOf(r.phase)}:${api}`] ?? PURPOSES[`*:${api}`] ?? 'not catalogued in bench/lib/aws-requests.ts');
  // What the request itself says: whether the schedule it creates deletes itself once it has run.
  const purpose =
    api === 'scheduler:CreateSchedule'
      ? `${catalogued} (${body.ActionAfterCompletion === 'DELETE' ? 'deletes itself after it runs: ActionAfterCompletion DELETE' : `kept after it runs: ActionAfterCompletion ${str(body.ActionAfterCompletion) || 'absent'}`})`
      : catalogued;
  const outbox = api === 'dynamodb:TransactWriteItems' && !idempotency ? outboxOf(body) : undefined;
  return {
    role: r.phase,
    api,
    detail: detailOf(operation, body, tables),
    purpose,
    idempotency,
    status: r.status,
    ...(outbox !== undefined ? { outbox } : {}),
  };
}

/** What a commit stores in an outbox, as its body shows it (`AwsCall.outbox`). */
function storedText(commit: AwsCall): string {
  if (commit.outbox === undefined) return 'its request stores no outbox';
  return commit.outbox.length > 0
    ? `its request stores in an outbox, to publish after it: ${commit.outbox.join(', ')}`
    : 'its request stores an outbox with no event listed';
}

/**
 * The calls of one sequence (a table of BENCHMARKS.md) with each PutEvents said as the order and the requests show
 * it, by what its handler sends next: a commit (TransactWriteItems) means the events went out just before the commit
 * that records them, and what that commit stores in an outbox is read from its body (`AwsCall.outbox`); a write that
 * clears an outbox (UpdateItem of the deployments table) means a commit before them stored them in its outbox.
 */
export function inOrder(calls: AwsCall[]): AwsCall[] {
  return calls.map((c, i) => {
    if (c.api !== 'events:PutEvents') return c;
    const next = calls
      .slice(i + 1)
      .find((n) => n.role === c.role && !n.idempotency && (n.api === 'dynamodb:TransactWriteItems' || n.api === 'dynamodb:UpdateItem'));
    if (next?.api === 'dynamodb:TransactWriteItems')
      return { ...c, purpose: `${c.purpose}, just before the commit that records them (${storedText(next)})` };
    if (next?.api === 'dynamodb:UpdateItem')
      return { ...c, purpose: `${c.purpose} a commit before it stored in its outbox (cleared next)` };
    return c;
  });
}
