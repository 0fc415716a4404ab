import type { DataSource } from 'typeorm';
import { EventBusConfigurationError } from '../../../errors/event-bus-configuration.error';
import { unsupportedDatabase } from '../../../event-bus.messages';
import { postgresDialect } from './postgres';
import { sqliteDialect } from './sqlite';

/**
 * What the TypeORM adapter's raw SQL says differently per database. Everything else (the
 * `ON CONFLICT DO NOTHING RETURNING` claims, the query builders) both databases read alike.
 */
export interface SqlDialect {
  readonly name: 'postgres' | 'sqlite';
  /** Claimed outbox rows stay locked to the claiming transaction, and other claims skip them. */
  readonly locksClaimedRows: boolean;
  /** Positional placeholder for the `index`-th (1-based) parameter. */
  placeholder(index: number): string;
  /** A timestamp parameter for raw SQL, stored the way TypeORM stores `Date` columns. */
  timestamp(date: Date): Date | string;
  /**
   * `insert` (an `INSERT` without `RETURNING`) rewritten to also announce, in the same
   * statement, that the transaction wrote outbox rows, to the relays of other instances; absent
   * where the database has no notifications (SQLite: one process owns the file, and its commits
   * wake its relay in process).
   */
  readonly announcing?: (insert: string) => string;
  /** The announcement as a statement of its own, for rows put back in line (not inserted). */
  readonly announcement?: string;
}

export function dialectOf(dataSource: DataSource): SqlDialect {
  const type = dataSource.options.type;
  if (type === 'postgres') return postgresDialect;
  if (type === 'better-sqlite3') return sqliteDialect;
  throw new EventBusConfigurationError(unsupportedDatabase(type));
}

/** `count` placeholders from the `first`-th on, comma-separated. */
export function placeholders(dialect: SqlDialect, count: number, first = 1): string {
  return Array.from({ length: count }, (_, i) => dialect.placeholder(first + i)).join(', ');
}
