import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import type { BackoffOptions } from '../../util/backoff';
import { type ListenClient, PostgresListener } from '../../util/postgres-listener';
import { OUTBOX_CHANNEL } from './dialects/postgres';
import { RELAY_LISTENER } from '../../event-bus.messages';

export type { ListenClient } from '../../util/postgres-listener';

/** The `application_name` the listening connection shows in `pg_stat_activity` (suffixed). */
export const LISTEN_APPLICATION_NAME = 'event-bus outbox listener';

/** When the DataSource sets no connect timeout: a start never waits longer for the database. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The `pg` Client options of the listening connection, from the DataSource's own, the way
 * TypeORM's PostgresDriver builds its pool (`createPool`: the replication master's credentials
 * when replicated, then `extra` over them), with a bounded connect time, TCP keep-alive and an
 * `application_name` that says what the connection is.
 */
export function listenClientConfig(options: PostgresConnectionOptions): Record<string, unknown> {
  const credentials = options.replication ? options.replication.master : options;
  const extra = (options.extra ?? {}) as Record<string, unknown>;
  const appName = extra.application_name ?? options.applicationName ?? credentials.applicationName;
  const timeout = [extra.connectionTimeoutMillis, options.connectTimeoutMS].find(
    (ms): ms is number => typeof ms === 'number' && ms > 0,
  );
  return {
    connectionString: credentials.url,
    host: credentials.host,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    port: credentials.port,
    ssl: credentials.ssl,
    keepAlive: true,
    ...extra,
    connectionTimeoutMillis: timeout ?? CONNECT_TIMEOUT_MS,
    application_name:
      typeof appName === 'string' && appName !== ''
        ? `${appName} (${LISTEN_APPLICATION_NAME})`
        : LISTEN_APPLICATION_NAME,
  };
}

/** A new, unconnected client for the DataSource's database, outside its pool. */
export function createListenClient(dataSource: DataSource): ListenClient {
  const options = dataSource.options as PostgresConnectionOptions;
  type ClientClass = new (config: Record<string, unknown>) => ListenClient;
  const own = (options.extra as { Client?: unknown } | undefined)?.Client;
  const Client =
    typeof own === 'function'
      ? (own as ClientClass)
      : (dataSource.driver as unknown as { postgres: { Client: ClientClass } }).postgres.Client;
  return new Client(listenClientConfig(options));
}

/** The relay's listener: `LISTEN` on `OUTBOX_CHANNEL` (see `PostgresListener`). */
export class PostgresOutboxListener extends PostgresListener {
  constructor(createClient: () => ListenClient, onNotify: () => void, backoff?: BackoffOptions) {
    super(createClient, RELAY_LISTENER, OUTBOX_CHANNEL, () => onNotify(), backoff);
  }
}
