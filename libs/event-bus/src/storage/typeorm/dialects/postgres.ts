import type { SqlDialect } from './sql-dialect';

/**
 * The PostgreSQL channel outbox commits are announced on (`pg_notify`) and relays `LISTEN` to.
 * NOTIFY is per database, as the `event_outbox` table is: every bus on the database shares it.
 */
export const OUTBOX_CHANNEL = 'event_bus_outbox';

const ANNOUNCEMENT = `SELECT pg_notify('${OUTBOX_CHANNEL}', '')`;

/** PostgreSQL: `$n` placeholders, native timestamps, and row locks that other claims skip. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  locksClaimedRows: true,
  placeholder: (index) => `$${index}`,
  timestamp: (date) => date,
  // One statement, so announcing costs no round trip. The notification leaves at commit, never
  // before (nor after a rollback), and PostgreSQL folds the repeats of one transaction into one.
  announcement: ANNOUNCEMENT,
  announcing: (insert) =>
    `WITH inserted AS (${insert} RETURNING 1) ${ANNOUNCEMENT} WHERE EXISTS (SELECT 1 FROM inserted)`,
};
