import {
  DLQ_HEADERS,
  EventBusModuleOptions,
  EventPublisher,
  InMemoryBroker,
} from '@nestbus/event-bus';
import { OutboxMessage } from '@nestbus/event-bus/operations';
import { IncomingRecord } from '@nestbus/event-bus/transport';
import { createTestDatabase, DatabaseKind, eventually, TestDatabase } from './support/databases';
import {
  Applied,
  HandlerBehaviour,
  Item,
  ItemCreated,
  newBehaviour,
} from './support/item-events.fixture';
import { bootItemApp as boot, ItemApp } from './support/item-app';
import { KAFKA_BROKERS, readTopic, requireKafka, uniqueName } from './support/kafka';

const HANDLER_ID = 'ItemProjector.onItemCreated';
const TOPIC = 'test.item-created';

interface Setup {
  db: DatabaseKind;
  /** `kafka` is kafkajs, `platformatic-kafka` the other client, on the same broker. */
  transport: 'in-memory' | 'kafka' | 'platformatic-kafka';
  /** Records per handler transaction: 100 (the default batch path) or 1 (one by one). */
  perTransaction: number;
}

const SETUPS: Setup[] = [
  { db: 'sqlite', transport: 'in-memory', perTransaction: 100 },
  { db: 'postgres', transport: 'in-memory', perTransaction: 100 },
  { db: 'postgres', transport: 'in-memory', perTransaction: 1 },
  { db: 'postgres', transport: 'kafka', perTransaction: 100 },
  { db: 'postgres', transport: 'platformatic-kafka', perTransaction: 100 },
];

