import type { TestingModule } from '@nestjs/testing';
import { DataSource, Repository } from 'typeorm';
import { bootTestApp } from '../__fixtures__/event-bus-test-app';
import { ScriptedTransport } from '../__fixtures__/scripted.transport';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { TransportError } from '../errors/transport.error';
import { EventPublisher } from '../event-bus.publisher';
import type { EventBusModuleOptions } from '../interfaces/event-bus-options.interface';
import type { SentEvent } from '../interfaces/event-bus-interceptor.interface';
import type { OutgoingRecord } from '../transports/event-transport.interface';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import { OutboxRelay } from './outbox.relay';
import { OutboxStore } from '../storage/outbox.store';

@IntegrationEvent({ type: 'item.created', key: (e: ItemCreated) => e.itemKey })
class ItemCreated {
  constructor(
    readonly itemKey: string | null,
    readonly seq: number,
    readonly note = '',
  ) {}
}

@IntegrationEvent({ type: 'item.audited' })
class ItemAudited {
  constructor(readonly itemKey: string) {}
}

interface Outbox {
  app: TestingModule;
  transport: ScriptedTransport;
  relay: OutboxRelay;
  store: OutboxStore;
  rows: Repository<OutboxMessage>;
  publish(...events: object[]): Promise<string[]>;
  /** `key#seq` of every record sent successfully, in send order. */
  sentLabels(): string[];
  row(id: string): Promise<OutboxMessage>;
  makeDue(): Promise<void>;
}

const label = (record: OutgoingRecord): string => {
  const payload = JSON.parse(record.value.toString()) as { itemKey: string | null; seq?: number };
  return `${payload.itemKey}#${payload.seq ?? '-'}`;
};

const nonRetriable = (message: string): TransportError =>
  new TransportError(message, { retriable: false });
const isPoison = (record: OutgoingRecord): boolean => record.value.toString().includes('poison');

