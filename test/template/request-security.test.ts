import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  type Json,
  type JsonObject,
  loadTemplate,
  REGION,
  repoRoot,
  resolver,
  resource,
  resourcesOfType,
  sampleParameters,
} from './template.js';

/**
 * Issue 10, defects 1, 3 and 6 in template.yaml: requests only on a bus whose policy admits only the listed
 * principals, pushes only from the registry's account, archives on the bus each kind of trigger arrives on,
 * StopTask only on tasks ecs-migrate tagged, and TLS only on every queue.
 */

const { cloudformation: cfn } = loadTemplate();
const props = (id: string, parameters = sampleParameters) => resolver(cfn, parameters).resolve<JsonObject>(resource(cfn, id).Properties);
const CI = `arn:aws:iam::${ACCOUNT}:role/shop-ci`;
const withPrincipals = { ...sampleParameters, RequestPrincipalArns: `${CI},arn:aws:iam::${ACCOUNT}:role/ops-*` };

describe('the request bus (defect 3)', () => {
  it('is a bus of its own, named for the environment, and an output', () => {
    expect(props('RequestBus')).toEqual({ Name: 'ecs-migrate-staging-requests' });
    expect(resolver(cfn).resolve(cfn.Outputs?.RequestBusName?.Value)).toBe('<RequestBus>');
  });

  it('denies PutEvents to every principal not listed in RequestPrincipalArns, principals of this account included', () => {
    expect(props('RequestBusPolicy', withPrincipals)).toEqual({
      EventBusName: '<RequestBus>',
      StatementId: 'OnlyRequestPrincipals',
      Statement: {
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: '<RequestBus.Arn>',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [CI, `arn:aws:iam::${ACCOUNT}:role/ops-*`] } },
      },
    });
  });

  it('admits nobody by default', () => {
    const statement = props('RequestBusPolicy').Statement as JsonObject;
    expect(statement.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [''] } });
  });

  it('is where the launcher takes deploy-requests, run-commands and operator requests from; nothing else listens there', () => {
    const rule = props('LaunchFunctionDeployRequest');
    expect(rule.EventBusName).toBe('<RequestBus>');
    expect((rule.EventPattern as JsonObject)['detail-type']).toEqual(['deploy-request', 'run-command', 'cancel-request', 'unlock-request']);
    const onRequestBus = resourcesOfType(cfn, 'AWS::Events::Rule').filter(([id]) => props(id).EventBusName === '<RequestBus>');
    expect(onRequestBus.map(([id]) => id)).toEqual(['LaunchFunctionDeployRequest']);
  });

  it('keeps outcome events off it: the functions put events only on EventBus', () => {
    const policy = resolver(cfn).resolve<{ Statement: JsonObject[] }>(resource(cfn, 'ControllerPolicy').Properties?.PolicyDocument);
    const put = policy.Statement.filter((s) => s.Action === 'events:PutEvents');
    expect(put.map((s) => s.Resource)).toEqual([`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`]);
  });
});

