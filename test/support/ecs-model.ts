import {
  ConflictException,
  DescribeTaskDefinitionCommand,
  type ECSClientResolvedConfig,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ACCOUNT, REGION, TD } from './fixtures.js';

const CLUSTER = 'shop-staging';

/** The service's task definition: the base every migration revision is registered from. */
export const baseDefinition: TaskDefinition = {
  taskDefinitionArn: TD(42),
  family: 'shop-api',
  revision: 42,
  status: 'ACTIVE',
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'app', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api:v1.3.0`, essential: true }],
};

/**
 * The tests' own model of ECS, because moto ignores `clientToken`: a family of revisions, and RunTask answering a
 * reused token with the first answer when the parameters are the same, and ConflictException when they differ.
 */
export class EcsModel {
  readonly revisions = new Map<string, { taskDefinition: TaskDefinition; tags: Tag[] }>([
    [TD(42), { taskDefinition: baseDefinition, tags: [] }],
  ]);
  readonly tokens = new Map<string, { parameters: string; taskArn: string }>();
  readonly runs: RunTaskCommandInput[] = [];
  private tasks = 0;

  register(input: RegisterTaskDefinitionCommandInput): TaskDefinition {
    const revision = Math.max(...[...this.revisions.values()].map((r) => r.taskDefinition.revision ?? 0)) + 1;
    const taskDefinition = { ...input, tags: undefined, taskDefinitionArn: TD(revision), revision, status: 'ACTIVE' } as TaskDefinition;
    this.revisions.set(TD(revision), { taskDefinition, tags: input.tags ?? [] });
    return taskDefinition;
  }

  run(input: RunTaskCommandInput): string {
    this.runs.push(input);
    const { clientToken, ...rest } = input;
    const parameters = JSON.stringify(rest);
    const earlier = this.tokens.get(clientToken ?? '');
    if (earlier !== undefined) {
      if (earlier.parameters === parameters) return earlier.taskArn;
      throw new ConflictException({ $metadata: { httpStatusCode: 400 }, message: 'The specified clientToken is already in use' });
    }
    this.tasks += 1;
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${String(this.tasks).padStart(32, '0')}`;
    this.tokens.set(clientToken ?? '', { parameters, taskArn });
    return taskArn;
  }

  /** Newest first, as ListTaskDefinitions with sort DESC. */
  arns(): string[] {
    return [...this.revisions.values()]
      .sort((a, b) => (b.taskDefinition.revision ?? 0) - (a.taskDefinition.revision ?? 0))
      .map((r) => r.taskDefinition.taskDefinitionArn ?? '');
  }
}

/** Wires the model into a mocked ECS client: task definitions, revisions by family, RunTask with its clientToken rule. */
export function serveModel(ecs: AwsStub<ServiceInputTypes, ServiceOutputTypes, ECSClientResolvedConfig>, model: EcsModel): void {
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const found = model.revisions.get(input.taskDefinition) ?? model.revisions.get(model.arns()[0] ?? '');
    return { taskDefinition: found?.taskDefinition, tags: found?.tags };
  });
  ecs.on(ListTaskDefinitionsCommand).callsFake(() => ({ taskDefinitionArns: model.arns() }));
  ecs
    .on(RegisterTaskDefinitionCommand)
    .callsFake((input: RegisterTaskDefinitionCommandInput) => ({ taskDefinition: model.register(input), tags: input.tags }));
  ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => ({ tasks: [{ taskArn: model.run(input) }], failures: [] }));
}
