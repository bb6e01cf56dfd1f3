import { expect, vi } from 'vitest';
import { explainCommand } from '../../cli/explain.js';

/** `ecs-migrate explain ARGS --json`, in this process: its decision and reason (exit 0 expected). */
export async function explainJson(args: string[]): Promise<{ decision: string; reason: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const code = await explainCommand([...args, '--json']);
  vi.restoreAllMocks();
  expect(code).toBe(0);
  return JSON.parse(out) as { decision: string; reason: string };
}
