import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModuleOptions,
  InMemoryBroker,
} from '@nestbus/event-bus';
import { BoundedPgClient } from './bounded-pg-client';

/** Where a service keeps its data: PostgreSQL, or an embedded SQLite file. */
export type DatabaseConfig =
  { type: 'postgres'; url: string; limits?: DatabaseLimits } | { type: 'sqlite'; path: string };

/**
 * How long anything may wait on PostgreSQL, so a database that refuses, stalls or black-holes
 * packets turns into an error (and an HTTP 503) instead of a hang. All in milliseconds.
 */
export interface DatabaseLimits {
  /** Opening a connection, and also waiting for a free one from the pool (pg-pool uses one knob). */
  connectTimeoutMs: number;
  /** The server cancels a statement running longer (SQLSTATE 57014). */
  statementTimeoutMs: number;
  /** The client gives up on a query with no answer (a black-holed server never cancels). */
  queryTimeoutMs: number;
  /** The server ends a session left idle inside an open transaction (its locks go with it). */
  idleInTransactionTimeoutMs: number;
  /** Connections in the pool, shared by HTTP requests, the outbox relay and the consumers. */
  poolSize: number;
}

/**
 * Connect (and pool wait) 3 s: a healthy database on the same network connects in
 * milliseconds, and /health must answer within 3 s. Statements 5 s: every query here is a
 * short OLTP statement. Query 6 s: above the statement timeout, so a reachable server cancels
 * cleanly first and the client's own timer only fires when the server cannot answer at all.
 * Idle in transaction 10 s: no transaction here waits on anything but its own next statement.
 * Pool 10: pg's default.
 */
export const DEFAULT_DATABASE_LIMITS: Readonly<DatabaseLimits> = {
  connectTimeoutMs: 3_000,
  statementTimeoutMs: 5_000,
  queryTimeoutMs: 6_000,
  idleInTransactionTimeoutMs: 10_000,
  poolSize: 10,
};

/** Settings every demo service reads from its environment. */
export interface ServiceConfig {
  port: number;
  /** Interface to listen on; all interfaces when absent. */
  host?: string;
  serviceId: string;
  database: DatabaseConfig;
  /** Kafka brokers; the in-memory transport when absent. */
  kafkaBrokers?: string[];
  /** Prepended to every topic name (isolates test runs on a shared broker). */
  topicPrefix?: string;
  /** Run the outbox relay here (false for instances that only publish). */
  relayEnabled: boolean;
  /** Largest event payload accepted, in bytes. */
  maxMessageBytes?: number;
  /** Share of events whose hops go to the `event_trace` log (0 turns it off). */
  traceSampleRate: number;
  /** Replicas of each topic the bus creates (3 on a three-broker cluster). */
  topicReplicationFactor?: number;
  /** Largest HTTP request body read, in bytes (413 above it). */
  httpMaxBodyBytes?: number;
}

/**
 * 64 KiB: a registration is a few hundred bytes; Nest's own default (100 KiB) is the ceiling of
 * what express would have taken anyway.
 */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 64 * 1024;

export interface ServiceDefaults {
  port: number;
  serviceId: string;
  sqlitePath: string;
}

/**
 * Reads PORT, HOST, SERVICE_ID, DATABASE_URL, KAFKA_BROKERS, EVENT_TOPIC_PREFIX,
 * OUTBOX_RELAY_ENABLED, EVENT_MAX_MESSAGE_BYTES, EVENT_TRACE_SAMPLE_RATE,
 * EVENT_TOPIC_REPLICATION_FACTOR, HTTP_MAX_BODY_BYTES and the database limits (DATABASE_CONNECT_TIMEOUT_MS,
 * DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_QUERY_TIMEOUT_MS,
 * DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS, DATABASE_POOL_SIZE; see `DEFAULT_DATABASE_LIMITS`);
 * a bad value fails startup naming the variable.
 */
export function loadServiceConfig(
  env: NodeJS.ProcessEnv,
  defaults: ServiceDefaults,
): ServiceConfig {
  return {
    port: parsePort(env.PORT, defaults.port),
    host: env.HOST || undefined,
    serviceId: env.SERVICE_ID || defaults.serviceId,
    database: parseDatabase(env, defaults.sqlitePath),
    kafkaBrokers: parseBrokers(env.KAFKA_BROKERS),
    topicPrefix: parseTopicPrefix(env.EVENT_TOPIC_PREFIX),
    relayEnabled: parseBoolean('OUTBOX_RELAY_ENABLED', env.OUTBOX_RELAY_ENABLED, true),
    maxMessageBytes: parseOptionalInt('EVENT_MAX_MESSAGE_BYTES', env.EVENT_MAX_MESSAGE_BYTES),
    // 1% by default: each logged event costs a few rows in the service's database.
    traceSampleRate: parseRate('EVENT_TRACE_SAMPLE_RATE', env.EVENT_TRACE_SAMPLE_RATE, 0.01),
    topicReplicationFactor: parseOptionalInt(
      'EVENT_TOPIC_REPLICATION_FACTOR',
      env.EVENT_TOPIC_REPLICATION_FACTOR,
    ),
    httpMaxBodyBytes: parseBoundedInt(
      'HTTP_MAX_BODY_BYTES',
      env.HTTP_MAX_BODY_BYTES,
      DEFAULT_HTTP_MAX_BODY_BYTES,
      1,
      100 * 1024 * 1024,
    ),
  };
}

