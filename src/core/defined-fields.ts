/** `value` without its fields that are `undefined`, so records and events carry only what is known. */
export function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
