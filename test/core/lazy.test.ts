import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { lazy, lazyObject } from '../../src/core/lazy.js';

describe('lazy', () => {
  it('builds nothing until a property is read, then builds once', () => {
    let builds = 0;
    const value = lazy(() => {
      builds++;
      return { answer: 42, list: [1, 2] };
    });
    expect(builds).toBe(0);
    expect(value.answer).toBe(42);
    expect(value.list).toEqual([1, 2]);
    expect(builds).toBe(1);
  });

  it('forwards keys, spreading, `in` and the prototype to the built value', () => {
    const fields = lazy(() => ({ a: 1, b: 'two' }));
    expect({ ...fields, c: true }).toEqual({ a: 1, b: 'two', c: true });
    expect(Object.keys(fields)).toEqual(['a', 'b']);
    expect('b' in fields).toBe(true);
    const date = lazy(() => new Date(0));
    expect(date).toBeInstanceOf(Date);
  });

  it('stands in for a zod/mini schema: parsing, its shape, and inside other schemas', () => {
    const text = lazy(() => z.string().check(z.minLength(1)));
    const schema = lazyObject(() => ({ name: text, tags: z.array(text) }));
    expect(Object.keys(schema.shape)).toEqual(['name', 'tags']);
    expect(schema.safeParse({ name: 'api', tags: ['x'] })).toEqual({ success: true, data: { name: 'api', tags: ['x'] } });
    const failed = schema.safeParse({ name: '', tags: [] });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues.map((i) => i.path.join('.'))).toEqual(['name']);
    expect(z.object({ inner: schema }).safeParse({ inner: { name: 'a', tags: [] } }).success).toBe(true);
  });
});