describe.each(SETUPS)(
  'event bus flow on $db with the $transport transport, $perTransaction record(s) per transaction',
  ({ db: kind, transport, perTransaction }) => {
    const onKafka = transport !== 'in-memory';
    const wait = { timeoutMs: onKafka ? 30000 : 5000 };
    let db: TestDatabase;
    let broker: InMemoryBroker;
    let behaviour: HandlerBehaviour;
    let app: ItemApp | undefined;
    let bus: Partial<EventBusModuleOptions>;
    let prefix: string;

    beforeAll(async () => {
      if (onKafka) await requireKafka();
    });

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      broker = new InMemoryBroker();
      behaviour = newBehaviour();
      prefix = uniqueName('flow');
      bus = onKafka
        ? {
            serviceId: prefix,
            transport: { type: transport, brokers: KAFKA_BROKERS },
            topics: { naming: (type: string) => `${prefix}.${type}` },
          }
        : {};
    });

    const bootItemApp = (
      database: TestDatabase,
      memoryBroker: InMemoryBroker,
      handlerBehaviour: HandlerBehaviour,
      options: Partial<EventBusModuleOptions> = {},
    ): Promise<ItemApp> =>
      boot(database, memoryBroker, handlerBehaviour, {
        ...bus,
        ...options,
        consumer: { recordsPerTransaction: perTransaction, ...options.consumer },
      });

    const topic = (name: string): string => (onKafka ? `${prefix}.${name}` : name);

    const deadLetters = async (count: number): Promise<IncomingRecord[]> =>
      onKafka
        ? readTopic(topic(`${TOPIC}.dlq`), count)
        : broker.partitions(`${TOPIC}.dlq`).flatMap((p) => p.read(0, 100));

    afterEach(async () => {
      await app?.close();
      app = undefined;
      await db.drop();
    });

    const applied = (): Promise<Applied[]> =>
      app!.dataSource.getRepository(Applied).find({ order: { id: 'ASC' } });

    it('publishes nothing when the business transaction rolls back', async () => {
      app = await bootItemApp(db, broker, behaviour);
      await expect(app.items.create('rolled-back', 1, { failAfterPublish: true })).rejects.toThrow(
        'business rule failed after publishing',
      );
      await app.items.create('committed', 1);
      await app.helper.waitForHandled(ItemCreated, {
        ...wait,
        where: (e) => e.itemKey === 'committed',
      });

      const outbox = await app.dataSource.getRepository(OutboxMessage).find();
      expect(outbox.map((row) => row.key)).toEqual(['committed']);
      expect(await app.dataSource.getRepository(Item).count()).toBe(1);
      expect((await applied()).map((a) => a.itemKey)).toEqual(['committed']);
      expect(app.helper.sent(ItemCreated).map((e) => e.payload.itemKey)).toEqual(['committed']);
    });

    // SQLite has one writer, so two transactions cannot overlap there: PostgreSQL only.
    if (kind === 'postgres') {
      it('sends a row whose transaction commits after a newer row (out of id order)', async () => {
        app = await bootItemApp(db, broker, behaviour);
        const publisher = app.module.get(EventPublisher);
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let published!: () => void;
        const older = new Promise<void>((resolve) => (published = resolve));
        const slow = app.dataSource.transaction(async (manager) => {
          await publisher.publish(ItemCreated.of('older-id', 1), { manager });
          published();
          await gate;
        });
        await older;
        // Newer id, committed first: a relay reading `id > last sent id` would skip the older row.
        await app.items.create('newer-id', 1);
        await app.helper.waitForHandled(ItemCreated, {
          ...wait,
          where: (e) => e.itemKey === 'newer-id',
        });
        release();
        await slow;
        await app.helper.waitForHandled(ItemCreated, {
          ...wait,
          where: (e) => e.itemKey === 'older-id',
        });
        const outbox = await app.dataSource
          .getRepository(OutboxMessage)
          .find({ order: { id: 'ASC' } });
        expect(outbox.map((row) => [row.key, row.status])).toEqual([
          ['older-id', 'published'],
          ['newer-id', 'published'],
        ]);
      });
    }

    it('applies an event delivered twice only once', async () => {
      app = await bootItemApp(db, broker, behaviour);
      await app.items.create('twice', 1);
      await app.helper.waitForHandled(ItemCreated, wait);

      // Make the relay send the same row again, as after a crash between send and mark. The
      // in-memory broker can deliver (and the handler finish) before the relay marks the row
      // published; resetting it before that mark would be overwritten by it.
      const outbox = app.dataSource.getRepository(OutboxMessage);
      await eventually(
        async () => (await outbox.findOneByOrFail({ key: 'twice' })).status === 'published',
        'the row marked published',
      );
      await outbox.update({ key: 'twice' }, { status: 'pending' });
      const duplicate = await app.helper.waitForHandled(ItemCreated, {
        ...wait,
        status: 'duplicate',
      });

      const rows = await applied();
      expect(rows).toHaveLength(1);
      expect(rows[0].eventId).toBe(duplicate.eventId);
      expect(behaviour.calls).toBe(1);
    });

    it('applies once a handler that fails twice and then succeeds', async () => {
      behaviour.shouldFail = (_event, attempt) => attempt <= 2;
      app = await bootItemApp(db, broker, behaviour);
      await app.items.create('flaky', 1);
      const outcome = await app.helper.waitForHandled(ItemCreated, wait);

      expect(outcome.attempt).toBe(3);
      expect(app.helper.history().map((o) => o.status)).toEqual(['retried', 'retried', 'success']);
      // The failed attempts' writes rolled back with their inbox rows.
      expect((await applied()).map((a) => a.attempt)).toEqual([3]);
    });

    it('dead-letters a record whose handler always fails, and the next event of the key flows', async () => {
      behaviour.shouldFail = (event) => event.seq === 1;
      app = await bootItemApp(db, broker, behaviour, { consumer: { retry: { maxRetries: 2 } } });
      await app.items.create('poisoned', 1);
      await app.items.create('poisoned', 2);
      await app.helper.waitForHandled(ItemCreated, { ...wait, where: (e) => e.seq === 2 });

      const letters = await deadLetters(1);
      expect(letters).toHaveLength(1);
      const headers = letters[0].headers;
      expect(headers[DLQ_HEADERS.handler]).toBe(HANDLER_ID);
      expect(headers[DLQ_HEADERS.attempts]).toBe('3');
      expect(headers[DLQ_HEADERS.errorType]).toBe('Error');
      expect(headers[DLQ_HEADERS.errorMessage]).toContain('planned failure of poisoned#1');
      expect(headers[DLQ_HEADERS.originalTopic]).toBe(topic(TOPIC));
      expect(headers.ce_type).toBe('test.item-created');
      expect(letters[0].key).toBe('poisoned');
      expect(JSON.parse(letters[0].value.toString())).toEqual({ itemKey: 'poisoned', seq: 1 });
      expect((await applied()).map((a) => a.seq)).toEqual([2]);
    });

    it('keeps order per key while different keys are processed concurrently', async () => {
      behaviour.delayMs = () => Math.floor(Math.random() * 4);
      app = await bootItemApp(db, broker, behaviour, { consumer: { concurrency: 8 } });
      const keys = Array.from({ length: 10 }, (_, i) => `key-${i}`);
      const perKey = 20;
      await Promise.all(
        keys.map(async (key) => {
          for (let seq = 1; seq <= perKey; seq++) await app!.items.create(key, seq);
        }),
      );
      await app.helper.waitForCount(ItemCreated, keys.length * perKey, { timeoutMs: 60000 });

      const rows = await applied();
      expect(rows).toHaveLength(keys.length * perKey);
      for (const key of keys) {
        expect(rows.filter((r) => r.itemKey === key).map((r) => r.seq)).toEqual(
          Array.from({ length: perKey }, (_, i) => i + 1),
        );
      }
      // SQLite has one writer, so handlers take turns there; PostgreSQL runs keys side by side.
      if (kind === 'postgres') expect(behaviour.maxInFlight).toBeGreaterThan(1);
    });

    it('loses nothing when shut down while handlers run, and applies nothing twice', async () => {
      behaviour.delayMs = () => 20;
      // At most 5 records per batch: what is in flight at the close (a batch per partition,
      // finished first) is bounded below the total, however many records one fetch returned.
      const consumer = { concurrency: 4, maxBatchSize: 5 };
      app = await bootItemApp(db, broker, behaviour, { consumer });
      const total = 40;
      for (let seq = 1; seq <= total; seq++) await app.items.create(`key-${seq % 4}`, seq);
      await eventually(
        async () => (await applied()).length >= 5,
        'the first handlers to finish',
        30000,
      );

      await app.close();
      expect(behaviour.inFlight).toBe(0);
      const beforeRestart = (await countApplied(db, kind)) as number;
      expect(beforeRestart).toBeLessThan(total);

      app = await bootItemApp(db, broker, behaviour, { consumer });
      await eventually(
        async () => (await applied()).length >= total,
        `all ${total} events applied after restart`,
        30000,
      );
      const rows = await applied();
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => r.eventId)).size).toBe(total);
    });
  },
);

/** Counts applied rows with a fresh connection, while no app is running. */
async function countApplied(db: TestDatabase, kind: DatabaseKind): Promise<number> {
  if (kind === 'sqlite') {
    const Database = (await import('better-sqlite3')).default;
    const sqlite = new Database(db.url, { readonly: true });
    const row = sqlite.prepare('SELECT COUNT(*) AS n FROM test_applied').get() as { n: number };
    sqlite.close();
    return row.n;
  }
  const { Client } = await import('pg');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const result = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM test_applied');
  await client.end();
  return Number(result.rows[0].n);
}
