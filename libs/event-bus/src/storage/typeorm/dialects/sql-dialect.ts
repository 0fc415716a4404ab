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
