import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import {
  LISTEN_APPLICATION_NAME,
  type ListenClient,
  listenClientConfig,
  PostgresOutboxListener,
} from './postgres-outbox.listener';
import { OUTBOX_CHANNEL, postgresDialect } from './dialects/postgres';

/**
 * A stand-in for a `pg` Client: the subject is the listener's reconnect logic, not PostgreSQL
 * (test/outbox-notify.e2e-spec.ts runs it against the real server).
 */
class FakeClient extends EventEmitter implements ListenClient {
  readonly queries: string[] = [];
  ended = false;

  constructor(private readonly refuse: boolean) {
    super();
  }

  async connect(): Promise<void> {
    if (this.refuse) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  }

  async query(text: string): Promise<void> {
    this.queries.push(text);
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  /** The server ends the session, as `pg_terminate_backend` does. */
  terminate(): void {
    this.emit('error', new Error('terminating connection due to administrator command'));
    this.emit('end');
  }
}

const FAST = { initialMs: 5, maxMs: 20, multiplier: 2, jitter: 0 };

async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PostgresOutboxListener', () => {
  let clients: FakeClient[];
  /** Whether the next clients refuse to connect. */
  let refusing: boolean;
  let notified: number;
  let warnings: string[];
  let logs: string[];
  let listener: PostgresOutboxListener;

  beforeEach(() => {
    clients = [];
    refusing = false;
    notified = 0;
    warnings = [];
    logs = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => {
      warnings.push(String(m));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => {
      logs.push(String(m));
    });
    listener = new PostgresOutboxListener(
      () => {
        const client = new FakeClient(refusing);
        clients.push(client);
        return client;
      },
      () => notified++,
      FAST,
    );
  });

  afterEach(async () => {
    await listener.close();
    jest.restoreAllMocks();
  });

  it('listens on the outbox channel and wakes once per notification', async () => {
    await listener.start();
    clients[0].emit('notification', { channel: OUTBOX_CHANNEL, payload: '' });
    clients[0].emit('notification', { channel: OUTBOX_CHANNEL, payload: '' });

    expect(clients[0].queries).toEqual([`LISTEN "${OUTBOX_CHANNEL}"`]);
    expect(notified).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('reconnects after the server ends the session, warns once, logs the recovery and wakes once', async () => {
    await listener.start();
    refusing = true;
    clients[0].terminate();
    await until(() => clients.length >= 3);
    refusing = false;
    await until(() => logs.length === 1);

    const current = clients[clients.length - 1];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('lost its LISTEN connection');
    expect(logs[0]).toContain(`listens on "${OUTBOX_CHANNEL}" again`);
    expect(notified).toBe(1);
    expect(current.queries).toEqual([`LISTEN "${OUTBOX_CHANNEL}"`]);
    expect(clients.slice(0, -1).every((c) => c.ended)).toBe(true);

    // The old connection's late events no longer reach the relay.
    clients[0].emit('notification', {});
    current.emit('notification', {});
    expect(notified).toBe(2);
  });

  it('starts without the database, and listens once it is reachable', async () => {
    refusing = true;
    await listener.start();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot LISTEN');
    refusing = false;
    await until(() => logs.length === 1);

    expect(notified).toBe(1);
    expect(clients[clients.length - 1].queries).toEqual([`LISTEN "${OUTBOX_CHANNEL}"`]);
  });

  it('closes while reconnecting without waiting for the backoff, and opens nothing after', async () => {
    refusing = true;
    await listener.start();
    await listener.close();
    const opened = clients.length;
    await new Promise((r) => setTimeout(r, 50));

    expect(clients).toHaveLength(opened);
    expect(clients.every((c) => c.ended)).toBe(true);
  });
});

describe('listenClientConfig', () => {
  const pg = (options: Partial<PostgresConnectionOptions>): PostgresConnectionOptions =>
    ({ type: 'postgres', ...options }) as PostgresConnectionOptions;

  it("takes the DataSource's credentials, as TypeORM's pool does, and names the connection", () => {
    const config = listenClientConfig(
      pg({
        host: 'db',
        port: 6543,
        username: 'app',
        password: 'secret',
        database: 'orders',
        ssl: true,
      }),
    );

    expect(config).toMatchObject({
      host: 'db',
      port: 6543,
      user: 'app',
      password: 'secret',
      database: 'orders',
      ssl: true,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      application_name: LISTEN_APPLICATION_NAME,
    });
  });

  it('uses the replication master, lets extra override, and keeps the application name as a prefix', () => {
    const config = listenClientConfig(
      pg({
        applicationName: 'orders-api',
        connectTimeoutMS: 3000,
        replication: {
          master: { url: 'postgres://master/orders' },
          slaves: [{ url: 'postgres://replica/orders' }],
        },
        extra: { keepAlive: false, statement_timeout: 500, max: 40 },
      }),
    );

    expect(config).toMatchObject({
      connectionString: 'postgres://master/orders',
      keepAlive: false,
      statement_timeout: 500,
      connectionTimeoutMillis: 3000,
      application_name: `orders-api (${LISTEN_APPLICATION_NAME})`,
    });
  });

  it('never connects without a time limit', () => {
    const config = listenClientConfig(pg({ url: 'x', extra: { connectionTimeoutMillis: 0 } }));

    expect(config.connectionTimeoutMillis).toBe(10_000);
  });
});

describe('postgresDialect.announcing', () => {
  it('wraps the insert so that one statement also notifies the channel', () => {
    const sql = postgresDialect.announcing!('INSERT INTO event_outbox (id) VALUES ($1)');

    expect(sql).toBe(
      'WITH inserted AS (INSERT INTO event_outbox (id) VALUES ($1) RETURNING 1) ' +
        `SELECT pg_notify('event_bus_outbox', '') WHERE EXISTS (SELECT 1 FROM inserted)`,
    );
  });
});
