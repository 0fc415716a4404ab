import type { TestingModule } from '@nestjs/testing';
import { Column, DataSource, Entity, EntityManager, PrimaryColumn } from 'typeorm';
import { bootTestApp } from '../__fixtures__/event-bus-test-app';
import { EVENT_BUS_ENTITIES } from '../event-bus.entities';
import { InboxRecord } from '../storage/typeorm/entities/inbox-record.entity';
import { InboxStore } from '../storage/inbox.store';
import type { StorageTransaction } from '../storage/unit-of-work';
import { managerOf } from '../storage/typeorm/typeorm-unit-of-work';
import { InboxConsumer } from './inbox.consumer';

/** A business table written by handlers. */
@Entity({ name: 'test_projection' })
class Projection {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'integer' })
  value!: number;
}

const DAY = 24 * 60 * 60 * 1000;

describe('InboxConsumer', () => {
  let app: TestingModule;
  let inbox: InboxConsumer;
  let store: InboxStore;
  let dataSource: DataSource;

  beforeEach(async () => {
    app = await bootTestApp({
      entities: [...EVENT_BUS_ENTITIES, Projection],
      bus: { consumer: { enabled: false }, outbox: { enabled: false } },
    });
    inbox = app.get(InboxConsumer);
    store = app.get(InboxStore);
    dataSource = app.get(DataSource);
  });

  afterEach(async () => {
    await app.close();
  });

  it('runs the work once and answers duplicate the second time', async () => {
    const work = jest.fn(async (tx: StorageTransaction) => {
      await managerOf(tx).insert(Projection, { id: 'p-1', value: 1 });
    });

    expect(await inbox.handleOnce('event-1', 'Projector.on', work)).toBe('processed');
    expect(await inbox.handleOnce('event-1', 'Projector.on', work)).toBe('duplicate');

    expect(work).toHaveBeenCalledTimes(1);
    expect(await dataSource.getRepository(Projection).count()).toBe(1);
    expect(await store.isProcessed('event-1', 'Projector.on')).toBe(true);
  });

  it('keeps events and handlers apart: another handler or another event runs', async () => {
    const work = jest.fn(async () => undefined);

    await inbox.handleOnce('event-1', 'A.on', work);

    expect(await inbox.handleOnce('event-1', 'B.on', work)).toBe('processed');
    expect(await inbox.handleOnce('event-2', 'A.on', work)).toBe('processed');
    expect(work).toHaveBeenCalledTimes(3);
    expect(await store.isProcessed('event-2', 'B.on')).toBe(false);
  });

  it('hands the work the transaction that records the event', async () => {
    let seen: EntityManager | undefined;

    await inbox.handleOnce('event-1', 'A.on', async (tx) => {
      const manager = managerOf(tx);
      seen = manager;
      // Inside the transaction the inbox row already exists.
      expect(await manager.countBy(InboxRecord, { eventId: 'event-1', handler: 'A.on' })).toBe(1);
    });

    expect(seen?.queryRunner?.isTransactionActive).toBe(false);
  });

  it('leaves no inbox row and none of its writes when the work throws, so a retry runs it again', async () => {
    const failure = new Error('handler failed');
    let calls = 0;
    const work = async (tx: StorageTransaction): Promise<void> => {
      calls += 1;
      await managerOf(tx).insert(Projection, { id: `p-${calls}`, value: calls });
      if (calls === 1) throw failure;
    };

    await expect(inbox.handleOnce('event-1', 'A.on', work)).rejects.toBe(failure);

    expect(await store.isProcessed('event-1', 'A.on')).toBe(false);
    expect(await dataSource.getRepository(Projection).count()).toBe(0);

    expect(await inbox.handleOnce('event-1', 'A.on', work)).toBe('processed');
    expect(calls).toBe(2);
    expect((await dataSource.getRepository(Projection).find()).map((p) => p.id)).toEqual(['p-2']);
  });

  it('runs concurrent deliveries of one event once', async () => {
    const work = jest.fn(async (tx: StorageTransaction) => {
      await managerOf(tx).insert(Projection, { id: 'p-1', value: 1 });
    });

    const results = await Promise.all([
      inbox.handleOnce('event-1', 'A.on', work),
      inbox.handleOnce('event-1', 'A.on', work),
      inbox.handleOnce('event-1', 'A.on', work),
    ]);

    expect(results.sort()).toEqual(['duplicate', 'duplicate', 'processed']);
    expect(work).toHaveBeenCalledTimes(1);
  });

  describe('retention', () => {
    it('deletes rows processed before the cutoff and keeps the newer ones', async () => {
      const repo = dataSource.getRepository(InboxRecord);
      await repo.insert([
        { eventId: 'old-1', handler: 'A.on', processedAt: new Date(Date.now() - 20 * DAY) },
        { eventId: 'old-2', handler: 'B.on', processedAt: new Date(Date.now() - 15 * DAY) },
        { eventId: 'recent', handler: 'A.on', processedAt: new Date(Date.now() - DAY) },
      ]);
      await inbox.handleOnce('fresh', 'A.on', async () => undefined);

      expect(await store.deleteProcessedBefore(new Date(Date.now() - 14 * DAY))).toBe(2);

      const left = await repo.find({ order: { eventId: 'ASC' } });
      expect(left.map((r) => r.eventId)).toEqual(['fresh', 'recent']);
    });

    it('compares the time recorded by handleOnce with the cutoff correctly', async () => {
      await inbox.handleOnce('fresh', 'A.on', async () => undefined);

      expect(await store.deleteProcessedBefore(new Date(Date.now() - 60 * 1000))).toBe(0);
      expect(await store.deleteProcessedBefore(new Date(Date.now() + 60 * 1000))).toBe(1);
      expect(await store.isProcessed('fresh', 'A.on')).toBe(false);
    });

    it('stores processedAt as the TypeORM Date column it reads back', async () => {
      const before = Date.now();
      await inbox.handleOnce('fresh', 'A.on', async () => undefined);
      const after = Date.now();

      const [record] = await dataSource.getRepository(InboxRecord).find();
      expect(record.processedAt).toBeInstanceOf(Date);
      expect(record.processedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(record.processedAt.getTime()).toBeLessThanOrEqual(after);
    });
  });
});
