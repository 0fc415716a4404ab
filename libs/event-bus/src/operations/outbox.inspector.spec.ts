import type { TestingModule } from '@nestjs/testing';
import { DataSource, Repository } from 'typeorm';
import { bootTestApp, outboxRow } from '../__fixtures__/event-bus-test-app';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import type { OutboxStatus } from '../storage/outbox.store';
import { OutboxInspector } from './outbox.inspector';

function row(id: string, status: OutboxStatus, createdAt: Date): OutboxMessage {
  return outboxRow(id, {
    status,
    attempts: status === 'failed' ? 10 : 0,
    nextAttemptAt: createdAt,
    lastError: status === 'failed' ? 'refused' : null,
    createdAt,
    publishedAt: status === 'published' ? createdAt : null,
  });
}

describe('OutboxInspector', () => {
  let app: TestingModule;
  let inspector: OutboxInspector;
  let rows: Repository<OutboxMessage>;

  beforeEach(async () => {
    app = await bootTestApp({
      bus: { outbox: { enabled: false }, consumer: { enabled: false } },
      providers: [OutboxInspector],
    });
    inspector = app.get(OutboxInspector);
    rows = app.get(DataSource).getRepository(OutboxMessage);
  });

  afterEach(() => app.close());

  it('counts rows per status and finds the oldest pending one', async () => {
    const t = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 0, minutes));
    await rows.insert([
      row('a', 'published', t(1)),
      row('b', 'pending', t(5)),
      // Ids are not creation order here (a replay keeps an event's original time).
      row('c', 'pending', t(3)),
      row('d', 'failed', t(2)),
      row('e', 'failed', t(4)),
    ]);
    expect(await inspector.status()).toEqual({
      pending: 2,
      published: 1,
      failed: 2,
      oldestPendingAt: t(3),
    });
  });

  it('reports an empty outbox', async () => {
    expect(await inspector.status()).toEqual({
      pending: 0,
      published: 0,
      failed: 0,
      oldestPendingAt: null,
    });
  });

  it('lists failed rows oldest first, with the total', async () => {
    const at = new Date();
    await rows.insert([row('f3', 'failed', at), row('f1', 'failed', at), row('p', 'pending', at)]);
    await rows.insert(row('f2', 'failed', at));
    const page = await inspector.failed(2);
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.id)).toEqual(['f1', 'f2']);
  });

  it('tells the status of given ids, leaving out unknown ones', async () => {
    const at = new Date();
    await rows.insert([row('a', 'failed', at), row('b', 'published', at)]);
    const statuses = await inspector.statuses(['a', 'b', 'zzz']);
    expect([...statuses]).toEqual(
      expect.arrayContaining([
        ['a', 'failed'],
        ['b', 'published'],
      ]),
    );
    expect(statuses.has('zzz')).toBe(false);
  });
});
