import { describe, expect, it, vi } from 'vitest';

/** Every zod/mini schema constructor called, counted (the module is otherwise the real one). */
const built = vi.hoisted(() => ({ count: 0 }));
vi.mock('zod/mini', async (importOriginal) => {
  const z = await importOriginal<typeof import('zod/mini')>();
  const counted = <F extends (...args: never[]) => unknown>(f: F) =>
    ((...args: Parameters<F>) => {
      built.count++;
      return f(...args);
    }) as F;
  return { ...z, object: counted(z.object), string: counted(z.string), array: counted(z.array), int: counted(z.int) };
});

describe('event schemas (cold start)', () => {
  it('importing the event parser builds no schema; the first event builds only what it needs', async () => {
    const events = await import('../../src/core/events.js');
    await import('../../src/core/parse.js');
    expect(built.count).toBe(0);
    expect(events.envelope.safeParse({}).success).toBe(false);
    const afterEnvelope = built.count;
    expect(afterEnvelope).toBeGreaterThan(0);
    events.envelope.safeParse({});
    expect(built.count).toBe(afterEnvelope);
  });
});
