import type { SqlDialect } from './sql-dialect';

/** SQLite (better-sqlite3): `?` placeholders, and one writer, so no row locks. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  locksClaimedRows: false,
  placeholder: () => '?',
  // TypeORM keeps SQLite datetimes as UTC "YYYY-MM-DD HH:mm:ss.SSS" text.
  timestamp: (date) => date.toISOString().replace('T', ' ').replace('Z', ''),
};