/** TypeORM options: migrations on PostgreSQL, `synchronize` only for the embedded SQLite default. */
export function typeOrmOptionsFor(
  database: DatabaseConfig,
  entities: Function[], // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[], // eslint-disable-line @typescript-eslint/no-unsafe-function-type
): TypeOrmModuleOptions {
  const all = [...entities, ...EVENT_BUS_ENTITIES];
  if (database.type === 'postgres') {
    const limits = database.limits ?? DEFAULT_DATABASE_LIMITS;
    return {
      type: 'postgres',
      url: database.url,
      entities: all,
      migrations: [...EVENT_BUS_MIGRATIONS, ...migrations],
      migrationsRun: true,
      synchronize: false,
      connectTimeoutMS: limits.connectTimeoutMs,
      poolSize: limits.poolSize,
      // Spread into pg's Pool, which hands them to every Client it opens.
      extra: {
        Client: BoundedPgClient,
        statement_timeout: limits.statementTimeoutMs,
        query_timeout: limits.queryTimeoutMs,
        idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
        // Finds a peer that vanished without a reset on a real network; the timers above bound
        // each wait, this bounds how long a dead idle connection stays in the pool.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      },
    };
  }
  // WAL: readers do not wait for the writer, and a commit costs one fsync instead of several.
  return {
    type: 'better-sqlite3',
    database: database.path,
    entities: all,
    synchronize: true,
    enableWAL: true,
  };
}

/** The bus on Kafka when brokers are configured, else on the (given) in-memory broker. */
export function eventBusOptionsFor(
  config: ServiceConfig,
  broker?: InMemoryBroker,
): EventBusModuleOptions {
  const prefix = config.topicPrefix;
  return {
    serviceId: config.serviceId,
    transport: config.kafkaBrokers
      ? { type: 'kafka', brokers: config.kafkaBrokers }
      : { type: 'in-memory', broker },
    topics: {
      ...(prefix ? { naming: (type: string) => `${prefix}${type}` } : {}),
      ...(config.topicReplicationFactor
        ? { replicationFactor: config.topicReplicationFactor }
        : {}),
    },
    outbox: { enabled: config.relayEnabled },
    codec: config.maxMessageBytes ? { maxMessageBytes: config.maxMessageBytes } : undefined,
    tracing: {
      log: { enabled: config.traceSampleRate > 0, sampleRate: config.traceSampleRate },
    },
  };
}

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${value}".`);
  }
  return port;
}

function parseDatabase(env: NodeJS.ProcessEnv, sqliteFallback: string): DatabaseConfig {
  // Parsed even for SQLite, so a typo fails now rather than on the move to PostgreSQL.
  const limits = parseDatabaseLimits(env);
  const database = parseDatabaseUrl(env.DATABASE_URL, sqliteFallback);
  return database.type === 'postgres' ? { ...database, limits } : database;
}

function parseDatabaseLimits(env: NodeJS.ProcessEnv): DatabaseLimits {
  const d = DEFAULT_DATABASE_LIMITS;
  const statementTimeoutMs = parseMillis(
    'DATABASE_STATEMENT_TIMEOUT_MS',
    env,
    d.statementTimeoutMs,
  );
  // By default the same margin above the statement timeout, however that was set.
  const queryTimeoutMs = parseMillis(
    'DATABASE_QUERY_TIMEOUT_MS',
    env,
    statementTimeoutMs + (d.queryTimeoutMs - d.statementTimeoutMs),
  );
  if (queryTimeoutMs <= statementTimeoutMs) {
    throw new Error(
      `DATABASE_QUERY_TIMEOUT_MS (${queryTimeoutMs}) must be above ` +
        `DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}): a reachable server must ` +
        'cancel a slow statement before the client gives up on the connection.',
    );
  }
  return {
    connectTimeoutMs: parseMillis('DATABASE_CONNECT_TIMEOUT_MS', env, d.connectTimeoutMs),
    statementTimeoutMs,
    queryTimeoutMs,
    idleInTransactionTimeoutMs: parseMillis(
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      env,
      d.idleInTransactionTimeoutMs,
    ),
    poolSize: parseBoundedInt('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, d.poolSize, 1, 1000),
  };
}

// setTimeout's ceiling, and PostgreSQL's for its timeout settings.
const MAX_TIMEOUT_MS = 2_147_483_647;

function parseMillis(name: string, env: NodeJS.ProcessEnv, fallback: number): number {
  return parseBoundedInt(name, env[name], fallback, 1, MAX_TIMEOUT_MS);
}

function parseBoundedInt(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}".`);
  }
  return n;
}

function parseDatabaseUrl(value: string | undefined, fallback: string): DatabaseConfig {
  if (!value) return { type: 'sqlite', path: fallback };
  if (/^postgres(ql)?:\/\//i.test(value)) return { type: 'postgres', url: value };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error('DATABASE_URL must be postgres://… or a SQLite file path.');
  }
  return { type: 'sqlite', path: value };
}

function parseBrokers(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new Error(`KAFKA_BROKERS must be a comma list of host:port, got "${value}".`);
  }
  return brokers;
}

function parseTopicPrefix(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(value)) {
    throw new Error(
      `EVENT_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" only, got "${value}".`,
    );
  }
  return value;
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`${name} must be true or false, got "${value}".`);
}

function parseRate(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const rate = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || rate > 1) {
    throw new Error(`${name} must be a number from 0 to 1, got "${value}".`);
  }
  return rate;
}

function parseOptionalInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a positive integer, got "${value}".`);
  return Number(value);
}
