import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { InvalidRecordError } from '../../errors.js';
import { processStartTime } from '../../local/env-lock.js';
import type { LocalLayout } from '../../local/layout.js';
import { readJson, removeFile, writeJson } from './json-file.js';

/** A record file and what it holds after the journal is applied: `null` for no file. */
export interface JournalRecord {
  file: string;
  item: Record<string, unknown> | null;
}

/**
 * The intent of one local commit, written whole before any of its record files: the records it writes (`commit`),
 * or, for a commit that failed part way, what the files it had written held before (`rollback`). Applied again on
 * the next load while it is on disk, so a commit interrupted between its files is seen whole, or not at all.
 */
export interface Journal {
  kind: 'commit' | 'rollback';
  records: JournalRecord[];
  /** The process writing it (absent in a journal read from disk without one: taken as gone). */
  writer?: JournalWriter;
}

/** A process, told apart from a later one with the same pid by its start time (Linux). */
export interface JournalWriter {
  pid: number;
  host: string;
  startTime?: string;
}

/** Next to `environment.json`, outside `deployments/` (whose `.json` files are the history). */
export const journalFile = (layout: LocalLayout): string => join(layout.envDir, 'commit-journal.json');

/** Writes the journal: once this returns, the commit survives a crash (the next load applies it). */
export async function writeJournal(layout: LocalLayout, journal: Journal): Promise<void> {
  const startTime = processStartTime(process.pid);
  const writer: JournalWriter = { pid: process.pid, host: hostname(), ...(startTime !== undefined ? { startTime } : {}) };
  const onDisk = {
    ...journal,
    writer,
    records: journal.records.map((r) => ({ ...r, file: relative(layout.envDir, r.file).split(sep).join('/') })),
  };
  await writeJson(journalFile(layout), onDisk);
}

/** The journal on disk, if any, with its files as paths; it names only the environment file and deployment files. */
export async function readJournal(layout: LocalLayout): Promise<Journal | undefined> {
  const path = journalFile(layout);
  const raw: unknown = await readJson<object>(path);
  if (raw === undefined) return undefined;
  const invalid = (problem: string) => new InvalidRecordError(path, `not a commit journal: ${problem}`);
  if (typeof raw !== 'object' || raw === null) throw invalid('not an object');
  const { kind, records, writer } = raw as { kind?: unknown; records?: unknown; writer?: Partial<JournalWriter> };
  if (kind !== 'commit' && kind !== 'rollback') throw invalid('kind is neither commit nor rollback');
  if (!Array.isArray(records)) throw invalid('records is not a list');
  const known = typeof writer === 'object' && writer !== null && typeof writer.pid === 'number' && typeof writer.host === 'string';
  const startTime = known && typeof writer.startTime === 'string' ? { startTime: writer.startTime } : {};
  return {
    kind,
    ...(known ? { writer: { pid: writer.pid as number, host: writer.host as string, ...startTime } } : {}),
    records: records.map((r: unknown, i) => {
      const { file, item } = (typeof r === 'object' && r !== null ? r : {}) as { file?: unknown; item?: unknown };
      if (typeof file !== 'string') throw invalid(`records[${i}].file is not a path`);
      const absolute = join(layout.envDir, file);
      const isRecord =
        absolute === layout.stateFile ||
        (dirname(absolute) === layout.deploymentsDir && absolute.endsWith('.json') && !file.includes('..'));
      if (!isRecord) throw invalid(`records[${i}].file ${file} is not the environment file or a deployment file`);
      if (item !== null && (typeof item !== 'object' || Array.isArray(item))) throw invalid(`records[${i}].item is not a record`);
      return { file: absolute, item: item as Record<string, unknown> | null };
    }),
  };
}

/** Writes each record file whole (or removes it): idempotent, so applying a journal again is safe. */
export async function applyRecords(records: JournalRecord[], onWrite?: (file: string) => void): Promise<void> {
  for (const { file, item } of records) {
    onWrite?.(file);
    if (item === null) await removeFile(file);
    else await writeJson(file, item);
  }
}

export const removeJournal = (layout: LocalLayout): Promise<void> => removeFile(journalFile(layout));
