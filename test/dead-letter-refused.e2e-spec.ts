import { Kafka, logLevel } from 'kafkajs';
import { DLQ_HEADERS } from '@nestbus/event-bus';
import { runCli } from './support/cli';
import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';
import { ServiceProcess, startServiceProcess } from './support/processes';

/**
 * A dead letter the broker refuses for good must not block its partition: order-service keeps
 * the whole record in event_dead_letter, sends a reduced letter, and the next record of the same
 * key flows. The dead-letter topic takes smaller records than the topic itself, so the full
 * letter is refused (MESSAGE_TOO_LARGE) as a near-limit record plus its reasons would be.
 */
describe('a dead letter the broker refuses (Kafka, PostgreSQL)', () => {
  let orderDb: TestDatabase;
  let orders: ServiceProcess | undefined;
  const prefix = `${uniqueName('refused')}.`;
  const topic = `${prefix}user.registered`;

  beforeAll(async () => {
    await requireKafka();
    orderDb = await createTestDatabase('postgres');
    const admin = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 3,
            configEntries: [{ name: 'max.message.bytes', value: '65536' }],
          },
          {
            topic: `${topic}.dlq`,
            numPartitions: 3,
            configEntries: [{ name: 'max.message.bytes', value: '8192' }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    await orders?.kill();
    await orderDb?.drop();
  });

  const headers = (id: string): Record<string, string> => ({
    ce_specversion: '1.0',
    ce_id: id,
    ce_source: 'user-service',
    ce_type: 'user.registered',
    ce_dataversion: '1',
    'content-type': 'application/json',
  });

  it('parks the record, sends a reduced letter, lets the key flow on, and replays it from the CLI', async () => {
    orders = await startServiceProcess('order-service', {
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      EVENT_TOPIC_PREFIX: prefix,
      DATABASE_URL: orderDb.url,
    });
    const key = '0192a3b4-0000-7000-8000-0000000000aa';
    // Fails validation (userId is no UUID), and at 20 KB it fits the topic but not its .dlq.
    const poison = Buffer.from(
      JSON.stringify({
        userId: 'not-a-uuid',
        username: 'mallory',
        email: 'mallory@example.com',
        registeredAt: '2026-12-01T00:00:00.000Z',
        note: 'x'.repeat(20_000),
      }),
    );
    const next = {
      userId: key,
      username: 'trent',
      email: 'trent@example.com',
      registeredAt: '2026-12-01T00:00:01.000Z',
    };
    await produceRaw(topic, [
      { key, value: poison, headers: headers(uniqueName('poison')) },
      { key, value: JSON.stringify(next), headers: headers(uniqueName('next')) },
    ]);

    // The next record of the same key (same partition, behind the poison) is applied.
    await eventually(
      async () => (await pgNumber(orderDb, 'SELECT COUNT(*) AS n FROM user_profiles')) === 1,
      'the record behind the refused dead letter applied',
      60000,
    );
    const [reduced] = await readTopic(`${topic}.dlq`, 1, 10000);
    expect(reduced).toBeDefined();
    expect(reduced.value.length).toBe(0);
    expect(reduced.key).toBe(key);
    expect(reduced.headers[DLQ_HEADERS.errorType]).toBe('validation_failed');
    expect(reduced.headers[DLQ_HEADERS.originalSize]).toBe(String(poison.length));
    const parkedId = reduced.headers[DLQ_HEADERS.parkedId];
    expect(parkedId).toMatch(/^[0-9a-f-]{36}$/);

    const stored = await pgNumber(
      orderDb,
      `SELECT COUNT(*) AS n FROM event_dead_letter WHERE id = '${parkedId}' AND value_base64 = '${poison.toString('base64')}'`,
    );
    expect(stored).toBe(1);
    const metrics = await (await fetch(`${orders.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `event_bus_dead_letters_parked_total\\{[^}]*topic="${topic.replace(/\./g, '\\.')}"[^}]*\\} 1`,
      ),
    );

    const env = { DATABASE_URL: orderDb.url, EVENT_TOPIC_PREFIX: prefix };
    const list = await runCli(['dlq', 'parked', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(parkedId);
    expect(list.stdout).toContain('validation_failed');

    const dry = await runCli(['dlq', 'parked', 'replay', parkedId], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would replay/);
    const replay = await runCli(
      ['dlq', 'parked', 'replay', parkedId, '--execute', '--by', 'ops'],
      env,
    );
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^replayed\s+/m);
    // Back in the outbox of order-service's database, for its relay to send again.
    expect(
      await pgNumber(
        orderDb,
        `SELECT COUNT(*) AS n FROM event_outbox WHERE headers LIKE '%"x-replayed-by":"ops"%'`,
      ),
    ).toBe(1);
    const after = await runCli(['dlq', 'parked', 'list'], env);
    expect(after.stdout).not.toContain(parkedId);
  });
});
