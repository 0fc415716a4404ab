import { UsageError } from '../cli.errors';

/** Collects the values of a repeatable / variadic option (`--id a b --id c`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A count such as `--limit`: an integer from 1 to `max`. */
export function parseCount(
  flag: string,
  value: string | undefined,
  fallback: number,
  max = 1_000_000,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`${flag} must be an integer from 1 to ${max}, got "${value}".`);
  }
  return Number(value);
}

/** A partition number or an offset: a non-negative integer (offsets are 64-bit, kept as text). */
export function parseNonNegative(name: string, value: string | undefined): string {
  if (value === undefined || !/^\d{1,19}$/.test(value)) {
    throw new UsageError(`${name} must be a non-negative integer, got "${value ?? ''}".`);
  }
  return BigInt(value).toString();
}
