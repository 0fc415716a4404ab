import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { KAFKA_BROKERS, readTopic, requireKafka, uniqueName } from './support/kafka';
import { registerUsers, ServiceProcess, startServiceProcess } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';

/**
 * order-service's database goes away while events flow (refused through a TCP proxy of the
 * test's own, never by stopping the shared server): the consumer waits, nothing is
 * dead-lettered, every profile is applied once, and /health says so while it lasts.
 */
describe("order-service's database refused while events flow (Kafka, PostgreSQL)", () => {
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let proxy: TcpProxy;
  let prefix: string;
  let running: ServiceProcess[] = [];

  beforeAll(requireKafka);

  beforeEach(async () => {
    userDb = await createTestDatabase('postgres');
    orderDb = await createTestDatabase('postgres');
    const target = new URL(orderDb.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    prefix = `${uniqueName('outage')}.`;
  });

  afterEach(async () => {
    await Promise.all(running.map((p) => p.kill()));
    running = [];
    await proxy.close();
    await userDb.drop();
    await orderDb.drop();
  });

  const start = async (): Promise<{ users: ServiceProcess; orders: ServiceProcess }> => {
    const common = {
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      EVENT_TOPIC_PREFIX: prefix,
      PASSWORD_SCRYPT_COST: '1024',
    };
    const users = await startServiceProcess('user-service', {
      ...common,
      DATABASE_URL: userDb.url,
    });
    running.push(users);
    const orders = await startServiceProcess('order-service', {
      ...common,
      DATABASE_URL: proxy.rewrite(orderDb.url),
    });
    running.push(orders);
    return { users, orders };
  };

  const count = (db: TestDatabase, table: string): Promise<number> =>
    pgNumber(db, `SELECT COUNT(*) AS n FROM ${table}`);

  const health = async (url: string): Promise<number | 'no answer'> => {
    try {
      return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })).status;
    } catch {
      return 'no answer';
    }
  };

  /** Refuses the database for `ms` once `after` profiles exist, polling /health meanwhile. */
  const outageUnderLoad = async (total: number, after: number, ms: number): Promise<void> => {
    const { users, orders } = await start();
    const load = registerUsers(users.url, total, { concurrency: 8 });
    await eventually(
      async () => (await count(orderDb, 'user_profiles')) >= after,
      `${after} profiles`,
      60000,
    );

    const answers: Array<number | 'no answer'> = [];
    const outage = proxy.outage(ms);
    const polling = (async () => {
      const until = Date.now() + ms - 500;
      while (Date.now() < until) {
        answers.push(await health(orders.url));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await Promise.all([outage, polling]);

    const results = await load;
    expect(results.filter((r) => r.status === 201)).toHaveLength(total);
    // /health told the truth during the outage, in time, and recovers by itself.
    expect(answers).not.toContain('no answer');
    expect(answers).toContain(503);
    await eventually(async () => (await health(orders.url)) === 200, '/health 200 after', 30000);

    await eventually(
      async () => (await count(orderDb, 'user_profiles')) >= total,
      `${total} profiles after the outage`,
      120000,
    );
    expect(await count(userDb, 'users')).toBe(total);
    expect(await count(orderDb, 'user_profiles')).toBe(total);
    expect(await count(orderDb, 'event_inbox')).toBe(total);
    expect(await readTopic(`${prefix}user.registered.dlq`, 1, 3000)).toHaveLength(0);
    expect(orders.logTail(400)).toMatch(/waits: a dependency is unavailable/);
  };

  it('waits out 3 s of refused connections: 0 dead letters, every profile once', () =>
    outageUnderLoad(200, 20, 3000));

  it('waits out 20 s of refused connections: 0 dead letters, every profile once', () =>
    outageUnderLoad(500, 50, 20000));
});
