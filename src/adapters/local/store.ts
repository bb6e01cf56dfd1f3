import { readdir } from 'node:fs/promises';
import type { Deployment } from '../../core/deployment.js';
import { type EnvironmentState, emptyEnvironment } from '../../core/state.js';
import { CommitConflictError } from '../../errors.js';
import type { LocalLayout } from '../../local/layout.js';
import type { CommitRequest, Store } from '../../ports.js';
import { readJson, writeJson } from './json-file.js';

/**
 * Deployments and the environment record as JSON files. Commits are checked against the versions on disk
 * and serialised within the process, which is all local mode needs (one controller process at a time).
 */
export class LocalStore implements Store {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly layout: LocalLayout) {}

  async loadEnvironment(environment: string): Promise<EnvironmentState> {
    return (await readJson<EnvironmentState>(this.layout.stateFile)) ?? emptyEnvironment(environment);
  }

  async loadDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    const found: Record<string, Deployment> = {};
    for (const id of ids) {
      const d = await readJson<Deployment>(this.layout.deploymentFile(id));
      if (d !== undefined) found[id] = d;
    }
    return found;
  }

  async loadEnvironmentWith(environment: string, ids: string[]) {
    return { env: await this.loadEnvironment(environment), deployments: await this.loadDeployments(ids) };
  }

  commit(request: CommitRequest): Promise<void> {
    const result = this.queue.then(() => this.commitNow(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async commitNow(request: CommitRequest): Promise<void> {
    if (request.env !== undefined) {
      const current = await this.loadEnvironment(request.env.state.environment);
      if (current.version !== request.env.expectedVersion) {
        throw new CommitConflictError(
          `environment ${current.environment} is at version ${current.version}, expected ${request.env.expectedVersion}`,
        );
      }
    }
    for (const { deployment, expectedRevision } of request.deployments) {
      const current = await readJson<Deployment>(this.layout.deploymentFile(deployment.id));
      if ((current?.revision ?? 0) !== expectedRevision) {
        throw new CommitConflictError(`deployment ${deployment.id} is at revision ${current?.revision ?? 0}, expected ${expectedRevision}`);
      }
    }
    for (const { deployment } of request.deployments) await writeJson(this.layout.deploymentFile(deployment.id), deployment);
    if (request.env !== undefined) await writeJson(this.layout.stateFile, request.env.state);
  }

  async listDeployments(_environment: string, limit: number): Promise<Deployment[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.deploymentsDir);
    } catch {
      return [];
    }
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .sort()
      .reverse()
      .slice(0, limit);
    const found = await this.loadDeployments(ids);
    return ids.map((id) => found[id]).filter((d): d is Deployment => d !== undefined);
  }
}
