import { Logger } from '@nestjs/common';
import { backoffDelay, type BackoffOptions } from './backoff';
import { describeError } from './describe-error';
import { sleep } from './sleep';
import { withTimeout } from './with-timeout';
import {
  type ListenerRole,
  listenConnectionEnded,
  listenFailed,
  listenLost,
  listensAgain,
  outboxListenCheckTimedOut,
} from '../event-bus.messages';

/**
 * What the listener uses of a `pg` Client. The outbox's listener gets the class TypeORM's
 * PostgresDriver loaded (or the pool's own `extra.Client`); the PostgreSQL transport, `pg`'s.
 */
export interface ListenClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: 'notification', listener: (message: { payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
}

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
 * Holds one `LISTEN` connection on `channel` and calls `onNotify` with each notification's payload.
 * When the connection drops (a server restart, `pg_terminate_backend`, a failed check) it warns
 * once, reconnects with capped backoff, logs the recovery and calls `onNotify` once, for the
 * commits announced while it was away. Nothing queues: a notification is one call, and at most
 * one connection, one check and one reconnection loop exist at a time. `close` is bounded.
 */
export class PostgresListener {
  private readonly logger = new Logger(PostgresListener.name);
  private readonly stopping = new AbortController();
  /** The connection that listens, once `LISTEN` succeeded. */
  private client?: ListenClient;
  /** A connection being opened, so that `close` can end it too. */
  private opening?: ListenClient;
  private reconnecting?: Promise<void>;
  private checkTimer?: NodeJS.Timeout;
  private checking = false;
  private closed = false;
  /** The channel as a quoted identifier: `LISTEN` takes a name, not a parameter. */
  private readonly listenName: string;

  constructor(
    private readonly createClient: () => ListenClient,
    private readonly role: ListenerRole,
    private readonly channel: string,
    /** Called with the notification's payload; without one after a reconnection. */
    private readonly onNotify: (payload?: string) => void,
    private readonly backoff: BackoffOptions = RECONNECT_BACKOFF,
  ) {
    this.listenName = `"${channel.replace(/"/g, '""')}"`;
  }

  /** Listens, or (the database unreachable) warns and goes on trying in the background. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      this.logger.warn(listenFailed(this.role, this.channel, describeError(error)));
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
    client.on('end', () => this.lost(client, new Error(listenConnectionEnded())));
    client.on('notification', (message) => this.onNotify(message.payload));
    try {
      await client.connect();
      await withTimeout(
        client.query(`LISTEN ${this.listenName}`),
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
    this.logger.warn(listenLost(this.role, this.channel, describeError(error)));
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
      this.logger.log(
        listensAgain(this.role, this.channel, Math.round((Date.now() - since) / 1000)),
      );
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
        client.query(`LISTEN ${this.listenName}`),
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
