import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/core/parse.js';
import { translateTemplate } from './sam-translate.js';
import { type Json, resolver, sampleParameters } from './template.js';

describe('the registry the functions take images of and the one the CLI names (RepositoryUri)', () => {
  const { cloudformation: cfn } = translateTemplate();

  it('are the same host in the aws-cn partition, where ECR is <account>.dkr.ecr.<region>.amazonaws.com.cn', () => {
    const pseudo = {
      'AWS::Partition': 'aws-cn',
      'AWS::Region': 'cn-north-1',
      'AWS::URLSuffix': 'amazonaws.com.cn',
    } as Parameters<typeof resolver>[2];
    const { resolve } = resolver(cfn, sampleParameters, pseudo);
    const fn = cfn.Resources.LaunchFunction?.Properties as { Environment: { Variables: Record<string, Json> } };
    const registry = resolve<string>(fn.Environment.Variables.REGISTRY);
    const repositoryUri = resolve<string>(cfn.Outputs?.RepositoryUri?.Value);
    expect(repositoryUri).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/shop-api');
    expect(registry, 'REGISTRY: the host pushes are run from and requests must name').toBe(
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
    );
    // `deploy --stack … --tag v1` sends RepositoryUri:v1; the launcher must not refuse it for its registry.
    const parsed = parseInput(
      {
        version: '0',
        id: 'x',
        source: 'ecs-migrate',
        'detail-type': 'deploy-request',
        account: '123456789012',
        region: 'cn-north-1',
        time: '2026-11-25T10:00:00Z',
        resources: [],
        detail: { environment: 'staging', image: `${repositoryUri}:v1`, requestId: 'r-1', requestedBy: 'ci' },
      },
      { requestSource: 'ecs-migrate', registry },
    );
    expect(parsed.kind, JSON.stringify(parsed)).toBe('deploy-request');
  });
});
