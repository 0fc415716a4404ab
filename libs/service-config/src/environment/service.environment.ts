import { IsOptional } from 'class-validator';
import {
  DEFAULT_DATABASE_LIMITS,
  DEFAULT_HTTP_MAX_BODY_BYTES,
  type DatabaseConfig,
  type ServiceConfig,
} from '../service-config';
import {
  EnvironmentVariable,
  IsAboveVariable,
  NeedsVariableWhen,
} from './environment-variable.decorator';
import type { EnvironmentReader } from './environment.validation';
import {
  BROKER_LIST,
  DATABASE_URL,
  FLAG,
  integerIn,
  POSTGRES_URL,
  RATE,
  TEXT,
  TOPIC_PREFIX,
  TRANSPORT_NAME,
  type TransportName,
  WHOLE_NUMBER,
} from './environment.rules';

// setTimeout's ceiling, and PostgreSQL's for its timeout settings.
const MILLIS = integerIn(1, 2_147_483_647);
const QUERY_TIMEOUT_MARGIN_MS =
  DEFAULT_DATABASE_LIMITS.queryTimeoutMs - DEFAULT_DATABASE_LIMITS.statementTimeoutMs;

/**
 * The variables every service reads (their names are kept stable), as the schema @nestjs/config
 * validates them against at startup. A service extends it with its own PORT, SERVICE_ID and
 * DATABASE_URL defaults; the initializers are the defaults, and an empty variable counts as unset.
 * The database limits are checked on SQLite too, so a typo fails now rather than on the move to
 * PostgreSQL.
 */
export abstract class ServiceEnvironment {
  @EnvironmentVariable(integerIn(0, 65535))
  PORT!: number;

  /** Interface to listen on; all interfaces when unset. */
  @IsOptional()
  @EnvironmentVariable(TEXT)
  HOST?: string;

  @EnvironmentVariable(TEXT)
  SERVICE_ID!: string;

  /** postgres://… or the path of a SQLite file. */
  @EnvironmentVariable(DATABASE_URL)
  DATABASE_URL!: string;

  /** Unset: the in-memory transport (unless EVENT_TRANSPORT says otherwise). */
  @IsOptional()
  @EnvironmentVariable(BROKER_LIST)
  KAFKA_BROKERS?: string[];

  /**
   * in-memory, kafka or postgres. Unset: kafka when KAFKA_BROKERS is set, else in-memory.
   * postgres: the broker-less transport, on the bus database of BUS_DATABASE_URL.
   */
  @IsOptional()
  @EnvironmentVariable(TRANSPORT_NAME)
  @NeedsVariableWhen(
    'postgres',
    'BUS_DATABASE_URL',
    'the postgres transport keeps its topics there.',
  )
  @NeedsVariableWhen('kafka', 'KAFKA_BROKERS', 'the kafka transport needs its brokers.')
  EVENT_TRANSPORT?: TransportName;

  /** The database the services share as their bus (EVENT_TRANSPORT=postgres). */
  @IsOptional()
  @EnvironmentVariable(POSTGRES_URL)
  BUS_DATABASE_URL?: string;

  @IsOptional()
  @EnvironmentVariable(TOPIC_PREFIX)
  EVENT_TOPIC_PREFIX?: string;

  @EnvironmentVariable(FLAG)
  OUTBOX_RELAY_ENABLED = true;

  @IsOptional()
  @EnvironmentVariable(WHOLE_NUMBER)
  EVENT_MAX_MESSAGE_BYTES?: number;

  /** 1%: each logged event costs a few rows in the service's database. */
  @EnvironmentVariable(RATE)
  EVENT_TRACE_SAMPLE_RATE = 0.01;

  @IsOptional()
  @EnvironmentVariable(WHOLE_NUMBER)
  EVENT_TOPIC_REPLICATION_FACTOR?: number;

  @EnvironmentVariable(integerIn(1, 100 * 1024 * 1024))
  HTTP_MAX_BODY_BYTES = DEFAULT_HTTP_MAX_BODY_BYTES;

  @EnvironmentVariable(MILLIS)
  DATABASE_CONNECT_TIMEOUT_MS = DEFAULT_DATABASE_LIMITS.connectTimeoutMs;

  @EnvironmentVariable(MILLIS)
  DATABASE_STATEMENT_TIMEOUT_MS = DEFAULT_DATABASE_LIMITS.statementTimeoutMs;

  /** Unset: the default margin above the statement timeout, however that was set. */
  @IsOptional()
  @EnvironmentVariable(MILLIS)
  @IsAboveVariable(
    'DATABASE_STATEMENT_TIMEOUT_MS',
    'a reachable server must cancel a slow statement before the client gives up on the connection.',
  )
  DATABASE_QUERY_TIMEOUT_MS?: number;

  @EnvironmentVariable(MILLIS)
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS = DEFAULT_DATABASE_LIMITS.idleInTransactionTimeoutMs;

  @EnvironmentVariable(integerIn(1, 1000))
  DATABASE_POOL_SIZE = DEFAULT_DATABASE_LIMITS.poolSize;
}

/** What the validated variables mean to the modules: the typed settings they consume. */
export function toServiceConfig(env: EnvironmentReader<ServiceEnvironment>): ServiceConfig {
  return {
    port: env.get('PORT'),
    host: env.get('HOST'),
    serviceId: env.get('SERVICE_ID'),
    database: databaseOf(env),
    kafkaBrokers: env.get('KAFKA_BROKERS'),
    transport: env.get('EVENT_TRANSPORT') ?? (env.get('KAFKA_BROKERS') ? 'kafka' : 'in-memory'),
    busDatabaseUrl: env.get('BUS_DATABASE_URL'),
    topicPrefix: env.get('EVENT_TOPIC_PREFIX'),
    relayEnabled: env.get('OUTBOX_RELAY_ENABLED'),
    maxMessageBytes: env.get('EVENT_MAX_MESSAGE_BYTES'),
    traceSampleRate: env.get('EVENT_TRACE_SAMPLE_RATE'),
    topicReplicationFactor: env.get('EVENT_TOPIC_REPLICATION_FACTOR'),
    httpMaxBodyBytes: env.get('HTTP_MAX_BODY_BYTES'),
  };
}

function databaseOf(env: EnvironmentReader<ServiceEnvironment>): DatabaseConfig {
  const url = env.get('DATABASE_URL');
  if (!/^postgres(ql)?:\/\//i.test(url)) return { type: 'sqlite', path: url };
  const statementTimeoutMs = env.get('DATABASE_STATEMENT_TIMEOUT_MS');
  return {
    type: 'postgres',
    url,
    limits: {
      connectTimeoutMs: env.get('DATABASE_CONNECT_TIMEOUT_MS'),
      statementTimeoutMs,
      queryTimeoutMs:
        env.get('DATABASE_QUERY_TIMEOUT_MS') ?? statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      idleInTransactionTimeoutMs: env.get('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'),
      poolSize: env.get('DATABASE_POOL_SIZE'),
    },
  };
}
