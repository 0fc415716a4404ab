import { EventBusError } from './event-bus.error';

/**
 * Decides whether a failure means a dependency (the database or the broker) is unavailable for
 * now, so waiting is the only right answer: such a failure never counts toward `consumer.retry.maxRetries` and
 * never dead-letters. Return `true` or `false` to decide, `undefined` to leave it to the default.
 */
export type TransientFailureClassifier = (error: unknown) => boolean | undefined;

/** Node's socket errors: the peer refused, reset, or never answered. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs that say "not now" rather than "never": serialization failure, deadlock,
 * and the server shutting down or starting up (57P01–57P03). Classes 08 (connection) and 53
 * (insufficient resources) are matched by prefix below.
 */
const POSTGRES_STATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03']);

/** SQLite: the database file is locked by another connection for now. */
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * What the pg driver and its pool say when the server cannot be reached or stops answering
 * (they carry no code): pool acquisition timeout, connect timeout, a dropped connection, and the
 * client-side `query_timeout`.
 */
const DRIVER_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /query read timeout/i,
  /connection (is )?(not established|closed|lost)/i,
  /server closed the connection unexpectedly/i,
  /client (was closed|has encountered a connection error) and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/** kafkajs errors that mean the cluster is unreachable or electing a leader. */
const KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
]);

/**
 * @platformatic/kafka: a connection refused, closed or timed out (`PLT_KFK_NETWORK`, timeouts
 * included), and the broker's own "not now" while leaders or coordinators move.
 */
const PLATFORMATIC_KAFKA_CODES = new Set(['PLT_KFK_NETWORK']);
const PLATFORMATIC_KAFKA_PROTOCOL_ERRORS = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'BROKER_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
]);

const MAX_CAUSE_DEPTH = 8;

/**
 * The default classification: looks at the error, its `cause` chain, a TypeORM
 * `QueryFailedError`'s `driverError` and an `AggregateError`'s errors.
 */
export function isTransientFailure(error: unknown): boolean {
  return someCause(error, (e) => {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code) {
      if (NETWORK_CODES.has(code) || SQLITE_CODES.has(code) || POSTGRES_STATES.has(code))
        return true;
      // A SQLSTATE is five characters: class 08 (connection exception), 53 (insufficient resources).
      if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (typeof e.name === 'string' && KAFKA_ERRORS.has(e.name)) return true;
    if (code && PLATFORMATIC_KAFKA_CODES.has(code)) return true;
    if (code === 'PLT_KFK_PROTOCOL' && PLATFORMATIC_KAFKA_PROTOCOL_ERRORS.has(String(e.apiId)))
      return true;
    if (e.name === 'TransportError' && e.retriable === true) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    return DRIVER_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/** The user's classifier first, then the default. */
export function classifyTransient(
  error: unknown,
  custom: TransientFailureClassifier | undefined,
): boolean {
  const verdict = custom?.(error);
  if (verdict !== undefined) return verdict;
  // The bus's own "a retry cannot help" (bad input, a record the broker refuses) stands.
  if (error instanceof EventBusError && !error.retriable) return false;
  return isTransientFailure(error);
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  /** @platformatic/kafka's name of a broker error code. */
  apiId?: unknown;
  cause?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

function someCause(error: unknown, test: (e: ErrorLike) => boolean): boolean {
  const seen = new Set<unknown>();
  const queue: Array<{ value: unknown; depth: number }> = [{ value: error, depth: 0 }];
  while (queue.length > 0) {
    const { value, depth } = queue.shift()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const e = value as ErrorLike;
    if (test(e)) return true;
    if (depth >= MAX_CAUSE_DEPTH) continue;
    const next = [e.cause, e.driverError, ...(Array.isArray(e.errors) ? e.errors : [])];
    for (const n of next) queue.push({ value: n, depth: depth + 1 });
  }
  return false;
}