describe('OutboxRelay', () => {
  let outbox: Outbox | undefined;

  afterEach(async () => {
    await outbox?.app.close();
    outbox = undefined;
  });

  async function boot(
    bus: Partial<EventBusModuleOptions> = {},
    transport = new ScriptedTransport(),
  ): Promise<Outbox> {
    const app = await bootTestApp({
      bus: {
        transport: { type: 'custom', transport },
        consumer: { enabled: false },
        ...bus,
        outbox: {
          enabled: false,
          maxAttempts: 3,
          backoff: { initialMs: 1000, maxMs: 8000, multiplier: 2, jitter: 0.5 },
          ...bus.outbox,
        },
      },
    });
    const rows = app.get(DataSource).getRepository(OutboxMessage);
    const publisher = app.get(EventPublisher);
    outbox = {
      app,
      transport,
      relay: app.get(OutboxRelay),
      store: app.get(OutboxStore),
      rows,
      publish: async (...events) =>
        (await publisher.publish(events, { newTransaction: true })).map((e) => e.id),
      sentLabels: () => transport.sent().map(label),
      row: (id) => rows.findOneByOrFail({ id }),
      makeDue: async () => {
        await rows.update({ status: 'pending' }, { nextAttemptAt: new Date(Date.now() - 1000) });
      },
    };
    return outbox;
  }

  it('sends due rows in id order, in one transport call, and marks them published', async () => {
    const { relay, transport, publish, sentLabels, rows } = await boot();
    const ids = await publish(
      new ItemCreated('a', 1),
      new ItemCreated('b', 1),
      new ItemCreated('a', 2),
      new ItemCreated(null, 1),
      new ItemCreated('c', 1),
    );

    expect(await relay.relayOnce()).toBe(5);

    expect(transport.sends).toHaveLength(1);
    expect(sentLabels()).toEqual(['a#1', 'b#1', 'a#2', 'null#1', 'c#1']);
    expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([...ids].sort());
    const stored = await rows.find({ order: { id: 'ASC' } });
    expect(stored.map((r) => r.status)).toEqual(Array(5).fill('published'));
    for (const row of stored) expect(row.publishedAt).toBeInstanceOf(Date);
  });

  it('sends the CloudEvents record of each row', async () => {
    const { relay, transport, publish } = await boot();
    const [id] = await publish(new ItemCreated('a', 1, 'hello'));

    await relay.relayOnce();

    const [record] = transport.sent();
    expect(record.topic).toBe('item.created');
    expect(record.key).toBe('a');
    expect(record.headers).toMatchObject({
      ce_id: id,
      ce_type: 'item.created',
      ce_source: 'svc',
      ce_dataversion: '1',
      ce_specversion: '1.0',
    });
    expect(JSON.parse(record.value.toString())).toEqual({ itemKey: 'a', seq: 1, note: 'hello' });
  });

  it('takes at most outbox.batchSize rows per pass, keeping id order across passes', async () => {
    const { relay, transport, publish, sentLabels } = await boot({ outbox: { batchSize: 2 } });
    await publish(...[1, 2, 3, 4, 5].map((seq) => new ItemCreated(`k${seq}`, seq)));

    const handled = [
      await relay.relayOnce(),
      await relay.relayOnce(),
      await relay.relayOnce(),
      await relay.relayOnce(),
    ];

    expect(handled).toEqual([2, 2, 1, 0]);
    expect(transport.sends.map((s) => s.length)).toEqual([2, 2, 1]);
    expect(sentLabels()).toEqual(['k1#1', 'k2#2', 'k3#3', 'k4#4', 'k5#5']);
  });

  it('creates the topics of the rows it sends', async () => {
    const { relay, transport, publish } = await boot();
    await publish(new ItemAudited('a'));

    await relay.relayOnce();

    expect(transport.broker.hasTopic('item.audited')).toBe(true);
  });

  it('counts a failed send, backs the row off and records the error', async () => {
    const { relay, transport, publish, row } = await boot();
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failNext(1, () => new TransportError('broker down'));

    const before = Date.now();
    expect(await relay.relayOnce()).toBe(1);
    const after = Date.now();

    const failed = await row(id);
    expect(failed.status).toBe('pending');
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toBe('TransportError: broker down');
    // First retry: 1000 ms with up to half of it taken away by jitter.
    expect(failed.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 500);
    expect(failed.nextAttemptAt.getTime()).toBeLessThanOrEqual(after + 1000);
    expect(transport.sent()).toEqual([]);
  });

  it('does not send a backing-off row before it is due, then sends it', async () => {
    const { relay, transport, publish, row, makeDue } = await boot();
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failNext(1, () => new TransportError('broker down'));
    await relay.relayOnce();

    expect(await relay.relayOnce()).toBe(0);
    expect(transport.calls).toHaveLength(1);

    await makeDue();
    expect(await relay.relayOnce()).toBe(1);
    const sent = await row(id);
    expect(sent.status).toBe('published');
    expect(sent.lastError).toBeNull();
    expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([id]);
  });

  it('backs off longer after each failure', async () => {
    const { relay, transport, publish, row, makeDue } = await boot({
      outbox: {
        maxAttempts: 10,
        backoff: { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0 },
      },
    });
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failWhen(() => new TransportError('broker down'));

    for (let attempt = 1; attempt <= 3; attempt++) {
      const before = Date.now();
      await relay.relayOnce();
      const after = Date.now();
      const next = (await row(id)).nextAttemptAt.getTime();
      expect(next - after).toBeLessThanOrEqual(1000 * 2 ** (attempt - 1));
      expect(next - before).toBeGreaterThanOrEqual(1000 * 2 ** (attempt - 1));
      await makeDue();
    }
    expect((await row(id)).attempts).toBe(3);
  });

  it('keeps a row pending through any number of retriable failures (an unreachable broker)', async () => {
    const { relay, transport, publish, row, makeDue } = await boot();
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failWhen(() => new TransportError('broker down'));

    for (let attempt = 1; attempt <= 6; attempt++) {
      await relay.relayOnce();
      await makeDue();
    }

    const waiting = await row(id);
    expect(waiting.status).toBe('pending');
    expect(waiting.attempts).toBe(6);
    transport.reset();
    expect(await relay.relayOnce()).toBe(1);
    expect((await row(id)).status).toBe('published');
  });

  it('marks a row failed after outbox.maxAttempts refusals and stops sending it', async () => {
    const { relay, transport, publish, row, makeDue } = await boot();
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failWhen(() => new TransportError('record refused', { retriable: false }));

    for (let attempt = 1; attempt <= 3; attempt++) {
      await relay.relayOnce();
      await makeDue();
    }

    const failed = await row(id);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(3);
    expect(failed.lastError).toBe('TransportError: record refused');
    expect(await relay.relayOnce()).toBe(0);
    expect(transport.calls).toHaveLength(3);
  });

  it('sends a failed row again after retryFailed()', async () => {
    const { relay, transport, publish, row, makeDue, store } = await boot();
    const [id] = await publish(new ItemCreated('a', 1));
    transport.failWhen(() => new TransportError('record refused', { retriable: false }));
    for (let attempt = 1; attempt <= 3; attempt++) {
      await relay.relayOnce();
      await makeDue();
    }
    transport.reset();

    expect(await store.retryFailed()).toBe(1);
    const requeued = await row(id);
    expect(requeued.status).toBe('pending');
    expect(requeued.attempts).toBe(0);

    expect(await relay.relayOnce()).toBe(1);
    expect((await row(id)).status).toBe('published');
    expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([id]);
  });

  it('does not let one backing-off key fill every claim: other keys still go', async () => {
    const { relay, transport, publish, sentLabels } = await boot({ outbox: { batchSize: 3 } });
    await publish(new ItemCreated('k', 1));
    transport.failNext(1, () => new TransportError('broker down'));
    await relay.relayOnce();
    await publish(
      new ItemCreated('k', 2),
      new ItemCreated('k', 3),
      new ItemCreated('k', 4),
      new ItemCreated('k', 5),
      new ItemCreated('l', 1),
    );

    expect(await relay.relayOnce()).toBe(1);
    expect(sentLabels()).toEqual(['l#1']);
  });

  it('holds back newer rows of a key whose older row is backing off, while other keys go', async () => {
    const { relay, transport, publish, sentLabels, makeDue, row } = await boot();
    await publish(new ItemCreated('k', 1));
    transport.failNext(1, () => new TransportError('broker down'));
    await relay.relayOnce();
    const [k2, l1] = await publish(new ItemCreated('k', 2), new ItemCreated('l', 1));

    expect(await relay.relayOnce()).toBe(1);
    expect(sentLabels()).toEqual(['l#1']);
    expect((await row(l1)).status).toBe('published');
    const held = await row(k2);
    expect(held.status).toBe('pending');
    expect(held.attempts).toBe(0);

    await makeDue();
    expect(await relay.relayOnce()).toBe(2);
    expect(sentLabels()).toEqual(['l#1', 'k#1', 'k#2']);
    expect(transport.sent().length).toBe(3);
  });

  it('does not fall back to single sends when the batch failed for a retriable reason', async () => {
    const { relay, transport, publish, rows } = await boot();
    await publish(new ItemCreated('a', 1), new ItemCreated('b', 1));
    transport.failNext(1, () => new TransportError('broker down'));

    await relay.relayOnce();

    expect(transport.calls).toHaveLength(1);
    const stored = await rows.find();
    expect(stored.map((r) => r.attempts)).toEqual([1, 1]);
    expect(stored.map((r) => r.status)).toEqual(['pending', 'pending']);
  });

  it('sends one by one when the batch is refused for good, so one bad row does not block the others', async () => {
    const { relay, transport, publish, sentLabels, row } = await boot();
    const [good1, poison, good2] = await publish(
      new ItemCreated('a', 1),
      new ItemCreated('b', 1, 'poison'),
      new ItemCreated('c', 1),
    );
    transport.failWhen((records) =>
      records.some(isPoison) ? nonRetriable('record too large') : undefined,
    );

    expect(await relay.relayOnce()).toBe(3);

    expect(transport.calls.map((c) => c.length)).toEqual([3, 1, 1, 1]);
    expect(sentLabels()).toEqual(['a#1', 'c#1']);
    expect((await row(good1)).status).toBe('published');
    expect((await row(good2)).status).toBe('published');
    const bad = await row(poison);
    expect(bad.status).toBe('pending');
    expect(bad.attempts).toBe(1);
    expect(bad.lastError).toBe('TransportError: record too large');
  });

  it('keeps key order in the one-by-one fallback: a row is not sent after an older row of its key failed', async () => {
    const { relay, transport, publish, sentLabels, row } = await boot();
    const [poison, sameKey, otherKey] = await publish(
      new ItemCreated('k', 1, 'poison'),
      new ItemCreated('k', 2),
      new ItemCreated('l', 1),
    );
    transport.failWhen((records) =>
      records.some(isPoison) ? nonRetriable('record too large') : undefined,
    );

    await relay.relayOnce();

    expect(sentLabels()).toEqual(['l#1']);
    expect((await row(otherKey)).status).toBe('published');
    expect((await row(poison)).status).toBe('pending');
    expect((await row(sameKey)).status).toBe('pending');
  });

  it('counts the failure of every row in the fallback, even when the transport reuses one error object', async () => {
    const { relay, transport, publish, row } = await boot();
    const [poison1, poison2, good] = await publish(
      new ItemCreated('a', 1, 'poison'),
      new ItemCreated('b', 1, 'poison'),
      new ItemCreated('c', 1),
    );
    const shared = nonRetriable('record too large');
    transport.failWhen((records) => (records.some(isPoison) ? shared : undefined));

    await relay.relayOnce();

    expect((await row(good)).status).toBe('published');
    for (const id of [poison1, poison2]) {
      const bad = await row(id);
      expect(bad.attempts).toBe(1);
      expect(bad.lastError).toBe('TransportError: record too large');
    }
  });

  it('reports sent rows, and only those, to the interceptors', async () => {
    const reported: SentEvent[] = [];
    const { relay, transport, publish } = await boot({
      interceptors: [{ onSent: (events) => reported.push(...events) }],
    });
    const [good, poison] = await publish(
      new ItemCreated('a', 1),
      new ItemCreated('b', 1, 'poison'),
    );
    transport.failWhen((records) =>
      records.some(isPoison) ? nonRetriable('record too large') : undefined,
    );

    await relay.relayOnce();

    expect(reported.map((e) => e.id)).toEqual([good]);
    expect(reported.map((e) => e.id)).not.toContain(poison);
    expect(reported[0]).toMatchObject({ type: 'item.created', topic: 'item.created' });
    expect(reported[0].latencyMs).toBeGreaterThanOrEqual(0);
  });

  describe('redelivery on a transport that keeps nothing across restarts', () => {
    it('requeuePublishedSince sends recently published rows again', async () => {
      const { relay, transport, publish, store, rows } = await boot();
      const [old, recent] = await publish(new ItemCreated('a', 1), new ItemCreated('b', 1));
      await relay.relayOnce();
      await rows.update({ id: old }, { publishedAt: new Date(Date.now() - 2 * 60 * 60 * 1000) });

      expect(await store.requeuePublishedSince(new Date(Date.now() - 60 * 60 * 1000))).toBe(1);
      expect(await relay.relayOnce()).toBe(1);

      expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([old, recent, recent]);
    });

    // Set here: the testing module turns redelivery off (redeliverOnStartupMs: 0) by default.
    const redelivering = { pollIntervalMs: 60_000, redeliverOnStartupMs: 10 * 60_000 };

    it('start() re-sends rows published within outbox.redeliverOnStartupMs', async () => {
      const { relay, transport, publish } = await boot({ outbox: redelivering });
      const [id] = await publish(new ItemCreated('a', 1));
      await relay.relayOnce();

      await relay.start();
      await transport.waitForSent(2);
      await relay.stop();

      expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([id, id]);
    }, 10_000);

    it('start() does not re-send anything on a durable transport', async () => {
      const { relay, transport, publish, row } = await boot(
        { outbox: redelivering },
        new ScriptedTransport(true),
      );
      const [id] = await publish(new ItemCreated('a', 1));
      await relay.relayOnce();
      const original = relay.relayOnce.bind(relay);
      const firstPass = new Promise<number>((resolve) => {
        jest.spyOn(relay, 'relayOnce').mockImplementation(async () => {
          const handled = await original();
          resolve(handled);
          return handled;
        });
      });

      await relay.start();
      const handled = await firstPass;
      await relay.stop();

      expect(handled).toBe(0);
      expect(transport.sent()).toHaveLength(1);
      expect((await row(id)).status).toBe('published');
    });
  });

  describe('background loop', () => {
    it('sends right after a publishing transaction commits, without waiting for the poll', async () => {
      const { relay, transport, publish } = await boot({
        outbox: { pollIntervalMs: 60_000, redeliverOnStartupMs: 0 },
      });
      await relay.start();

      const [id] = await publish(new ItemCreated('a', 1));
      await transport.waitForSent(1);
      await relay.stop();

      expect(transport.sent().map((r) => r.headers.ce_id)).toEqual([id]);
    }, 10_000);

    it('stop() resolves and the relay sends nothing more', async () => {
      const { relay, transport, publish, rows } = await boot({
        outbox: { pollIntervalMs: 60_000, redeliverOnStartupMs: 0 },
      });
      await relay.start();
      await relay.stop();

      await publish(new ItemCreated('a', 1));
      await new Promise((resolve) => setImmediate(resolve));

      expect(transport.calls).toHaveLength(0);
      expect((await rows.find()).map((r) => r.status)).toEqual(['pending']);
    });
  });
});
