import { DLQ_HEADERS } from '@nestbus/event-bus';
import { PostgresTransport } from '@nestbus/event-bus/transport';
import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { uniqueName } from './support/kafka';
import { registerUsers, ServiceProcess, startServiceProcess } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';

/**
 * user-service and order-service as separate processes with no Kafka at all: the broker-less
 * transport on a bus database (EVENT_TRANSPORT=postgres, BUS_DATABASE_URL), each service on its
 * own database, under crashes, a second consumer joining, poison records and the bus database
 * refusing connections. The bus database is reached through a TCP proxy of the test's own, so
 * an outage never touches the shared server.
 */
describe('user-service and order-service as processes on the PostgreSQL transport (no Kafka)', () => {
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let busDb: TestDatabase;
  let proxy: TcpProxy;
  let prefix: string;
  let running: ServiceProcess[] = [];

  beforeEach(async () => {
    [userDb, orderDb, busDb] = await Promise.all([
      createTestDatabase('postgres'),
      createTestDatabase('postgres'),
      createTestDatabase('postgres'),
    ]);
    const bus = new URL(busDb.url);
    proxy = await TcpProxy.start(bus.hostname, Number(bus.port || 5432));
    prefix = `${uniqueName('pgt')}.`;
  });

  afterEach(async () => {
    await Promise.all(running.map((p) => p.kill()));
    running = [];
    await proxy.close();
    await Promise.all([userDb.drop(), orderDb.drop(), busDb.drop()]);
  });

  const common = (): Record<string, string> => ({
    EVENT_TRANSPORT: 'postgres',
    BUS_DATABASE_URL: proxy.rewrite(busDb.url),
    // Nothing may reach a broker: a wrong turn to Kafka fails instead of passing unseen.
    KAFKA_BROKERS: '',
    EVENT_TOPIC_PREFIX: prefix,
    PASSWORD_SCRYPT_COST: '1024',
  });

  const startUsers = async (env: Record<string, string> = {}): Promise<ServiceProcess> => {
    const p = await startServiceProcess('user-service', {
      ...common(),
      DATABASE_URL: userDb.url,
      ...env,
    });
    running.push(p);
    return p;
  };

  const startOrders = async (label = 'order-service'): Promise<ServiceProcess> => {
    const p = await startServiceProcess(
      'order-service',
      { ...common(), DATABASE_URL: orderDb.url },
      label,
    );
    running.push(p);
    return p;
  };

  const users = (): Promise<number> => pgNumber(userDb, 'SELECT COUNT(*) AS n FROM users');
  const profiles = (): Promise<number> =>
    pgNumber(orderDb, 'SELECT COUNT(*) AS n FROM user_profiles');
  const inboxRows = (): Promise<number> =>
    pgNumber(orderDb, 'SELECT COUNT(*) AS n FROM event_inbox');
  const onTopic = (suffix: string): Promise<number> =>
    pgNumber(
      busDb,
      `SELECT COUNT(*) AS n FROM event_bus_log WHERE topic = '${prefix}user.registered${suffix}'`,
    );

  /** Every committed user has exactly one profile, applied once, and nothing was dead-lettered. */
  const expectExactlyOnce = async (expected: number): Promise<void> => {
    await eventually(async () => (await profiles()) >= expected, `${expected} profiles`, 120000);
    expect(await users()).toBe(expected);
    expect(await profiles()).toBe(expected);
    expect(await inboxRows()).toBe(expected);
    expect(await onTopic('.dlq')).toBe(0);
  };

  it('turns 1,000 registrations into exactly 1,000 profiles while order-service is killed mid-stream and restarted', async () => {
    const userService = await startUsers();
    const orderService = await startOrders();
    const load = registerUsers(userService.url, 1000);
    await eventually(async () => (await profiles()) >= 200, '200 profiles before the kill', 120000);
    await orderService.kill();
    const atKill = await profiles();
    await startOrders();
    expect((await load).filter((r) => r.status === 201)).toHaveLength(1000);
    expect(atKill).toBeLessThan(1000);
    await expectExactlyOnce(1000);
  });

  it('delivers every event user-service committed before it was killed', async () => {
    const relaying = await startUsers();
    await startOrders();
    const load = registerUsers(relaying.url, 600, { prefix: 'midstream', stopOnUnreachable: true });
    await eventually(async () => (await users()) >= 300, '300 users before the kill', 60000);
    await relaying.kill();
    await load;
    const committed = await users();
    await startUsers();
    await expectExactlyOnce(committed);
  });

  it('shares the partitions with a second order-service that joins mid-stream, each event applied once', async () => {
    const userService = await startUsers();
    await startOrders('order-service-1');
    const load = registerUsers(userService.url, 1000);
    await eventually(async () => (await profiles()) >= 150, '150 profiles before the join', 120000);
    await startOrders('order-service-2');
    // Both members hold partitions of the group at once: the second took its share.
    await eventually(
      async () =>
        (await pgNumber(
          busDb,
          `SELECT COUNT(DISTINCT owner) AS n FROM event_bus_group_partition
            WHERE topic = '${prefix}user.registered' AND expires_at > now()`,
        )) === 2,
      'two members holding partitions',
      60000,
    );
    expect((await load).filter((r) => r.status === 201)).toHaveLength(1000);
    await expectExactlyOnce(1000);
  });

  it('dead-letters poison records with the reason while the flow goes on', async () => {
    const userService = await startUsers();
    await startOrders();
    await registerUsers(userService.url, 1, { prefix: 'first' });
    await eventually(async () => (await profiles()) === 1, 'the first profile', 60000);

    const topic = `${prefix}user.registered`;
    const headers = (overrides: Record<string, string> = {}): Record<string, string> => ({
      ce_specversion: '1.0',
      ce_id: uniqueName('poison'),
      ce_source: 'attacker',
      ce_type: 'user.registered',
      ce_dataversion: '1',
      'content-type': 'application/json',
      ...overrides,
    });
    const valid = {
      userId: '0192a3b4-0000-7000-8000-000000000001',
      username: 'eve',
      email: 'eve@example.com',
      registeredAt: new Date().toISOString(),
    };
    const attacker = new PostgresTransport({ type: 'postgres', url: busDb.url }, 'attacker');
    await attacker.connect();
    try {
      await attacker.send([
        { topic, key: 'a', value: Buffer.from('{"userId": "trunc'), headers: headers() },
        {
          topic,
          key: 'b',
          value: Buffer.from(JSON.stringify(valid)),
          headers: headers({ ce_type: 'child_process' }),
        },
        {
          topic,
          key: 'c',
          value: Buffer.from(JSON.stringify({ ...valid, email: 42 })),
          headers: headers(),
        },
      ]);
    } finally {
      await attacker.close();
    }
    expect(
      (await registerUsers(userService.url, 20, { prefix: 'after' })).every(
        (r) => r.status === 201,
      ),
    ).toBe(true);
    await eventually(async () => (await profiles()) === 21, 'profiles after the poison', 60000);
    await eventually(async () => (await onTopic('.dlq')) === 3, 'three dead letters', 30000);

    const letters = await pgRows<{ key: string; headers: Array<[string, string]> }>(
      busDb,
      `SELECT convert_from(key, 'UTF8') AS key, headers FROM event_bus_log
        WHERE topic = '${topic}.dlq' ORDER BY key`,
    );
    const header = (pairs: Array<[string, string]>, name: string): string | undefined => {
      const found = pairs.find(([n]) => n === name);
      return found && Buffer.from(found[1], 'base64').toString('utf8');
    };
    expect(letters.map((l) => [l.key, header(l.headers, DLQ_HEADERS.errorType)])).toEqual([
      ['a', 'malformed'],
      ['b', 'unknown_type'],
      ['c', 'validation_failed'],
    ]);
    for (const letter of letters) {
      expect(header(letter.headers, DLQ_HEADERS.originalTopic)).toBe(topic);
      expect(header(letter.headers, DLQ_HEADERS.originalOffset)).toMatch(/^\d+$/);
    }
  });

  it('waits out the bus database refusing connections for 10 s: nothing dead-lettered, every profile once', async () => {
    const userService = await startUsers();
    const orderService = await startOrders();
    expect(
      (await registerUsers(userService.url, 50, { prefix: 'before' })).every(
        (r) => r.status === 201,
      ),
    ).toBe(true);
    await eventually(async () => (await profiles()) === 50, 'profiles before the outage', 60000);

    const health = async (url: string): Promise<{ status: number; body: string }> => {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      return { status: response.status, body: await response.text() };
    };
    expect((await health(orderService.url)).status).toBe(200);
    proxy.set('refuse');
    const downSince = Date.now();
    const during: number[] = [];
    try {
      // /health says the bus database is down, within its bound, naming the transport.
      const down = await health(orderService.url);
      expect(down.status).toBe(503);
      expect(down.body).toContain('transport postgresql');
      while (Date.now() - downSince < 10000) {
        const batch = await registerUsers(userService.url, 10, {
          prefix: `during_${during.length}`,
          concurrency: 5,
        });
        during.push(...batch.map((r) => (typeof r.status === 'number' ? r.status : 0)));
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      proxy.set('forward');
    }
    // The service's own database stayed up: registrations go on, into the outbox.
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((status) => status === 201)).toBe(true);
    await expectExactlyOnce(50 + during.length);
    await eventually(
      async () => (await health(orderService.url)).status === 200,
      '/health 200 after the outage',
      30000,
    );
  });
});

async function pgRows<T>(db: TestDatabase, sql: string): Promise<T[]> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
