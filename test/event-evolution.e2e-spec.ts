import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import {
  DLQ_HEADERS,
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  InMemoryBroker,
} from '@nestbus/event-bus';
import { OutboxMessage } from '@nestbus/event-bus/operations';
import { CLI_MAIN, runCli } from './support/cli';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';
import { RunningService, startOrderService, startUserService } from './support/services';

/**
 * `user.registered` version 2 is live: user-service publishes it, order-service handles it. What
 * version 1 left behind still reaches the profile exactly once, upcast on the way: rows in the
 * outbox from before the upgrade, records already on the topic, a dead letter replayed with the
 * CLI. A version the consumer does not know yet is dead-lettered. PostgreSQL and Kafka.
 */
describe('user.registered v1 after the upgrade to v2, on PostgreSQL and Kafka', () => {
  const prefix = `${uniqueName('evolution')}.`;
  const topic = `${prefix}user.registered`;
  let userDb: TestDatabase;
  let orderDb: TestDatabase;
  let users: RunningService;
  let orders: RunningService;
  let orderData: DataSource;

  /** A version 1 payload, as user-service wrote it before the upgrade. */
  const v1 = (username: string) => ({
    userId: uuidv7(),
    username,
    email: `${username}@example.com`,
    registeredAt: new Date().toISOString(),
  });
  /** The CloudEvents headers of a version 1 record. */
  const v1Headers = (id: string, version = '1') => ({
    ce_specversion: '1.0',
    ce_id: id,
    ce_source: 'user-service',
    ce_type: 'user.registered',
    ce_time: new Date().toISOString(),
    ce_dataversion: version,
    'content-type': 'application/json',
  });
  const profilesOf = (userId: string): Promise<Array<{ username: string; display_name: string }>> =>
    orderData.query('SELECT username, display_name FROM user_profiles WHERE user_id = $1', [
      userId,
    ]);

  /** The outbox user-service had when it stopped: a v1 row committed but not yet sent. */
  const oldOutboxRow = (payload: ReturnType<typeof v1>): OutboxMessage =>
    Object.assign(new OutboxMessage(), {
      id: uuidv7(),
      type: 'user.registered',
      version: 1,
      key: payload.userId,
      topic,
      destination: null,
      payload: JSON.stringify(payload),
      headers: '{}',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(),
      lastError: null,
      createdAt: new Date(),
      publishedAt: null,
    });

  const leftInOutbox = v1('left_in_outbox');

  beforeAll(async () => {
    if (!existsSync(CLI_MAIN))
      throw new Error(`${CLI_MAIN} is missing: run "npm run build" first.`);
    await requireKafka();
    userDb = await createTestDatabase('postgres');
    orderDb = await createTestDatabase('postgres');
    // The bus's tables as the old release left them, with one v1 row not yet sent.
    const old = new DataSource({
      type: 'postgres',
      url: userDb.url,
      entities: EVENT_BUS_ENTITIES,
      migrations: EVENT_BUS_MIGRATIONS,
      migrationsRun: true,
    });
    await old.initialize();
    await old.getRepository(OutboxMessage).insert(oldOutboxRow(leftInOutbox));
    await old.destroy();

    const kafka = { kafkaBrokers: KAFKA_BROKERS, topicPrefix: prefix };
    orders = await startOrderService(orderDb, new InMemoryBroker(), kafka);
    users = await startUserService(userDb, new InMemoryBroker(), kafka);
    orderData = orders.app.get(DataSource);
  });

  afterAll(async () => {
    await users?.close();
    await orders?.close();
    await userDb?.drop();
    await orderDb?.drop();
  });

  it('applies a v1 row left in the outbox from before the upgrade, once, upcast', async () => {
    await eventually(
      async () => (await profilesOf(leftInOutbox.userId)).length > 0,
      'the profile of the v1 outbox row',
      60_000,
    );
    expect(await profilesOf(leftInOutbox.userId)).toEqual([
      { username: 'left_in_outbox', display_name: 'left_in_outbox' },
    ]);
  });

  it('applies a v1 record already on the topic once, even delivered twice', async () => {
    const payload = v1('on_the_topic');
    const id = uuidv7();
    const record = { key: payload.userId, value: JSON.stringify(payload), headers: v1Headers(id) };
    await produceRaw(topic, [record, record]);

    await eventually(
      async () => (await profilesOf(payload.userId)).length > 0,
      'the profile of the v1 record',
      30_000,
    );
    const [{ n }] = await orderData.query(
      `SELECT COUNT(*)::int AS n FROM event_inbox WHERE event_id = $1`,
      [id],
    );
    expect(n).toBe(1);
    expect(await profilesOf(payload.userId)).toEqual([
      { username: 'on_the_topic', display_name: 'on_the_topic' },
    ]);
  });

  it('applies a v1 dead letter replayed with the CLI once, upcast', async () => {
    // Dead-lettered for a reason of its own: a stray profile row for that user made the insert
    // fail until an operator removed it.
    const payload = v1('dead_lettered');
    const id = uuidv7();
    await orderData.query(
      `INSERT INTO user_profiles (user_id, username, display_name, email, registered_at)
       VALUES ($1, 'stray', 'stray', 'stray@example.com', now())`,
      [payload.userId],
    );
    await produceRaw(topic, [
      { key: payload.userId, value: JSON.stringify(payload), headers: v1Headers(id) },
    ]);
    const [letter] = (await readTopic(`${topic}.dlq`, 1)).filter((l) => l.headers.ce_id === id);
    expect(letter.headers.ce_dataversion).toBe('1');
    // The handler's error (the stray row's primary key), not a decoding one: v1 was read fine.
    expect(letter.headers[DLQ_HEADERS.errorType]).toBe('QueryFailedError');

    await orderData.query('DELETE FROM user_profiles WHERE user_id = $1', [payload.userId]);
    const run = await runCli(['dlq', 'replay', topic, '--execute', '--event', id, '--by', 'ops'], {
      DATABASE_URL: userDb.url,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SERVICE_ID: 'user-service',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const replayed = await users.app
      .get(DataSource)
      .getRepository(OutboxMessage)
      .findOneByOrFail({ id });
    expect(replayed).toMatchObject({ type: 'user.registered', version: 1 });

    await eventually(
      async () => (await profilesOf(payload.userId)).length > 0,
      'the profile of the replayed v1 dead letter',
      30_000,
    );
    expect(await profilesOf(payload.userId)).toEqual([
      { username: 'dead_lettered', display_name: 'dead_lettered' },
    ]);
  });

  it('dead-letters a v3 record as unsupported_version: the consumer knows up to v2', async () => {
    const payload = { ...v1('from_the_future'), displayName: 'Future' };
    const id = uuidv7();
    await produceRaw(topic, [
      { key: payload.userId, value: JSON.stringify(payload), headers: v1Headers(id, '3') },
    ]);

    // The dead-letter topic holds the earlier test's letter first.
    const letter = (await readTopic(`${topic}.dlq`, 2)).find((l) => l.headers.ce_id === id);
    expect(letter).toBeDefined();
    expect(letter!.headers[DLQ_HEADERS.errorType]).toBe('unsupported_version');
    expect(letter!.headers[DLQ_HEADERS.errorMessage]).toMatch(/version 3, newer than .* 2/);
    expect(await profilesOf(payload.userId)).toEqual([]);
  });
});
