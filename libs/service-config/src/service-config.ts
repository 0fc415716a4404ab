import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModuleOptions,
  InMemoryBroker,
  type TransportOptions,
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

/** What a service's modules consume; `toServiceConfig` makes it from the validated environment. */
export interface ServiceConfig {
  port: number;
  /** Interface to listen on; all interfaces when absent. */
  host?: string;
  serviceId: string;
  database: DatabaseConfig;
  /** Kafka brokers, for the kafka transport. */
  kafkaBrokers?: string[];
  /** The bus's transport; kafka when brokers are given, else in-memory, when absent. */
  transport?: 'in-memory' | 'kafka' | 'postgres';
  /** The bus database of the postgres transport. */
  busDatabaseUrl?: string;
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

/**
 * The bus on the configured transport: Kafka, the bus database (postgres), or the (given)
 * in-memory broker.
 */
export function eventBusOptionsFor(
  config: ServiceConfig,
  broker?: InMemoryBroker,
): EventBusModuleOptions {
  const prefix = config.topicPrefix;
  return {
    serviceId: config.serviceId,
    transport: transportFor(config, broker),
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

function transportFor(config: ServiceConfig, broker?: InMemoryBroker): TransportOptions {
  const transport = config.transport ?? (config.kafkaBrokers ? 'kafka' : 'in-memory');
  if (transport === 'postgres') {
    if (!config.busDatabaseUrl) throw new Error('The postgres transport needs busDatabaseUrl.');
    return { type: 'postgres', url: config.busDatabaseUrl };
  }
  if (transport === 'kafka') {
    if (!config.kafkaBrokers) throw new Error('The kafka transport needs kafkaBrokers.');
    return { type: 'kafka', brokers: config.kafkaBrokers };
  }
  return { type: 'in-memory', broker };
}
