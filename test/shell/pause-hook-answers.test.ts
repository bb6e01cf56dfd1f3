import { ClientException, ContinueServiceDeploymentCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { answerHook as awsAnswerHook } from '../../src/adapters/aws/ecs-deployments.js';
import type { Ended, Running, Waiter } from '../../src/core/deployment.js';
import type { HookAnswer, ServiceDeploymentInfo, ServiceRevisionInfo } from '../../src/core/service-deployment.js';
import type { ControllerState } from '../../src/core/state.js';
import type { Ecs } from '../../src/ports.js';
import {
  activeState,
  config,
  ctx,
  DIGEST,
  given,
  idleState,
  NOW,
  runningDeployment,
  SAMPLE_DEPLOYMENT,
  sample,
  TD,
  withEvent,
} from '../support/fixtures.js';
import { FaultPlan, modelPorts } from '../support/model-ports.js';
import { pauseHookWorld } from '../support/pause-hook-world.js';
import { controllerOn, joinedBeforeFirstCommit } from '../support/race.js';

/**
 * pause-hook mode under duplicated, reordered and concurrent events and refused answers: each paused deployment is
 * answered once, a hook of another cluster never acts, and nothing leaves the environment blocked.
 */

const hookMode = () => ctx({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
const APP_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api@${DIGEST}`;

describe('a hook event of another cluster', () => {
  // The stack gates shop-api in cluster shop-staging (CLUSTER). Another cluster of the account (shop-production)
  // has a service of the same name, whose owner deploys and pauses at the same stage.
  const OTHER_CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-production';
  const OTHER_SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-production/shop-api';
  const OTHER_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-production/shop-api/PRODSD';
  const OTHER_REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-production/shop-api/1';
  const HOOK = 'ecs-pause-7f3e9a1c2b4d4e5f8a6b7c8d9e0f1a2b';

  const deployment: ServiceDeploymentInfo = {
    serviceDeploymentArn: OTHER_SD,
    serviceArn: OTHER_SERVICE,
    clusterArn: OTHER_CLUSTER,
    status: 'IN_PROGRESS',
    lifecycleStage: 'PRE_SCALE_UP',
    targetServiceRevisionArn: OTHER_REV,
    sourceServiceRevisionArns: [],
    hooks: [{ hookId: HOOK, targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: '2026-11-26T09:20:02Z' }],
  };
  const revision: ServiceRevisionInfo = {
    serviceRevisionArn: OTHER_REV,
    serviceArn: OTHER_SERVICE,
    clusterArn: OTHER_CLUSTER,
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api-production:7',
    containerImages: [{ containerName: 'app', image: APP_IMAGE, imageDigest: DIGEST }],
  };

  it('is never acted on: no migration is launched and no hook of that cluster is answered', () => {
    const state: ControllerState = { ...idleState(), hook: { deployment, revision } };
    const event = withEvent(sample('hook-awaiting-action'), {
      top: { resources: [OTHER_SD] },
      detail: { clusterArn: OTHER_CLUSTER, serviceArn: OTHER_SERVICE, serviceDeploymentArn: OTHER_SD },
    });
    // decideHookState compared only the last segment of serviceArn with SERVICES, never clusterArn: the other
    // cluster's revision was run as a migration here and its deployment answered.
    const d = given(state, hookMode()).when(event).then({});
    expect(d.decision).toBe('ignore');
    expect(d.actions).toEqual([]);
  });
});

describe('a paused deployment that joins while the watcher answers ROLLBACK to the others', () => {
  const sd = (service: string, id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/${service}/${id}`;
  const api: Waiter = { service: 'shop-api', serviceDeploymentArn: sd('shop-api', 'AAAA'), hookId: 'ecs-pause-api' };
  const worker: Waiter = { service: 'shop-worker', serviceDeploymentArn: sd('shop-worker', 'BBBB'), hookId: 'ecs-pause-worker' };

  it('answers each paused deployment once (the success path does: continueJoined), and records the ROLLBACK it gave', async () => {
    const world = modelPorts(new FaultPlan());
    const cfg = config({ ROLLOUT_MODE: 'pause-hook', SERVICE: undefined, SERVICES: 'shop-api,shop-worker' });
    const running: Running = runningDeployment({
      work: { type: 'revision', taskDefinitionArn: TD(43), image: APP_IMAGE, launch: {} },
      waiters: [api],
    });
    await world.store.commit({
      env: {
        state: { environment: 'staging', version: 1, active: { deploymentId: running.id, lockExpiresAt: '2026-11-25T10:30:00.000Z' } },
        expectedVersion: 0,
      },
      deployments: [{ deployment: running, expectedRevision: 0 }],
    });
    // ECS as documented: an answer is taken only while the hook is AWAITING_ACTION (a second one is refused).
    const answers: HookAnswer[] = [];
    const answered = new Set<string>();
    const watcher = controllerOn(world.ports, cfg, NOW, {
      ecs: {
        answerHook: async (answer) => {
          answers.push(answer);
          if (answered.has(answer.hookId)) {
            return {
              ok: false,
              cause: 'refused',
              reason: `ECS refused ${answer.action} for hook ${answer.hookId}: InvalidParameterException: FAILED`,
            };
          }
          answered.add(answer.hookId);
          return { ok: true };
        },
      },
      // The launcher commits first: shop-worker's owner deployment of the same digest paused and joined.
      store: joinedBeforeFirstCommit(world.store, world.ports, [api, worker]),
    });

    await watcher.handle(sample('task-stopped-exit-1'));

    // Each paused deployment is answered once. The halt decided again after the lost race answered ROLLBACK to every
    // waiter again, shop-api's a second time (the shell now remembers this invocation's answers: DoneBefore).
    expect(answers.map((a) => [a.hookId, a.action])).toEqual([
      [api.hookId, 'ROLLBACK'],
      [worker.hookId, 'ROLLBACK'],
    ]);
    // What ECS did to shop-api's deployment is recorded: it was rolled back by us, not "moved on" because our own
    // second answer was refused.
    const [ended] = world.store.all() as Ended[];
    expect(ended).toMatchObject({ id: SAMPLE_DEPLOYMENT, status: 'ended', outcome: 'failed' });
    expect(ended?.services?.find((s) => s.service === 'shop-api')).toMatchObject({ result: 'rolled-back' });
  });
});

describe('ECS refuses one answer with an error other than the two the adapter expects', () => {
  // ECS's error for an answer to a hook that is no longer AWAITING_ACTION is undocumented (docs notes: "Late
  // answers"); the adapter maps only InvalidParameterException and ServiceDeploymentNotFoundException. Any other
  // client error (ECS's generic ClientException here) is thrown as a PermanentAwsError by answerHook.
  const ecsClient = new ECSClient({ region: 'eu-west-1' });
  const mocked = mockClient(ecsClient);
  mocked
    .on(ContinueServiceDeploymentCommand)
    .rejects(new ClientException({ $metadata: { httpStatusCode: 400 }, message: 'The service deployment is not IN_PROGRESS.' }));

  /** Two services paused for image 1; shop-api's deployment is then rolled back by a person, its hook FAILED. */
  async function setUp() {
    const w = pauseHookWorld();
    const { owners, events, clock } = w;
    const ecs: Partial<Ecs> = {
      ...w.ecs,
      // ECS as the adapter reaches it: an answer to a hook that is not AWAITING_ACTION fails with ClientException.
      answerHook: (answer) => {
        const o = owners.find(answer.serviceDeploymentArn);
        return o !== undefined && o.hook !== 'AWAITING_ACTION' ? awsAnswerHook(ecsClient, answer) : owners.answerHook(answer, clock.now);
      },
    };
    const at = (minutes: number) => new Date(Date.parse('2026-11-25T09:00:00Z') + minutes * 60_000).toISOString();
    const api = owners.pause('shop-api', 1, clock.now, 240);
    await controllerOn(w.world.ports, w.cfg, at(1), { ecs }).handle(events.at(-1) as Record<string, unknown>);
    const worker = owners.pause('shop-worker', 1, clock.now, 240);
    await controllerOn(w.world.ports, w.cfg, at(2), { ecs }).handle(events.at(-1) as Record<string, unknown>);
    expect(w.world.store.all()[0]?.waiters?.map((x) => x.service)).toEqual(['shop-api', 'shop-worker']);
    // An operator rolls shop-api's deployment back by hand while the migration runs.
    await owners.answerHook({ serviceDeploymentArn: api.serviceDeploymentArn, hookId: api.hookId, action: 'ROLLBACK' }, clock.now);
    expect(api.hook).toBe('FAILED');
    const task = w.world.ecs.tasks.at(-1);
    if (task === undefined) throw new Error('expected the migration task');
    w.world.ecs.start(task);
    w.world.ecs.stop(task, 0);
    return { ...w, ecs, api, worker, at, stopped: w.world.ecs.emitted.at(-1) as Record<string, unknown> };
  }

  it('still answers CONTINUE to the other paused deployment on exit 0 and ends the deployment', async () => {
    const { world, cfg, ecs, worker, at, stopped } = await setUp();
    // The throw at shop-api's answer aborted the loop (shop-worker never answered) and the whole decision (the end
    // never committed); every retry of the event did the same. It is now recorded as failed.
    await expect(controllerOn(world.ports, cfg, at(10), { ecs }).handle(stopped)).resolves.toBeDefined();
    expect(worker.hook).toBe('SUCCEEDED');
    expect(world.store.all()[0]).toMatchObject({ status: 'ended', outcome: 'succeeded' });
    expect(world.store.environment()?.active).toBeUndefined();
  });

  it('never leaves the environment blocked: once the lock expired, the next paused deployment takes it over', async () => {
    const { world, cfg, ecs, owners, events, clock, at, stopped } = await setUp();
    await controllerOn(world.ports, cfg, at(10), { ecs })
      .handle(stopped)
      .catch(() => undefined);
    // 80 minutes later (past TIMEOUT_MINUTES + 15), shop-api's owner deploys image 2. Its hook event takes the
    // expired lock over, which answers ROLLBACK to the lost deployment's waiters first: shop-api's threw again, so
    // the takeover was never committed and no migration ever ran in this environment again.
    clock.now = Date.parse(at(80));
    owners.pause('shop-api', 2, clock.now, 240);
    await expect(controllerOn(world.ports, cfg, at(80), { ecs }).handle(events.at(-1) as Record<string, unknown>)).resolves.toBeDefined();
    const [lost, next] = world.store.all();
    expect(lost).toMatchObject({ status: 'ended' });
    expect(next?.status === 'launching' || next?.status === 'running').toBe(true);
  });
});

describe('a paused deployment of an image whose migration holds an expired lock', () => {
  const SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-api/NCWGC2ZR-taawPAYrIaU5';
  const WORKER_SD = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-staging/shop-worker/WORKERSD';
  const WORKER_SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/shop-staging/shop-worker';
  const WORKER_REV = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/shop-staging/shop-worker/1';
  const api: Waiter = { service: 'shop-api', serviceDeploymentArn: SD, hookId: 'ecs-pause-api', expiresAt: '2026-11-26T09:15:00Z' };

  it('is answered by something: it does not join a lost migration whose timeout check never came', () => {
    // The migration of APP_IMAGE launched at 09:15:01 (timeout 10:15:01, lock until 10:30). Its timeout check was
    // lost (the watcher's invocations for it failed until the schedule's retries ran out), so nothing will judge it.
    const lost: Running = runningDeployment({
      work: { type: 'revision', taskDefinitionArn: TD(43), image: APP_IMAGE, launch: {} },
      waiters: [api],
    });
    // 10:40: shop-worker's owner deploys the same digest and pauses (hook expires in a day).
    const now = '2026-11-25T10:40:00.000Z';
    const state: ControllerState = {
      ...activeState(lost),
      hook: {
        deployment: {
          serviceDeploymentArn: WORKER_SD,
          serviceArn: WORKER_SERVICE,
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
          status: 'IN_PROGRESS',
          lifecycleStage: 'PRE_SCALE_UP',
          targetServiceRevisionArn: WORKER_REV,
          sourceServiceRevisionArns: [],
          hooks: [{ hookId: 'ecs-pause-worker', status: 'AWAITING_ACTION', expiresAt: '2026-11-26T10:39:00Z' }],
        },
        revision: {
          serviceRevisionArn: WORKER_REV,
          serviceArn: WORKER_SERVICE,
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop-staging',
          taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-worker:9',
          containerImages: [{ containerName: 'app', image: APP_IMAGE, imageDigest: DIGEST }],
        },
      },
    };
    const event = withEvent(sample('hook-awaiting-action'), {
      top: { id: 'worker-hook', time: '2026-11-25T10:39:00Z', resources: [WORKER_SD] },
      detail: {
        hookId: 'ecs-pause-worker',
        serviceArn: WORKER_SERVICE,
        serviceDeploymentArn: WORKER_SD,
        expiresAt: '2026-11-26T10:39:00Z',
      },
    });
    const d = given(state, { ...hookMode(), now })
      .when(event)
      .then({});
    // joinOrCreate joined any open migration of the image, even one whose lock expired, and earlierCheck scheduled
    // nothing (the hook expires after the deadline that passed already): the paused deployment waited for a migration
    // nothing watches, until ECS's own timeout. As a push in update-service mode, it now takes the expired lock over.
    const answersIt = d.actions.some(
      (a) =>
        a.type === 'launchTask' ||
        a.type === 'haltRollout' ||
        a.type === 'continueRollout' ||
        (a.type === 'scheduleTimeout' && Date.parse(a.at) <= Date.parse(now)),
    );
    expect(answersIt).toBe(true);
  });
});
