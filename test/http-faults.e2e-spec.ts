import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { KAFKA_BROKERS, requireKafka, uniqueName } from './support/kafka';
import { ServiceProcess, startServiceProcess } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';

/**
 * What HTTP clients see when user-service's PostgreSQL refuses or black-holes connections
 * (through a TCP proxy), and what hostile input gets. Real PostgreSQL and Kafka throughout.
 *
 * Timeouts configured here (shorter than the defaults, to keep the file quick): connect and pool
 * wait 2 s, statement 2 s, client-side query 3 s, idle in transaction 5 s.
 */
const LIMITS = {
  DATABASE_CONNECT_TIMEOUT_MS: '2000',
  DATABASE_STATEMENT_TIMEOUT_MS: '2000',
  DATABASE_QUERY_TIMEOUT_MS: '3000',
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
};
const REQUEST_BOUND_MS = 15_000;
const HEALTH_BOUND_MS = 3_000;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function call(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return {
    status: response.status,
    ms: Date.now() - started,
    retryAfter: response.headers.get('retry-after'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const register = (url: string, name: string, email = `${name}@example.com`) =>
  call('POST', `${url}/users`, { username: name, email, password: 'correct horse battery' });

describe('HTTP answers under database faults and hostile input', () => {
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let proxy: TcpProxy;
  let users: ServiceProcess;
  let orders: ServiceProcess;

  beforeAll(async () => {
    await requireKafka();
    userDb = await createTestDatabase('postgres');
    orderDb = await createTestDatabase('postgres');
    const target = new URL(userDb.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port));
    const common = {
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      EVENT_TOPIC_PREFIX: `${uniqueName('http')}.`,
      PASSWORD_SCRYPT_COST: '1024',
      ...LIMITS,
    };
    [users, orders] = await Promise.all([
      startServiceProcess('user-service', { ...common, DATABASE_URL: proxy.rewrite(userDb.url) }),
      startServiceProcess('order-service', { ...common, DATABASE_URL: orderDb.url }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([users?.kill(), orders?.kill()]);
    await proxy?.close();
    await userDb?.drop();
    await orderDb?.drop();
  });

  afterEach(() => proxy.set('forward'));

  const healthy = async (): Promise<boolean> =>
    (await call('GET', `${users.url}/health`, undefined, 5_000)).status === 200;

  const expectUnhealthyFast = async (): Promise<Answer> => {
    const health = await call('GET', `${users.url}/health`, undefined, 10_000);
    expect(health.status).toBe(503);
    expect(health.ms).toBeLessThanOrEqual(HEALTH_BOUND_MS);
    expect(health.body.error).toHaveProperty('database.status', 'down');
    expect(health.body.error).toHaveProperty('database.message');
    return health;
  };

  it('answers 503 with a reason and Retry-After while the database refuses, and loses no 201', async () => {
    await eventually(healthy, 'user-service healthy before the outage', 30_000);
    const answers: Array<Answer & { name: string }> = [];
    const send = async (name: string) =>
      answers.push({ name, ...(await register(users.url, name)) });

    await Promise.all(['before_0', 'before_1'].map(send));
    proxy.set('refuse');
    for (let i = 0; i < 3; i++)
      await Promise.all([0, 1, 2, 3].map((n) => send(`during_${i}_${n}`)));
    proxy.set('forward');
    await eventually(healthy, 'user-service healthy after the outage', 30_000);
    await Promise.all(['after_0', 'after_1'].map(send));

    for (const answer of answers) {
      expect([201, 503]).toContain(answer.status);
      expect(answer.ms).toBeLessThanOrEqual(REQUEST_BOUND_MS);
      if (answer.status === 503) {
        expect(answer.retryAfter).toMatch(/^\d+$/);
        expect(answer.body.message).toMatch(/database is unavailable/);
      }
    }
    const during = answers.filter((a) => a.name.startsWith('during_'));
    expect(during.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    expect(
      answers.filter((a) => !a.name.startsWith('during_')).every((a) => a.status === 201),
    ).toBe(true);

    const created = answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
    // Every 201 is a user in the database, and only those are: a 503 committed nothing.
    expect(await pgNumber(userDb, 'SELECT COUNT(*) AS n FROM users')).toBe(created.length);
    for (const id of created) {
      expect(await pgNumber(userDb, `SELECT COUNT(*) AS n FROM users WHERE id = '${id}'`)).toBe(1);
    }
    await eventually(
      async () => {
        const statuses = await Promise.all(
          created.map(async (id) => (await call('GET', `${orders.url}/profiles/${id}`)).status),
        );
        return statuses.every((s) => s === 200);
      },
      'a profile in order-service for every user answered 201',
      60_000,
    );
  });

  it('answers /health 503 within 3 s naming the database while it refuses, then 200 by itself', async () => {
    await eventually(healthy, 'healthy before', 30_000);
    proxy.set('refuse');
    await expectUnhealthyFast();
    proxy.set('forward');
    await eventually(healthy, '/health 200 again after the database came back', 30_000);
  });

  it('answers /health and POST /users within their bounds while the database black-holes', async () => {
    await eventually(healthy, 'healthy before', 30_000);
    proxy.set('blackhole');
    const [health, registration] = await Promise.all([
      expectUnhealthyFast(),
      register(users.url, 'blackholed'),
    ]);
    expect(health.ms).toBeLessThanOrEqual(HEALTH_BOUND_MS);
    expect(registration.status).toBe(503);
    expect(registration.retryAfter).toMatch(/^\d+$/);
    expect(registration.ms).toBeLessThanOrEqual(REQUEST_BOUND_MS);
    // A second probe while still black-holed: the first's stuck connection must not make it hang.
    await expectUnhealthyFast();
    proxy.set('forward');
    await eventually(healthy, '/health 200 again after the black hole', 30_000);
    expect((await register(users.url, 'after_blackhole')).status).toBe(201);
  });

  describe('hostile input', () => {
    it('answers 400 for a JSON body nested 10,000 levels deep', async () => {
      const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      const answer = await call('POST', `${users.url}/users`, deep);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/deeper than 32 levels/);
    });

    it('answers 413 for an oversized body', async () => {
      const answer = await call('POST', `${users.url}/users`, { username: 'x'.repeat(100_000) });
      expect(answer.status).toBe(413);
    });

    it.each(['offset=1e20', 'limit=-1', 'limit=abc', 'limit=100000000000000000000', 'offset=-1'])(
      'answers 400 for GET /profiles?%s',
      async (query) => {
        const answer = await call('GET', `${orders.url}/profiles?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body.message).toBeDefined();
      },
    );

    it('keeps GET /profiles answering {total, items} for sane parameters', async () => {
      const answer = await call('GET', `${orders.url}/profiles?offset=0&limit=5`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ total: expect.any(Number), items: expect.any(Array) });
    });

    it('answers 409 for shared@x.com after Shared@x.com', async () => {
      const first = await register(users.url, 'shared_upper', 'Shared@x.com');
      expect(first.status).toBe(201);
      expect(first.body.email).toBe('shared@x.com');
      const second = await register(users.url, 'shared_lower', 'shared@x.com');
      expect(second.status).toBe(409);
      expect(
        await pgNumber(
          userDb,
          "SELECT COUNT(*) AS n FROM users WHERE lower(email) = 'shared@x.com'",
        ),
      ).toBe(1);
    });
  });
});
