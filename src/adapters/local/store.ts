import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { OutboxRef } from '../../core/actions.js';
import type { Deployment } from '../../core/deployment.js';
import { decodeDeployment, decodeEnvironment, encodeDeployment, encodeEnvironment, type RecordProblem } from '../../core/records.js';
import { type EnvironmentState, emptyEnvironment } from '../../core/state.js';
import { CommitConflictError, InvalidRecordError } from '../../errors.js';
import type { LocalLayout } from '../../local/layout.js';
import type { CommitRequest, DeploymentHistory } from '../../ports.js';
import { applyRecords, type JournalRecord, readJournal, removeJournal, writeJournal } from './commit-journal.js';
import { readJson, writeJson } from './json-file.js';

/**
 * Deployments and the environment record as JSON files. Commits are checked against the versions on disk
 * and serialised within the process, which is all local mode needs (one controller process at a time), and are
 * all or nothing: each is written to a journal first (see commit-journal.ts).
 */
export class LocalStore implements DeploymentHistory {
  private queue: Promise<unknown> = Promise.resolve();
  /** A read's view of a commit journal left on disk: its records, read in place of their files (never written). */
  private overlay: Map<string, Record<string, unknown> | null> | undefined;

  constructor(
    private readonly layout: LocalLayout,
    /** Told of each record `listDeployments` skips because it does not validate. */
    private readonly onInvalid?: (problem: RecordProblem) => void,
  ) {}

  loadEnvironment(environment: string): Promise<EnvironmentState> {
    return this.serial('read', () => this.readEnvironment(environment));
  }

  loadDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    return this.serial('read', () => this.readDeployments(ids));
  }

  loadEnvironmentWith(environment: string, ids: string[]) {
    return this.serial('read', async () => ({
      env: await this.readEnvironment(environment),
      deployments: await this.readDeployments(ids),
    }));
  }

  clearOutbox(ref: OutboxRef): Promise<void> {
    const [file, attribute, expected] =
      ref.record === 'environment'
        ? [this.layout.stateFile, 'version', ref.version]
        : [this.layout.deploymentFile(ref.deploymentId), 'revision', ref.revision];
    return this.serial('write', async () => {
      const item = await readJson<Record<string, unknown>>(file);
      if (item === undefined || item[attribute] !== expected || item.outbox === undefined) return;
      const { outbox: _published, ...rest } = item;
      await writeJson(file, rest);
    });
  }

  commit(request: CommitRequest): Promise<void> {
    return this.serial('write', () => this.commitNow(request));
  }

  /**
   * Runs after the operations before it, with a commit journal left on disk (a commit interrupted between its
   * files, by a crash or a failed write) taken into account: every load sees a commit whole or not at all. A write
   * (one controller process per environment, see EnvironmentLock) applies the journal first; a read (`status`,
   * `history`, also while `ecs-migrate local` runs) never writes: it reads the journal's records in place of their
   * files, so it cannot race the controller completing that commit and then making a newer one.
   */
  private serial<T>(mode: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      await this.recover(mode);
      return work();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async recover(mode: 'read' | 'write'): Promise<void> {
    this.overlay = undefined;
    const journal = await readJournal(this.layout);
    if (journal === undefined) return;
    if (mode === 'read') {
      this.overlay = new Map(journal.records.map((r) => [r.file, r.item]));
      return;
    }
    await applyRecords(journal.records);
    await removeJournal(this.layout);
  }

  /** A record file as a read sees it: the journal's record when one is on disk, else the file. */
  private async readRecord(file: string): Promise<Record<string, unknown> | undefined> {
    if (this.overlay?.has(file) === true) return this.overlay.get(file) ?? undefined;
    return readJson<Record<string, unknown>>(file);
  }

  private async readEnvironment(environment: string): Promise<EnvironmentState> {
    return this.decodeEnvironment(environment, await this.readRecord(this.layout.stateFile));
  }

  private decodeEnvironment(environment: string, item: Record<string, unknown> | undefined): EnvironmentState {
    if (item === undefined) return emptyEnvironment(environment);
    const read = decodeEnvironment(item);
    if (!read.ok) throw new InvalidRecordError(this.layout.stateFile, read.problem);
    return read.value;
  }

  private async readDeployments(ids: string[]): Promise<Record<string, Deployment>> {
    const found: Record<string, Deployment> = {};
    for (const id of ids) {
      const d = await this.read(id);
      if (d === undefined) continue;
      if (!d.ok) throw new InvalidRecordError(d.problem.key, d.problem.problem);
      found[id] = d.value;
    }
    return found;
  }

  private async read(id: string): Promise<{ ok: true; value: Deployment } | { ok: false; problem: RecordProblem } | undefined> {
    const file = this.layout.deploymentFile(id);
    let item: Record<string, unknown> | undefined;
    try {
      item = await this.readRecord(file);
    } catch (error) {
      if (error instanceof InvalidRecordError) return { ok: false, problem: { key: file, problem: error.problem } };
      throw error;
    }
    if (item === undefined) return undefined;
    const read = decodeDeployment(item);
    return read.ok ? read : { ok: false, problem: { key: file, problem: read.problem } };
  }

  /**
   * Checks every expected version, then writes the journal (the whole commit, flushed), then the record files, then
   * removes the journal. A crash after the journal is written leaves a commit the next load completes; a write that
   * fails part way is undone here (through a rollback journal, so a crash while undoing is completed the same way).
   */
  private async commitNow(request: CommitRequest): Promise<void> {
    const before = new Map<string, Record<string, unknown> | null>();
    if (request.env !== undefined) {
      const item = await readJson<Record<string, unknown>>(this.layout.stateFile);
      const current = this.decodeEnvironment(request.env.state.environment, item);
      if (current.version !== request.env.expectedVersion) {
        throw new CommitConflictError(
          `environment ${current.environment} is at version ${current.version}, expected ${request.env.expectedVersion}`,
        );
      }
      before.set(this.layout.stateFile, item ?? null);
    }
    for (const { deployment, expectedRevision } of request.deployments) {
      const file = this.layout.deploymentFile(deployment.id);
      const current = await readJson<Record<string, unknown>>(file);
      if ((current?.revision ?? 0) !== expectedRevision) {
        throw new CommitConflictError(
          `deployment ${deployment.id} is at revision ${String(current?.revision ?? 0)}, expected ${expectedRevision}`,
        );
      }
      if (!before.has(file)) before.set(file, current ?? null);
    }
    const records: JournalRecord[] = request.deployments.map(({ deployment }) => ({
      file: this.layout.deploymentFile(deployment.id),
      item: encodeDeployment(deployment),
    }));
    if (request.env !== undefined) records.push({ file: this.layout.stateFile, item: encodeEnvironment(request.env.state) });
    const written: string[] = [];
    try {
      await writeJournal(this.layout, { kind: 'commit', records });
      await applyRecords(records, (file) => written.push(file));
    } catch (error) {
      await this.undo(written, before).catch(() => undefined);
      throw error;
    }
    // The commit is on disk; a journal that cannot be removed is applied again (to the same effect) by the next load.
    await removeJournal(this.layout).catch(() => undefined);
  }

  /**
   * Puts back what the files a failed commit wrote (or was writing) held before. If this fails too, the journal on
   * disk (the commit's, or the rollback's once written) is applied whole by the next load.
   */
  private async undo(written: string[], before: Map<string, Record<string, unknown> | null>): Promise<void> {
    const records = [...new Set(written)].map((file) => ({ file, item: before.get(file) ?? null }));
    if (records.length > 0) {
      await writeJournal(this.layout, { kind: 'rollback', records });
      await applyRecords(records);
    }
    await removeJournal(this.layout);
  }

  listDeployments(_environment: string, limit: number): Promise<Deployment[]> {
    return this.serial('read', () => this.list(limit));
  }

  private async list(limit: number): Promise<Deployment[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.deploymentsDir);
    } catch {
      return [];
    }
    // A journal's deployment files are listed too, written yet or not.
    const journaled = [...(this.overlay?.keys() ?? [])].filter((f) => f !== this.layout.stateFile).map((f) => basename(f));
    const ids = [...new Set([...names, ...journaled])]
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
