import { LEAF, section } from '../../util/option-keys';
import type { OptionChecker } from '../../util/option-checker';

/**
 * `transport: { type: 'postgres', url }`: topics as tables of a PostgreSQL database that the
 * services share (the bus database), no broker. See `PostgresTransport`.
 */
export interface PostgresTransportOptions {
  type: 'postgres';
  /** The bus database, `postgres://user:password@host:port/database`; never logged. */
  url: string;
  /** Connections of the pool that sends, fetches and commits (1 to 100; 10). One more listens. */
  maxConnections?: number;
  /** A consumer's fallback poll when no notification arrives (10 ms to 60 s; 500 ms). */
  pollIntervalMs?: number;
  /**
   * How long a member's hold on a partition lasts without renewal (1 s to 10 min; 10 s). A
   * member renews every third of it; a member that died loses its partitions after it.
   */
  leaseMs?: number;
  /** Records older than this are deleted (1 minute to 365 days; 7 days). */
  retentionMs?: number;
  /** Apply the transport's schema migrations at connect (true); false: only check them. */
  migrate?: boolean;
}

export const POSTGRES_TRANSPORT_DEFAULTS = {
  maxConnections: 10,
  pollIntervalMs: 500,
  leaseMs: 10_000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  migrate: true,
} satisfies Omit<Required<PostgresTransportOptions>, 'type' | 'url'>;

export const POSTGRES_OPTION_KEYS = section<PostgresTransportOptions>({
  type: LEAF,
  url: LEAF,
  maxConnections: LEAF,
  pollIntervalMs: LEAF,
  leaseMs: LEAF,
  retentionMs: LEAF,
  migrate: LEAF,
});

const LIMITS: Array<[keyof PostgresTransportOptions, number, number]> = [
  ['maxConnections', 1, 100],
  ['pollIntervalMs', 10, 60_000],
  ['leaseMs', 1000, 600_000],
  ['retentionMs', 60_000, 365 * 24 * 60 * 60 * 1000],
];

export function checkPostgresOptions(
  check: OptionChecker,
  value: PostgresTransportOptions,
): PostgresTransportOptions {
  if (typeof value.url !== 'string' || !/^postgres(ql)?:\/\/[^\s]+$/.test(value.url)) {
    // The URL may hold a password: say what is wrong, never echo it.
    throw check.error(
      'transport.url',
      'a postgres:// URL of the bus database',
      typeof value.url === 'string' ? 'another string' : value.url,
    );
  }
  for (const [key, min, max] of LIMITS) {
    if (value[key] !== undefined) check.int(`transport.${key}`, value[key], min, max);
  }
  if (value.migrate !== undefined) check.bool('transport.migrate', value.migrate);
  return value;
}
