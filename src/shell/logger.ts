import { Logger } from '@aws-lambda-powertools/logger';

/** The part of Powertools Logger the shell uses, so tests and the CLI can pass their own. */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Structured JSON logs, one line per decision; `deploymentId` is a key of every line about a deployment. */
export function createLogger(options: { environment?: string; logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {}): Logger {
  return new Logger({
    serviceName: 'ecs-migrate',
    ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
    ...(options.environment !== undefined ? { persistentKeys: { environment: options.environment } } : {}),
  });
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
