import * as z from 'zod/mini';

/**
 * A value built on its first use instead of at module load. The schemas are declared at module scope, but a
 * Lambda cold start should pay only for what its first event needs (BENCHMARKS.md, "Cold init"): `lazy`
 * returns a stand-in that builds the value when any of its properties is first read, then forwards to it.
 * Typed as the value itself, so `schema.safeParse(...)`, `schema.shape` and `z.output<typeof schema>` are unchanged.
 */
export function lazy<T extends object>(build: () => T): T {
  let value: T | undefined;
  const target = (): T => {
    if (value === undefined) value = build();
    return value;
  };
  return new Proxy({} as T, {
    get: (_stub, key) => Reflect.get(target(), key),
    set: (_stub, key, v) => Reflect.set(target(), key, v),
    has: (_stub, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
    getOwnPropertyDescriptor: (_stub, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      // A proxy may report a property its (empty) stub lacks only if it reports it as configurable.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}

/** `z.object(shape)`, built on first use (see `lazy`): the shape is a function so its fields wait too. */
export function lazyObject<S extends z.core.$ZodLooseShape>(shape: () => S): z.ZodMiniObject<S, z.core.$strip> {
  return lazy(() => z.object(shape()));
}