describe('pushes and the registry (defects 1 and 3)', () => {
  it('takes ECR pushes on the default bus from the registry account only', () => {
    const rule = props('LaunchFunctionEcrPush');
    expect(rule.EventBusName).toBe('default');
    expect((rule.EventPattern as JsonObject).account).toEqual([ACCOUNT]);
    const other = props('LaunchFunctionEcrPush', { ...sampleParameters, RegistryAccount: '210987654321' });
    expect((other.EventPattern as JsonObject).account).toEqual(['210987654321']);
  });

  it('passes REGISTRY built from the registry account and the stack region', () => {
    const variables = (fn: string, parameters = sampleParameters) =>
      (props(fn, parameters).Environment as { Variables: Record<string, string> }).Variables;
    for (const fn of ['LaunchFunction', 'WatchFunction']) {
      expect(variables(fn).REGISTRY).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`);
      expect(variables(fn, { ...sampleParameters, RegistryAccount: '210987654321' }).REGISTRY).toBe(
        `210987654321.dkr.ecr.${REGION}.amazonaws.com`,
      );
      expect(variables(fn, { ...sampleParameters, RedactPatterns: '["shop_[a-z]+"]' }).REDACT_PATTERNS).toBe('["shop_[a-z]+"]');
    }
  });

  it('archives pushes on the default bus and deploy-requests on the request bus (an archive replays onto its own bus)', () => {
    const pushes = props('PushArchive');
    expect(pushes.SourceArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`);
    expect(pushes.EventPattern).toEqual(props('LaunchFunctionEcrPush').EventPattern);
    const requests = props('RequestArchive');
    expect(requests.SourceArn).toBe('<RequestBus.Arn>');
    expect(requests.EventPattern).toEqual({
      source: ['ecs-migrate'],
      'detail-type': ['deploy-request'],
      account: [ACCOUNT],
      detail: { environment: ['staging'] },
    });
    const outputs = resolver(cfn).resolve<Record<string, { Value: Json }>>(cfn.Outputs);
    expect([outputs.PushArchiveName?.Value, outputs.RequestArchiveName?.Value]).toEqual(['<PushArchive>', '<RequestArchive>']);
  });

  it("outputs the launcher's rule of each archive's bus, which `replay --stack` replays it to alone (FilterArns)", () => {
    const outputs = resolver(cfn).resolve<Record<string, { Value: Json }>>(cfn.Outputs);
    // The rules SAM generates from LaunchFunction's events EcrPush and DeployRequest.
    expect([outputs.PushRuleArn?.Value, outputs.RequestRuleArn?.Value]).toEqual([
      '<LaunchFunctionEcrPush.Arn>',
      '<LaunchFunctionDeployRequest.Arn>',
    ]);
    expect(resource(cfn, 'LaunchFunctionEcrPush').Type).toBe('AWS::Events::Rule');
    expect(resource(cfn, 'LaunchFunctionDeployRequest').Type).toBe('AWS::Events::Rule');
    // Each rule is on the bus its archive replays onto.
    expect(props('LaunchFunctionEcrPush').EventBusName).toBe('default');
    expect(props('LaunchFunctionDeployRequest').EventBusName).toBe('<RequestBus>');
  });
});

describe('docs/deploy.md: the identity policies of request senders', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
  interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
  }
  const statements = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => {
    try {
      const policy = JSON.parse(m[1] ?? '') as { Statement?: Statement[] };
      return policy.Statement ?? [];
    } catch {
      return [];
    }
  });
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const requestBusArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${String(props('RequestBus').Name)}`;

  it('grant PutEvents on the request bus only, where the CLI sends requests (the deploy --wait CI role included)', () => {
    const sends = statements.filter((s) => s.Effect === 'Allow' && list(s.Action).includes('events:PutEvents'));
    expect(sends.map((s) => s.Sid)).toContain('SendDeployRequests');
    for (const send of sends) expect(list(send.Resource), send.Sid).toEqual([requestBusArn]);
  });

  it('say the deploy --wait role must also be listed in RequestPrincipalArns', () => {
    const section = doc.slice(doc.indexOf('### CI that waits for the verdict'), doc.indexOf('### Following the outcome'));
    expect(section).toMatch(/RequestPrincipalArns/);
  });
});

describe('queues (defect 6)', () => {
  it('every queue refuses plain HTTP, the failed-invocation queue included', () => {
    const policies = resourcesOfType(cfn, 'AWS::SQS::QueuePolicy').map(([id]) => props(id));
    for (const [queue] of resourcesOfType(cfn, 'AWS::SQS::Queue')) {
      const policy = policies.find((p) => (p.Queues as Json[]).includes(`<${queue}>`));
      if (policy === undefined) throw new Error(`queue ${queue} has no queue policy`);
      const statements = (policy.PolicyDocument as { Statement: JsonObject[] }).Statement;
      expect(statements, queue).toContainEqual({
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: `<${queue}.Arn>`,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });
});
