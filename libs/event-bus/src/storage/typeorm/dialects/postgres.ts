import type { SqlDialect } from './sql-dialect';

/** PostgreSQL: `$n` placeholders, native timestamps, and row locks that other claims skip. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  locksClaimedRows: true,
  placeholder: (index) => `$${index}`,
  timestamp: (date) => date,
};
