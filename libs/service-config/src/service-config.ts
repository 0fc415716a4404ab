import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModuleOptions,
  InMemoryBroker,
} from '@app/event-bus';

/** Where a service keeps its data: PostgreSQL, or an embedded SQLite file. */
export type DatabaseConfig = { type: 'postgres'; url: string } | { type: 'sqlite'; path: string };

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
}

export interface ServiceDefaults {
  port: number;
  serviceId: string;
  sqlitePath: string;
}

/**
 * Reads PORT, HOST, SERVICE_ID, DATABASE_URL, KAFKA_BROKERS, EVENT_TOPIC_PREFIX,
 * OUTBOX_RELAY_ENABLED, EVENT_MAX_MESSAGE_BYTES, EVENT_TRACE_SAMPLE_RATE and
 * EVENT_TOPIC_REPLICATION_FACTOR; a bad value fails startup naming the variable.
 */
export function loadServiceConfig(
  env: NodeJS.ProcessEnv,
  defaults: ServiceDefaults,
): ServiceConfig {
  return {
    port: parsePort(env.PORT, defaults.port),
    host: env.HOST || undefined,
    serviceId: env.SERVICE_ID || defaults.serviceId,
    database: parseDatabaseUrl(env.DATABASE_URL, defaults.sqlitePath),
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
    return {
      type: 'postgres',
      url: database.url,
      entities: all,
      migrations: [...EVENT_BUS_MIGRATIONS, ...migrations],
      migrationsRun: true,
      synchronize: false,
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
