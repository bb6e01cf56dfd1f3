import { DescribeImagesCommand, type DescribeImagesCommandOutput, ECRClient } from '@aws-sdk/client-ecr';
import type { Config } from '../../core/config.js';
import { ImageNotFoundError } from '../../errors.js';
import type { ImageId, Registry, ResolvedImage } from '../../ports.js';
import { awsErrorInfo, awsFailure } from './aws-error.js';
import type { AwsClients } from './index.js';

const NOT_FOUND = new Set(['ImageNotFoundException', 'RepositoryNotFoundException']);

/**
 * The ECR registry named by REGISTRY: a tag or digest → the digest and its push time (DescribeImages, which the stack grants on
 * REPOSITORY only). The client is made on first use, so a function that never resolves a tag never builds it. (A
 * dynamic import of the SDK module would defer its evaluation too, but defeats tree-shaking: +58 KiB per bundle.)
 */
export class EcrRegistry implements Registry {
  private client: ECRClient | undefined;

  constructor(private readonly options: { registry: string; client?: ECRClient }) {
    this.client = options.client;
  }

  async describeImage(repository: string, id: ImageId): Promise<ResolvedImage> {
    const registryId = ecrRegistryId(this.options.registry);
    const named = 'tag' in id ? `${this.options.registry}/${repository}:${id.tag}` : `${this.options.registry}/${repository}@${id.digest}`;
    this.client ??= new ECRClient({});
    let out: DescribeImagesCommandOutput;
    try {
      out = await this.client.send(
        new DescribeImagesCommand({
          repositoryName: repository,
          imageIds: ['tag' in id ? { imageTag: id.tag } : { imageDigest: id.digest }],
          ...(registryId !== undefined ? { registryId } : {}),
        }),
      );
    } catch (error) {
      if (NOT_FOUND.has(awsErrorInfo(error).name)) {
        throw new ImageNotFoundError(`${named} does not exist (${awsErrorInfo(error).name}): push it first`, { cause: error });
      }
      throw awsFailure(error, 'ecr:DescribeImages', `check REGISTRY (${this.options.registry}) and REPOSITORY (${repository})`);
    }
    const image = out.imageDetails?.[0];
    if (image?.imageDigest === undefined) throw new ImageNotFoundError(`${named} has no digest in ECR`);
    return { digest: image.imageDigest, pushedAt: (image.imagePushedAt ?? new Date(0)).toISOString() };
  }
}

/** The account id of an ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`), or undefined for another registry. */
export function ecrRegistryId(registry: string): string | undefined {
  return /^(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/.exec(registry)?.[1];
}

/** The launcher's `Registry` port: ECR at REGISTRY, on `clients.ecr` when given (else made on first use). */
export function ecrRegistry(config: Config, clients: AwsClients): Registry {
  return new EcrRegistry({ registry: config.REGISTRY, ...(clients.ecr !== undefined ? { client: clients.ecr } : {}) });
}
