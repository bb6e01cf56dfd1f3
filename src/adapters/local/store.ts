import { readdir } from 'node:fs/promises';
import type { OutboxRef } from '../../core/actions.js';
import type { Deployment } from '../../core/deployment.js';
import { decodeDeployment, decodeEnvironment, encodeDeployment, encodeEnvironment, type RecordProblem } from '../../core/records.js';
import { type EnvironmentState, emptyEnvironment } from '../../core/state.js';
import { CommitConflictError, InvalidRecordError } from '../../errors.js';
import type { LocalLayout } from '../../local/layout.js';
import type { CommitRequest, DeploymentHistory } from '../../ports.js';
import { readJson, writeJson } from './json-file.js';

/**
 * Deployments and the environment record as JSON files. Commits are checked against the versions on disk
 * and serialised within the process, which is all local mode needs (one controller process at a time).
 */
export class LocalStore implements DeploymentHistory {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly layout: LocalLayout,
    /** Told of each record `listDeployments` skips because it does not validate. */
    private readonly onInvalid?: (problem: RecordProblem) => void,
  ) {}

  async loadEnvironment(environment: string): Promise<EnvironmentState> {
    const item = await readJson<Record<string, unknown>>(this.layout.stateFile);
    if (item === undefined) return emptyEnvironment(environment);
    const read = decodeEnvironment(item);
    if (!read.ok) throw new InvalidRecordError(this.layout.stateFile, read.problem);
    return read.value;
  }

  async loadDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    const found: Record<string, Deployment> = {};
    for (const id of ids) {
      const d = await this.read(id);
      if (d === undefined) continue;
      if (!d.ok) throw new InvalidRecordError(d.problem.key, d.problem.problem);
      found[id] = d.value;
    }
    return found;
  }

  async clearOutbox(ref: OutboxRef): Promise<void> {
    const [file, attribute, expected] =
      ref.record === 'environment'
        ? [this.layout.stateFile, 'version', ref.version]
        : [this.layout.deploymentFile(ref.deploymentId), 'revision', ref.revision];
    const result = this.queue.then(async () => {
      const item = await readJson<Record<string, unknown>>(file);
      if (item === undefined || item[attribute] !== expected || item.outbox === undefined) return;
      const { outbox: _published, ...rest } = item;
      await writeJson(file, rest);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async read(id: string): Promise<{ ok: true; value: Deployment } | { ok: false; problem: RecordProblem } | undefined> {
    const file = this.layout.deploymentFile(id);
    const item = await readJson<Record<string, unknown>>(file);
    if (item === undefined) return undefined;
    const read = decodeDeployment(item);
    return read.ok ? read : { ok: false, problem: { key: file, problem: read.problem } };
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
      const current = await readJson<{ revision?: unknown }>(this.layout.deploymentFile(deployment.id));
      if ((current?.revision ?? 0) !== expectedRevision) {
        throw new CommitConflictError(
          `deployment ${deployment.id} is at revision ${String(current?.revision ?? 0)}, expected ${expectedRevision}`,
        );
      }
    }
    for (const { deployment } of request.deployments)
      await writeJson(this.layout.deploymentFile(deployment.id), encodeDeployment(deployment));
    if (request.env !== undefined) await writeJson(this.layout.stateFile, encodeEnvironment(request.env.state));
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
    const found: Deployment[] = [];
    for (const id of ids) {
      const read = await this.read(id);
      if (read?.ok === true) found.push(read.value);
      else if (read !== undefined) this.onInvalid?.(read.problem);
    }
    return found;
  }
}
