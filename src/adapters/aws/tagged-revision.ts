import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';

/** How many of the family's newest revisions a resumed launch looks through for the one its deployment registered. */
export const REVISION_LOOKBACK = 10;

/** ECS's limit of user tags on a task definition (`aws:` tags do not count and cannot be set). */
const TAGS_MAX = 50;

/**
 * The tag the functions' StopTask is scoped by (template.yaml StopMigrationTasks): on the migration tasks only, through
 * RunTask's tags. Never on a revision: the service runs the migrated revision next, and a service that propagates its
 * task definition's tags (`propagateTags: TASK_DEFINITION`) would tag its own tasks with it, and the functions could
 * stop them.
 */
export const ENVIRONMENT_TAG = 'ecs-migrate:environment';

/**
 * The tags of a revision registered from `base`: ecs-migrate's own first (`own`: the deployment tag a resumed launch
 * finds its revision by, which must never be the one cut), then the base's, up to ECS's limit of 50; never
 * `ENVIRONMENT_TAG`, also when a base registered before carries it.
 */
export function revisionTags(base: readonly Tag[], own: Record<string, string>): Tag[] {
  // `aws:` tags cannot be set, and ENVIRONMENT_TAG scopes StopTask to migration tasks.
  const kept = (key: string | undefined): key is string =>
    key !== undefined && key !== '' && key !== ENVIRONMENT_TAG && !key.startsWith('aws:');
  return [
    ...Object.entries(own)
      .filter(([key]) => kept(key))
      .map(([key, value]): Tag => ({ key, value })),
    ...base.flatMap(({ key, value }) => (kept(key) && !(key in own) ? [{ key, value: value ?? '' }] : [])),
  ].slice(0, TAGS_MAX);
}

/**
 * RegisterTaskDefinition's input for a new revision of `definition` (a described one) with `containers` and `tags`:
 * every field it can register kept, without those ECS sets itself (ARN, revision, status, registration times…).
 */
export function registrationOf(
  definition: TaskDefinition,
  containers: ContainerDefinition[],
  tags: Tag[],
): RegisterTaskDefinitionCommandInput {
  const {
    taskDefinitionArn: _arn,
    revision: _revision,
    status: _status,
    requiresAttributes: _requiresAttributes,
    compatibilities: _compatibilities,
    registeredAt: _registeredAt,
    registeredBy: _registeredBy,
    deregisteredAt: _deregisteredAt,
    deleteRequestedAt: _deleteRequestedAt,
    ...writable
  } = definition;
  return { ...writable, family: definition.family, containerDefinitions: containers, tags };
}

export interface TaggedRevision {
  taskDefinitionArn: string;
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

/**
 * The revision of `family` that an earlier attempt of a launch registered: tagged `tagKey` = `tagValue`, with
 * `image` on `container`, among the family's `REVISION_LOOKBACK` newest active revisions (newest first), other than
 * those in `skip` (two overlapping launches of one deployment may each have registered one).
 *
 * Not only the latest: a revision registered by anyone else in between (CI, another deployment) would otherwise
 * hide ours, the retry would register a new one and send RunTask other parameters under the same clientToken,
 * which ECS refuses (ConflictException) while the first attempt's task may run. Errors are the caller's to classify.
 */
export async function findTaggedRevision(
  client: ECSClient,
  family: string,
  tag: { key: string; value: string },
  container: string,
  image: string,
  skip: ReadonlySet<string> = new Set(),
): Promise<TaggedRevision | undefined> {
  const listed = await client.send(
    new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: REVISION_LOOKBACK }),
  );
  // `familyPrefix` names the full family; the check keeps it so should ECS ever match by prefix.
  const arns = (listed.taskDefinitionArns ?? [])
    .filter((arn) => familyOf(arn) === family)
    .slice(0, REVISION_LOOKBACK)
    .filter((arn) => !skip.has(arn));
  for (const arn of arns) {
    const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    const definition = described.taskDefinition;
    const tags = described.tags ?? [];
    const mine = tags.some((t) => t.key === tag.key && t.value === tag.value);
    const runs = definition?.containerDefinitions?.find((c) => c.name === container)?.image;
    if (mine && definition !== undefined && runs === image) return { taskDefinitionArn: arn, taskDefinition: definition, tags };
  }
  return undefined;
}

/** `arn:aws:ecs:…:task-definition/shop-api:43` → `shop-api`. */
export function familyOf(arn: string): string | undefined {
  return /:task-definition\/([^:]+):\d+$/.exec(arn)?.[1];
}
