import { isTransientFailure } from '@nestbus/event-bus';

/**
 * What the pg driver and PostgreSQL say when one of the configured limits ended the wait, and
 * what pg says about a connection it closed because of that. For the bus these are not all
 * "wait and retry" (a statement cancelled for running too long may be the handler's fault), but
 * for an HTTP request they all mean the same: the database could not serve it in time.
 */
const TIMEOUT_STATES = new Set([
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
  '55P03', // lock_not_available: lock_timeout
]);
const TIMEOUT_MESSAGES = [
  /query read timeout/i,
  /client (was closed|has encountered a connection error) and is not queryable/i,
];
const MAX_CAUSE_DEPTH = 8;

/**
 * The database (or another dependency) is unavailable or did not answer in time, so the right
 * HTTP answer is 503 with Retry-After rather than a 500.
 */
export function isUnavailable(error: unknown): boolean {
  return isTransientFailure(error) || isDatabaseTimeout(error, 0);
}

function isDatabaseTimeout(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_CAUSE_DEPTH) return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && TIMEOUT_STATES.has(e.code)) return true;
  if (typeof e.message === 'string' && TIMEOUT_MESSAGES.some((p) => p.test(e.message as string)))
    return true;
  return isDatabaseTimeout(e.driverError, depth + 1) || isDatabaseTimeout(e.cause, depth + 1);
}
