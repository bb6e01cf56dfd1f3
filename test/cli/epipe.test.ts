import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Issue 10, defect 11: `ecs-migrate explain … | head -1` must not die with EPIPE when the reader goes away.
 * The reading end is closed before the CLI writes, so every write it makes meets a closed pipe.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

function explainIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'main.ts'), 'explain', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('explain into a closed pipe', () => {
  it.each([
    ['text', ['--config', 'events/config.json', '--now', '2026-11-25T09:15:00Z', 'events/ecr-push.json']],
    ['JSON', ['--config', 'events/config.json', '--now', '2026-11-25T09:15:00Z', 'events/ecr-push.json', '--json']],
  ])('ends quietly with exit code 0 (%s output)', async (_what, args) => {
    const { code, stderr } = await explainIntoClosedPipe(args);
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
  });
});
