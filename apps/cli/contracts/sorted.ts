/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every object's keys in code-unit order, arrays kept as they are: one text for one value, so
 * generated files do not change between runs and two equal schemas compare equal as text.
 */
export function sortedDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortedDeep) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort(compare)
      .map((key) => [key, sortedDeep((value as Record<string, unknown>)[key])]),
  ) as T;
}
