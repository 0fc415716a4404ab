import { InMemoryBroker } from '@nestbus/event-bus';
import { DataSource } from 'typeorm';
import { createTestDatabase, DatabaseKind, eventually, TestDatabase } from './support/databases';
import { http, RunningService, startOrderService, startUserService } from './support/services';

interface Profile {
  userId: string;
  username: string;
  displayName: string;
  email: string;
  registeredAt: string;
  orderCount: number;
  totalSpent: string;
}

describe.each<DatabaseKind>(['sqlite', 'postgres'])('registration to profile on %s', (kind) => {
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let users: RunningService;
  let orders: RunningService;

  beforeAll(async () => {
    userDb = await createTestDatabase(kind);
    orderDb = await createTestDatabase(kind);
    const broker = new InMemoryBroker();
    users = await startUserService(userDb, broker);
    orders = await startOrderService(orderDb, broker);
  });

  afterAll(async () => {
    await orders?.close();
    await users?.close();
    await userDb?.drop();
    await orderDb?.drop();
  });

  const register = (username: string, email = `${username}@example.com`, displayName?: string) =>
    http('POST', `${users.url}/users`, {
      username,
      email,
      password: 'correct horse battery',
      ...(displayName === undefined ? {} : { displayName }),
    });

  it('turns a registration into exactly one profile', async () => {
    const created = await register('ada');
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      username: 'ada',
      displayName: 'ada',
      email: 'ada@example.com',
    });
    const id = String(created.body.id);

    const fetched = await http('GET', `${users.url}/users/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id, username: 'ada', email: 'ada@example.com' });
    expect(JSON.stringify(fetched.body)).not.toMatch(/password|hash|scrypt/i);

    let profile: Profile | undefined;
    await eventually(async () => {
      const answer = await http<Profile>('GET', `${orders.url}/profiles/${id}`);
      profile = answer.status === 200 ? answer.body : undefined;
      return profile !== undefined;
    }, 'the profile of ada');
    expect(profile).toMatchObject({
      userId: id,
      username: 'ada',
      displayName: 'ada',
      email: 'ada@example.com',
      orderCount: 0,
      totalSpent: '0.00',
    });
    expect(Number.isNaN(Date.parse(profile!.registeredAt))).toBe(false);

    const list = await http<{ total: number; items: Profile[] }>(
      'GET',
      `${orders.url}/profiles?offset=0&limit=10`,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.filter((p) => p.userId === id)).toHaveLength(1);
  });

  it('carries the display name chosen at registration to the profile (user.registered v2)', async () => {
    const created = await register('grace_h', 'hopper@example.com', 'Grace Hopper 🐛');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'grace_h', displayName: 'Grace Hopper 🐛' });
    const id = String(created.body.id);
    await eventually(
      async () => (await http('GET', `${orders.url}/profiles/${id}`)).status === 200,
      'the profile of grace_h',
    );
    const profile = await http<Profile>('GET', `${orders.url}/profiles/${id}`);
    expect(profile.body.displayName).toBe('Grace Hopper 🐛');
  });

  it('reports both services healthy on /health, /health/ready and /health/live', async () => {
    for (const service of [users, orders]) {
      const health = await http<{ status: string; info: Record<string, { status: string }> }>(
        'GET',
        `${service.url}/health`,
      );
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
      expect(health.body.info.database.status).toBe('up');
      expect(health.body.info.eventBus.status).toBe('up');
      expect((await http('GET', `${service.url}/health/ready`)).status).toBe(200);
      expect((await http('GET', `${service.url}/health/live`)).status).toBe(200);
    }
  });

  it('serves Prometheus metrics on /metrics and each event hop on /events/:id/trace', async () => {
    const created = await register('metrics_trace');
    expect(created.status).toBe(201);
    const userId = String(created.body.id);
    await eventually(
      async () => (await http('GET', `${orders.url}/profiles/${userId}`)).status === 200,
      'the profile of metrics_trace',
    );
    const param = kind === 'postgres' ? '$1' : '?';
    const [row] = await users.app
      .get(DataSource)
      .query(`SELECT id FROM event_outbox WHERE payload LIKE '%' || ${param} || '%'`, [userId]);
    const eventId = String(row.id);

    const text = async (url: string) => {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
      return response.text();
    };
    const sample = (body: string, metric: string, labels: string) =>
      Number(
        body
          .split('\n')
          .find((line) => line.startsWith(`${metric}{`) && line.includes(labels))
          ?.split(' ')
          .pop() ?? NaN,
      );
    await eventually(async () => {
      const metrics = await text(`${orders.url}/metrics`);
      return (
        sample(
          metrics,
          'event_bus_events_processed_total',
          'service="order-service",type="user.registered",handler="ProfileProjector.onUserRegistered",outcome="success"',
        ) >= 1
      );
    }, 'a success counted by order-service');
    const metrics = await text(`${users.url}/metrics`);
    const user = 'service="user-service",type="user.registered"';
    expect(sample(metrics, 'event_bus_events_published_total', user)).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'event_bus_events_sent_total', user)).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^event_bus_outbox_pending\{service="user-service"\} \d+$/m);
    expect(metrics).toMatch(
      /^event_bus_end_to_end_latency_seconds_count\{service="order-service",type="user.registered",handler="ProfileProjector.onUserRegistered"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^event_bus_consumer_lag\{service="order-service",group="order-service",topic="user.registered",partition="\d+"\} \d+$/m,
    );
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    // Labels carry types and handler names only, never ids or payload data.
    expect(metrics).not.toContain(userId);
    expect(metrics).not.toContain(eventId);

    type Trace = {
      eventId: string;
      service: string;
      hops: Array<{ stage: string; at: string; handler: string | null }>;
    };
    let published: Trace | undefined;
    let handled: Trace | undefined;
    await eventually(async () => {
      const a = await http<Trace>('GET', `${users.url}/events/${eventId}/trace`);
      const b = await http<Trace>('GET', `${orders.url}/events/${eventId}/trace`);
      published = a.status === 200 ? a.body : undefined;
      handled = b.status === 200 ? b.body : undefined;
      return (
        published?.hops.some((h) => h.stage === 'sent') === true &&
        handled?.hops.some((h) => h.stage === 'processed') === true
      );
    }, 'the trace of the registration event');
    expect(published!.hops.map((h) => h.stage)).toEqual(['published', 'sent']);
    expect(handled!.hops.map((h) => [h.stage, h.handler])).toEqual([
      ['received', 'ProfileProjector.onUserRegistered'],
      ['processed', 'ProfileProjector.onUserRegistered'],
    ]);
    expect(Date.parse(handled!.hops[0].at)).toBeGreaterThanOrEqual(
      Date.parse(published!.hops[0].at),
    );

    const unknown = await http<{ message: string }>(
      'GET',
      `${orders.url}/events/0192a3b4-0000-7000-8000-000000000000/trace`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/not seen here yet, or not sampled/);
  });

  it('answers 404 for a profile that does not exist', async () => {
    const answer = await http('GET', `${orders.url}/profiles/0192a3b4-0000-7000-8000-000000000000`);
    expect(answer.status).toBe(404);
  });

  it('rejects invalid input with 400 and the reasons, publishing nothing', async () => {
    const answer = await http<{ message: string[] }>('POST', `${users.url}/users`, {
      username: 'x',
      email: 'not-an-email',
      password: 'short',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message.join(' ')).toMatch(/username/);
    expect(answer.body.message.join(' ')).toMatch(/email/);
    expect(answer.body.message.join(' ')).toMatch(/password/);

    const malformed = await http('POST', `${users.url}/users`, '{"username": "trunc');
    expect(malformed.status).toBe(400);

    const extra = await http('POST', `${users.url}/users`, {
      username: 'mallory',
      email: 'mallory@example.com',
      password: 'correct horse battery',
      isAdmin: true,
    });
    expect(extra.status).toBe(400);

    const blankName = await register('blank_name', 'blank@example.com', '');
    expect(blankName.status).toBe(400);
    expect((blankName.body as { message: string[] }).message.join(' ')).toMatch(/displayName/);
  });

  it('answers 409 when the username or the email is taken', async () => {
    expect((await register('grace')).status).toBe(201);
    const sameName = await register('grace', 'other@example.com');
    expect(sameName.status).toBe(409);
    const sameEmail = await register('grace2', 'grace@example.com');
    expect(sameEmail.status).toBe(409);
  });

  it('pages the profile list with total and items', async () => {
    const ids: string[] = [];
    for (const name of ['p1', 'p2', 'p3'])
      ids.push(String((await register(`pager_${name}`)).body.id));
    await eventually(async () => {
      const all = await http<{ total: number; items: Profile[] }>(
        'GET',
        `${orders.url}/profiles?limit=100`,
      );
      return ids.every((id) => all.body.items.some((p) => p.userId === id));
    }, 'three paged profiles');
    const page = await http<{ total: number; items: Profile[] }>(
      'GET',
      `${orders.url}/profiles?offset=1&limit=2`,
    );
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(4);
    expect((await http('GET', `${orders.url}/profiles?limit=0`)).status).toBe(400);
    expect((await http('GET', `${orders.url}/profiles?offset=-1`)).status).toBe(400);
  });
});
