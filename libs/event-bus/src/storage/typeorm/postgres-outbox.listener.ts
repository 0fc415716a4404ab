import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { backoffDelay, type BackoffOptions } from '../../util/backoff';
import { describeError } from '../../util/describe-error';
import { sleep } from '../../util/sleep';
import { withTimeout } from '../../util/with-timeout';
import {
  outboxListenCheckTimedOut,
  outboxListenFailed,
  outboxListenLost,
  outboxListensAgain,
} from '../../event-bus.messages';
import { OUTBOX_CHANNEL } from './dialects/postgres';

/**
 * What the listener uses of a `pg` Client. The bus does not import `pg`: the client class is the
 * one TypeORM's PostgresDriver loaded (or the pool's own `extra.Client`).
 */
export interface ListenClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: 'notification', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** The `application_name` the listening connection shows in `pg_stat_activity` (suffixed). */
export const LISTEN_APPLICATION_NAME = 'event-bus outbox listener';

/** When the DataSource sets no connect timeout: a start never waits longer for the database. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * An idle connection whose peer vanished (a black-holed network) notices nothing, and TCP
 * keep-alive takes minutes to tell; a cheap query this often does, in 10 s at most.
 */
const CHECK_EVERY_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
const RECONNECT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
};

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

/**
 * Holds one `LISTEN` connection on `OUTBOX_CHANNEL` and calls `onNotify` for each notification.
 * When the connection drops (a server restart, `pg_terminate_backend`, a failed check) it warns
 * once, reconnects with capped backoff, logs the recovery and calls `onNotify` once, for the
 * commits announced while it was away. Nothing queues: a notification is one call, and at most
 * one connection, one check and one reconnection loop exist at a time. `close` is bounded.
 */
export class PostgresOutboxListener {
  private readonly logger = new Logger(PostgresOutboxListener.name);
  private readonly stopping = new AbortController();
  /** The connection that listens, once `LISTEN` succeeded. */
  private client?: ListenClient;
  /** A connection being opened, so that `close` can end it too. */
  private opening?: ListenClient;
  private reconnecting?: Promise<void>;
  private checkTimer?: NodeJS.Timeout;
  private checking = false;
  private closed = false;

  constructor(
    private readonly createClient: () => ListenClient,
    private readonly onNotify: () => void,
    private readonly backoff: BackoffOptions = RECONNECT_BACKOFF,
  ) {}

  /** Listens, or (the database unreachable) warns and goes on trying in the background. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      this.logger.warn(outboxListenFailed(OUTBOX_CHANNEL, describeError(error)));
      this.reconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    clearInterval(this.checkTimer);
    const clients = [this.client, this.opening].filter((c): c is ListenClient => c !== undefined);
    this.client = this.opening = undefined;
    await Promise.all(clients.map((client) => this.end(client)));
    if (this.reconnecting) await settled(this.reconnecting, CLOSE_TIMEOUT_MS);
  }

  /** One attempt: connect, `LISTEN`, start the checks. Throws when it fails. */
  private async open(): Promise<void> {
    const client = this.createClient();
    this.opening = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', () => this.onNotify());
    try {
      await client.connect();
      await withTimeout(
        client.query(`LISTEN ${OUTBOX_CHANNEL}`),
        QUERY_TIMEOUT_MS,
        outboxListenCheckTimedOut(QUERY_TIMEOUT_MS),
      );
    } catch (error) {
      void this.end(client);
      throw error;
    } finally {
      if (this.opening === client) this.opening = undefined;
    }
    if (this.closed) {
      await this.end(client);
      return;
    }
    this.client = client;
    this.checkTimer = setInterval(() => void this.check(client), CHECK_EVERY_MS);
    this.checkTimer.unref();
  }

  /** The listening connection failed: forget it and reconnect (a stale client is ignored). */
  private lost(client: ListenClient, error: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    clearInterval(this.checkTimer);
    void this.end(client);
    if (this.closed) return;
    this.logger.warn(outboxListenLost(OUTBOX_CHANNEL, describeError(error)));
    this.reconnect();
  }

  private reconnect(): void {
    if (this.reconnecting || this.closed) return;
    const since = Date.now();
    this.reconnecting = this.retry(since).finally(() => (this.reconnecting = undefined));
  }

  private async retry(since: number): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      await sleep(backoffDelay(attempt, this.backoff), this.stopping.signal);
      if (this.closed) return;
      try {
        await this.open();
      } catch {
        continue; // warned once already; the poll delivers meanwhile
      }
      if (this.closed) return;
      this.logger.log(outboxListensAgain(OUTBOX_CHANNEL, Math.round((Date.now() - since) / 1000)));
      // Commits announced while nobody listened were missed.
      this.onNotify();
      return;
    }
  }

  /** A query on the idle connection, so that a vanished peer is noticed. */
  private async check(client: ListenClient): Promise<void> {
    if (this.checking || client !== this.client) return;
    this.checking = true;
    try {
      // LISTEN again rather than SELECT 1: a no-op for the server, and `pg_stat_activity.query`
      // keeps saying what the connection is for.
      await withTimeout(
        client.query(`LISTEN ${OUTBOX_CHANNEL}`),
        QUERY_TIMEOUT_MS,
        outboxListenCheckTimedOut(QUERY_TIMEOUT_MS),
      );
    } catch (error) {
      this.lost(client, error);
    } finally {
      this.checking = false;
    }
  }

  /** Ends a connection without waiting long or failing; its late errors are swallowed. */
  private async end(client: ListenClient): Promise<void> {
    client.removeAllListeners('notification');
    client.removeAllListeners('end');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    await settled(client.end(), CLOSE_TIMEOUT_MS);
  }
}

/** Waits for `work` to settle, at most `ms`; never rejects (a close must not fail or hang). */
function settled(work: Promise<unknown>, ms: number): Promise<void> {
  return withTimeout(work, ms, 'did not settle').then(
    () => undefined,
    () => undefined,
  );
}
