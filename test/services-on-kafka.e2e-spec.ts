import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { DLQ_HEADERS } from '@nestbus/event-bus';
import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';
import { registerUsers, ServiceProcess, startServiceProcess } from './support/processes';

/**
 * user-service and order-service as separate processes on real Kafka and PostgreSQL, under
 * crashes, a broker outage and poison records.
 */
describe('user-service and order-service as processes on Kafka and PostgreSQL', () => {
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let prefix: string;
  let running: ServiceProcess[] = [];

  beforeAll(requireKafka);

  beforeEach(async () => {
    userDb = await createTestDatabase('postgres');
    orderDb = await createTestDatabase('postgres');
    prefix = `${uniqueName('svc')}.`;
  });

  afterEach(async () => {
    await Promise.all(running.map((p) => p.kill()));
    running = [];
    await userDb.drop();
    await orderDb.drop();
  });

  const common = (): Record<string, string> => ({
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
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

  const startOrders = async (
    env: Record<string, string> = {},
    label = 'order-service',
  ): Promise<ServiceProcess> => {
    const p = await startServiceProcess(
      'order-service',
      { ...common(), DATABASE_URL: orderDb.url, ...env },
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
  const deadLetters = async (): Promise<number> =>
    (await readTopic(`${prefix}user.registered.dlq`, 1, 3000)).length;

  /** Every committed user has exactly one profile, applied once, and nothing was dead-lettered. */
  const expectExactlyOnce = async (expected: number): Promise<void> => {
    await eventually(async () => (await profiles()) >= expected, `${expected} profiles`, 120000);
    expect(await users()).toBe(expected);
    expect(await profiles()).toBe(expected);
    expect(await inboxRows()).toBe(expected);
    expect(await deadLetters()).toBe(0);
  };

  it('turns 1,000 registrations into exactly 1,000 profiles', async () => {
    const userService = await startUsers();
    await startOrders();
    const results = await registerUsers(userService.url, 1000);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1000);
    await expectExactlyOnce(1000);
  });

  it('still applies each event once when order-service is killed mid-stream and restarted', async () => {
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

  it('delivers events committed but not yet sent when user-service was killed', async () => {
    // A relay-less instance commits users and outbox rows but never sends: a crash right after
    // commit, before any send.
    const silent = await startUsers({ OUTBOX_RELAY_ENABLED: 'false' });
    await startOrders();
    expect((await registerUsers(silent.url, 100)).filter((r) => r.status === 201)).toHaveLength(
      100,
    );
    expect(
      await pgNumber(userDb, "SELECT COUNT(*) AS n FROM event_outbox WHERE status = 'pending'"),
    ).toBe(100);
    await silent.kill();
    expect(await profiles()).toBe(0);

    // And a kill in the middle of sending: whatever committed gets delivered, once.
    const relaying = await startUsers();
    const load = registerUsers(relaying.url, 600, { prefix: 'midstream', stopOnUnreachable: true });
    await eventually(async () => (await users()) >= 300, '300 users before the kill', 60000);
    await relaying.kill();
    await load;
    const committed = await users();
    await startUsers();
    await expectExactlyOnce(committed);
  });

  it('keeps answering POST /users while Kafka is down for 10 s, and delivers everything after', async () => {
    const script = resolve(__dirname, '..', 'scripts', 'kafka.sh');
    try {
      execFileSync('bash', [script, 'status'], { stdio: 'pipe' });
    } catch {
      throw new Error(
        'This test stops and restarts the broker: start it with "npm run kafka:start" (scripts/kafka.sh).',
      );
    }
    const userService = await startUsers();
    await startOrders();
    expect(
      (await registerUsers(userService.url, 50, { prefix: 'before' })).every(
        (r) => r.status === 201,
      ),
    ).toBe(true);
    await eventually(async () => (await profiles()) === 50, 'profiles before the outage', 60000);

    execFileSync('bash', [script, 'stop'], { stdio: 'pipe' });
    const downSince = Date.now();
    const during: number[] = [];
    try {
      while (Date.now() - downSince < 10000) {
        const batch = await registerUsers(userService.url, 10, {
          prefix: `during_${during.length}`,
          concurrency: 5,
        });
        during.push(...batch.map((r) => (typeof r.status === 'number' ? r.status : 0)));
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      execFileSync('bash', [script, 'start'], {
        stdio: 'pipe',
        env: { ...process.env, KAFKA_KEEP_DATA: '1' },
      });
    }
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((status) => status === 201)).toBe(true);
    await expectExactlyOnce(50 + during.length);
  });

  it('dead-letters poison records with the reason and keeps the flow going', async () => {
    const userService = await startUsers();
    await startOrders({ EVENT_MAX_MESSAGE_BYTES: String(64 * 1024) });
    const topic = `${prefix}user.registered`;
    const headers = (
      overrides: Record<string, string | undefined> = {},
    ): Record<string, string> => {
      const base: Record<string, string | undefined> = {
        ce_specversion: '1.0',
        ce_id: uniqueName('poison'),
        ce_source: 'attacker',
        ce_type: 'user.registered',
        ce_dataversion: '1',
        'content-type': 'application/json',
        ...overrides,
      };
      return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
    };
    const valid = {
      userId: '0192a3b4-0000-7000-8000-000000000001',
      username: 'eve',
      email: 'eve@example.com',
      registeredAt: new Date().toISOString(),
    };
    // Registering first creates the topic and lets order-service join its group.
    await registerUsers(userService.url, 1, { prefix: 'first' });
    await eventually(async () => (await profiles()) === 1, 'the first profile', 60000);

    await produceRaw(topic, [
      { key: 'a', value: '{"userId": "trunc', headers: headers() },
      { key: 'b', value: JSON.stringify(valid), headers: headers({ ce_type: 'child_process' }) },
      { key: 'c', value: JSON.stringify(valid), headers: headers({ ce_dataversion: '99' }) },
      {
        key: 'd',
        value: JSON.stringify({ ...valid, pad: 'x'.repeat(100 * 1024) }),
        headers: headers(),
      },
      { key: 'e', value: JSON.stringify(valid), headers: headers({ ce_id: undefined }) },
      { key: 'f', value: '{"__proto__": {"polluted": true}, "userId": "x"}', headers: headers() },
      { key: 'g', value: JSON.stringify({ ...valid, email: 42 }), headers: headers() },
    ]);
    expect(
      (await registerUsers(userService.url, 20, { prefix: 'after' })).every(
        (r) => r.status === 201,
      ),
    ).toBe(true);
    await eventually(async () => (await profiles()) === 21, 'profiles after the poison', 60000);

    const letters = await readTopic(`${topic}.dlq`, 7);
    const reasons = Object.fromEntries(
      letters.map((l) => [l.key, l.headers[DLQ_HEADERS.errorType]]),
    );
    expect(reasons).toEqual({
      a: 'malformed',
      b: 'unknown_type',
      c: 'unsupported_version',
      d: 'too_large',
      e: 'malformed',
      f: 'malformed',
      g: 'validation_failed',
    });
    for (const letter of letters) {
      expect(letter.headers[DLQ_HEADERS.originalTopic]).toBe(topic);
      expect(letter.headers[DLQ_HEADERS.errorMessage]).toBeTruthy();
      expect(letter.headers[DLQ_HEADERS.originalOffset]).toMatch(/^\d+$/);
    }
  });
});
