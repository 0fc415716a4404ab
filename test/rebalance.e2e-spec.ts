import { EventBusModuleOptions, InMemoryBroker } from '@nestbus/event-bus';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { Applied, newBehaviour } from './support/item-events.fixture';
import { bootItemApp, ItemApp } from './support/item-app';
import { KAFKA_BROKERS, requireKafka, uniqueName } from './support/kafka';

/**
 * A second consumer instance joins the group mid-stream on real Kafka: partitions move, yet
 * each key's events are applied in order and exactly once.
 */
// On both Kafka clients: @platformatic/kafka rejoins a rebalance at once (see its transport), so
// the order per key must hold while a revoked partition's batch is still finishing.
describe.each(['kafka', 'platformatic-kafka'] as const)(
  'rebalance on Kafka (%s) and PostgreSQL',
  (type) => {
    let db: TestDatabase;
    const apps: ItemApp[] = [];

    beforeAll(requireKafka);

    beforeEach(async () => {
      db = await createTestDatabase('postgres');
    });

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      await db.drop();
    });

    it('keeps order per key and applies each event once while a second instance joins', async () => {
      const prefix = uniqueName('rebalance');
      const options: Partial<EventBusModuleOptions> = {
        serviceId: prefix,
        transport: { type, brokers: KAFKA_BROKERS },
        topics: { naming: (type: string) => `${prefix}.${type}`, partitions: 4 },
        consumer: { concurrency: 4, maxBatchSize: 20 },
      };
      const first = newBehaviour();
      first.delayMs = () => 5;
      const second = newBehaviour();
      second.delayMs = () => 5;
      const unused = new InMemoryBroker();
      apps.push(await bootItemApp(db, unused, first, options));

      const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
      let published = 0;
      // Publish rounds (one event per key) until the second instance has handled some events, so
      // the stream is still flowing when partitions move.
      const publishing = (async () => {
        for (let seq = 1; seq <= 40 || (second.calls === 0 && seq <= 400); seq++) {
          for (const key of keys) await apps[0].items.create(key, seq);
          published = seq;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const applied = () => apps[0].dataSource.getRepository(Applied).count();
      await eventually(
        async () => (await applied()) >= 40,
        'the first instance to get going',
        60000,
      );
      apps.push(await bootItemApp(db, unused, second, options));
      await publishing;
      const perKey = published;
      const total = keys.length * perKey;
      await eventually(
        async () => (await applied()) >= total,
        `all ${total} events applied`,
        120000,
      );

      const rows = await apps[0].dataSource.getRepository(Applied).find({ order: { id: 'ASC' } });
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => r.eventId)).size).toBe(total);
      for (const key of keys) {
        expect(rows.filter((r) => r.itemKey === key).map((r) => r.seq)).toEqual(
          Array.from({ length: perKey }, (_, i) => i + 1),
        );
      }
      // The join really moved partitions: both instances handled events.
      expect(first.calls).toBeGreaterThan(0);
      expect(second.calls).toBeGreaterThan(0);
      expect(apps[1].helper.history().some((o) => o.type === 'test.item-created')).toBe(true);
    });
  },
);
