import type { DataSource } from 'typeorm';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { unsupportedDatabase } from '../event-bus.messages';

export type DatabaseDialect = 'postgres' | 'sqlite';

export function dialectOf(dataSource: DataSource): DatabaseDialect {
  const type = dataSource.options.type;
  if (type === 'postgres') return 'postgres';
  if (type === 'better-sqlite3') return 'sqlite';
  throw new EventBusConfigurationError(unsupportedDatabase(type));
}

/** Positional placeholder for the `index`-th (1-based) parameter. */
export function placeholder(dialect: DatabaseDialect, index: number): string {
  return dialect === 'postgres' ? `$${index}` : '?';
}

export function placeholders(dialect: DatabaseDialect, count: number, first = 1): string {
  return Array.from({ length: count }, (_, i) => placeholder(dialect, first + i)).join(', ');
}

/** A timestamp parameter for raw SQL, stored the way TypeORM stores `Date` columns. */
export function timestampParameter(dialect: DatabaseDialect, date: Date): Date | string {
  // TypeORM keeps SQLite datetimes as UTC "YYYY-MM-DD HH:mm:ss.SSS" text.
  return dialect === 'postgres' ? date : date.toISOString().replace('T', ' ').replace('Z', '');
}
