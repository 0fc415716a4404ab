import { TransportError } from '../../errors/transport.error';
import type { TestingModule } from '@nestjs/testing';
import { DataSource, Repository } from 'typeorm';
import { bootTestApp, outboxRow } from '../../__fixtures__/event-bus-test-app';
import type { EventBusModuleOptions } from '../../interfaces/event-bus-options.interface';
import { OutboxMessage } from './entities/outbox-message.entity';
import { OutboxStore } from '../outbox.store';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

function ago(ms: number): Date {
  return new Date(Date.now() - ms);
}

const row = outboxRow;

describe('OutboxStore', () => {
  let app: TestingModule;
  let store: OutboxStore;
  let dataSource: DataSource;
  let rows: Repository<OutboxMessage>;

  async function boot(bus: Partial<EventBusModuleOptions> = {}): Promise<void> {
    app = await bootTestApp({
      bus: {
        consumer: { enabled: false },
        ...bus,
        outbox: { enabled: false, maxAttempts: 4, ...bus.outbox },
      },
    });
    store = app.get(OutboxStore);
    dataSource = app.get(DataSource);
    rows = dataSource.getRepository(OutboxMessage);
  }

  afterEach(async () => {
    await app?.close();
  });

  const claim = (limit = 100, now = new Date()): Promise<string[]> =>
    dataSource.transaction(async (manager) =>
      (await store.claimDue(manager, limit, now)).map((r) => r.id),
    );

  const statusOf = async (id: string): Promise<OutboxMessage> => rows.findOneByOrFail({ id });

  describe('claimDue', () => {
    beforeEach(() => boot());

    it('returns due pending rows in id order, up to the limit', async () => {
      await rows.insert([row('03'), row('01'), row('02'), row('04')]);

      expect(await claim()).toEqual(['01', '02', '03', '04']);
      expect(await claim(2)).toEqual(['01', '02']);
    });

    it('skips rows not yet due, published rows and failed rows', async () => {
      await rows.insert([
        row('01', { nextAttemptAt: new Date(Date.now() + HOUR) }),
        row('02', { status: 'published', publishedAt: ago(MINUTE) }),
        row('03', { status: 'failed' }),
        row('04'),
      ]);

      expect(await claim()).toEqual(['04']);
    });

    it('drops a row whose older row of the same key is still waiting, but keeps other keys', async () => {
      await rows.insert([
        row('01', { key: 'k', nextAttemptAt: new Date(Date.now() + HOUR), attempts: 1 }),
        row('02', { key: 'l' }),
        row('03', { key: 'k' }),
        row('04', { key: null }),
        row('05', { key: 'k' }),
      ]);

      expect(await claim()).toEqual(['02', '04']);
    });

    it('keeps rows of one key that are all due, in order', async () => {
      await rows.insert([
        row('01', { key: 'k' }),
        row('02', { key: 'k' }),
        row('03', { key: 'k' }),
      ]);

      expect(await claim()).toEqual(['01', '02', '03']);
      expect(await claim(2)).toEqual(['01', '02']);
    });

    it('never holds back rows without a key', async () => {
      await rows.insert([
        row('01', { key: null, nextAttemptAt: new Date(Date.now() + HOUR) }),
        row('02', { key: null }),
      ]);

      expect(await claim()).toEqual(['02']);
    });
  });

  describe('marking', () => {
    it('markPublished sets the status and time and clears the last error', async () => {
      await boot();
      await rows.insert([row('01', { lastError: 'earlier failure', attempts: 2 }), row('02')]);
      const now = new Date();

      await dataSource.transaction((manager) => store.markPublished(manager, ['01'], now));

      const published = await statusOf('01');
      expect(published.status).toBe('published');
      expect(published.publishedAt).toEqual(now);
      expect(published.lastError).toBeNull();
      expect((await statusOf('02')).status).toBe('pending');
    });

    it('markPublished does nothing for no ids', async () => {
      await boot();
      await rows.insert([row('01')]);

      await dataSource.transaction((manager) => store.markPublished(manager, [], new Date()));

      expect((await statusOf('01')).status).toBe('pending');
    });

    it('markAttemptFailed counts the attempt and backs off exponentially up to maxMs', async () => {
      await boot({
        outbox: { backoff: { initialMs: 1000, maxMs: 3000, multiplier: 2, jitter: 0 } },
      });
      await rows.insert([row('01'), row('02', { attempts: 1 }), row('03', { attempts: 2 })]);
      const now = new Date('2030-01-01T00:00:00.000Z');

      await dataSource.transaction(async (manager) =>
        store.markAttemptFailed(
          manager,
          await manager.findBy(OutboxMessage, {}),
          new Error('down'),
          now,
        ),
      );

      const after = await rows.find({ order: { id: 'ASC' } });
      expect(after.map((r) => r.attempts)).toEqual([1, 2, 3]);
      expect(after.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
      expect(after.map((r) => r.nextAttemptAt.getTime() - now.getTime())).toEqual([
        1000, 2000, 3000,
      ]);
      expect(after.map((r) => r.lastError)).toEqual(['Error: down', 'Error: down', 'Error: down']);
    });

    it('markAttemptFailed marks the row failed on the last allowed attempt when the error is not retriable', async () => {
      await boot();
      await rows.insert([row('01', { attempts: 3 })]);
      const now = new Date();

      await dataSource.transaction(async (manager) =>
        store.markAttemptFailed(
          manager,
          await manager.findBy(OutboxMessage, {}),
          new TransportError('bad', { retriable: false }),
          now,
        ),
      );

      const failed = await statusOf('01');
      expect(failed.status).toBe('failed');
      expect(failed.attempts).toBe(4);
      expect(failed.lastError).toBe('TransportError: bad');
      expect(failed.nextAttemptAt).toEqual(now);
    });

    it('markAttemptFailed keeps the row pending past maxAttempts when the error is retriable', async () => {
      await boot();
      await rows.insert([row('01', { attempts: 3 })]);

      await dataSource.transaction(async (manager) =>
        store.markAttemptFailed(
          manager,
          await manager.findBy(OutboxMessage, {}),
          new TypeError('socket hang up'),
          new Date(),
        ),
      );

      const waiting = await statusOf('01');
      expect(waiting.status).toBe('pending');
      expect(waiting.attempts).toBe(4);
    });

    it('markAttemptFailed records non-Error values and truncates long messages', async () => {
      await boot();
      await rows.insert([row('01'), row('02')]);
      const [first, second] = await rows.find({ order: { id: 'ASC' } });

      await dataSource.transaction(async (manager) => {
        await store.markAttemptFailed(manager, [first], 'plain reason', new Date());
        await store.markAttemptFailed(manager, [second], new Error('x'.repeat(5000)), new Date());
      });

      expect((await statusOf('01')).lastError).toBe('plain reason');
      const truncated = (await statusOf('02')).lastError!;
      expect(truncated).toHaveLength(2000);
      expect(truncated.startsWith('Error: xxx')).toBe(true);
    });
  });

  describe('retryFailed', () => {
    beforeEach(() => boot());

    it('puts every failed row back in line with a fresh attempt budget', async () => {
      await rows.insert([
        row('01', { status: 'failed', attempts: 4, nextAttemptAt: new Date(Date.now() + HOUR) }),
        row('02', { status: 'failed', attempts: 4 }),
        row('03', { status: 'published', publishedAt: ago(MINUTE), attempts: 2 }),
        row('04', { attempts: 1 }),
      ]);

      expect(await store.retryFailed()).toBe(2);

      const after = await rows.find({ order: { id: 'ASC' } });
      expect(after.map((r) => [r.id, r.status, r.attempts])).toEqual([
        ['01', 'pending', 0],
        ['02', 'pending', 0],
        ['03', 'published', 2],
        ['04', 'pending', 1],
      ]);
      expect(after[0].nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(await claim()).toEqual(['01', '02', '04']);
    });

    it('retries only the given ids', async () => {
      await rows.insert([row('01', { status: 'failed' }), row('02', { status: 'failed' })]);

      expect(await store.retryFailed(['02'])).toBe(1);

      expect((await statusOf('01')).status).toBe('failed');
      expect((await statusOf('02')).status).toBe('pending');
    });

    it('does not touch a pending row named in the ids', async () => {
      await rows.insert([row('01', { attempts: 2 })]);

      expect(await store.retryFailed(['01'])).toBe(0);
      expect((await statusOf('01')).attempts).toBe(2);
    });
  });

  describe('requeuePublishedSince', () => {
    beforeEach(() => boot());

    it('makes rows published since the cutoff pending again, and no others', async () => {
      await rows.insert([
        row('01', { status: 'published', publishedAt: ago(2 * HOUR) }),
        row('02', { status: 'published', publishedAt: ago(MINUTE) }),
        row('03', { status: 'failed' }),
        row('04', { nextAttemptAt: new Date(Date.now() + HOUR) }),
      ]);

      expect(await store.requeuePublishedSince(ago(HOUR))).toBe(1);

      expect((await statusOf('01')).status).toBe('published');
      expect((await statusOf('02')).status).toBe('pending');
      expect((await statusOf('03')).status).toBe('failed');
      expect(await claim()).toEqual(['02']);
    });
  });

  describe('retention and counts', () => {
    beforeEach(() => boot());

    it('deletes published rows older than the cutoff only', async () => {
      await rows.insert([
        row('01', { status: 'published', publishedAt: ago(10 * HOUR) }),
        row('02', { status: 'published', publishedAt: ago(MINUTE) }),
        row('03', { status: 'failed', createdAt: ago(10 * HOUR) }),
        row('04', { createdAt: ago(10 * HOUR) }),
      ]);

      expect(await store.deletePublishedBefore(ago(HOUR))).toBe(1);

      expect((await rows.find({ order: { id: 'ASC' } })).map((r) => r.id)).toEqual([
        '02',
        '03',
        '04',
      ]);
    });

    it('counts pending and failed rows and finds the oldest pending one', async () => {
      const oldest = new Date('2030-01-01T00:00:00.000Z');
      await rows.insert([
        row('01', {
          status: 'published',
          publishedAt: ago(MINUTE),
          createdAt: new Date('2020-01-01'),
        }),
        row('02', { createdAt: oldest }),
        row('03', { createdAt: new Date('2031-01-01') }),
        row('04', { status: 'failed' }),
      ]);

      expect(await store.counts()).toEqual({ pending: 2, failed: 1, oldestPendingAt: oldest });
    });

    it('counts nothing in an empty outbox', async () => {
      expect(await store.counts()).toEqual({ pending: 0, failed: 0, oldestPendingAt: null });
    });
  });

  describe('insert', () => {
    beforeEach(() => boot());

    it("inserts more rows than SQLite's bound-parameter limit allows in one statement", async () => {
      const many = Array.from({ length: 3000 }, (_, i) => row(String(i).padStart(5, '0')));

      await dataSource.transaction((manager) => store.insert(manager, many));

      expect(await rows.count()).toBe(3000);
    });
  });
});
