import type { TestingModule } from '@nestjs/testing';
import { DataSource, Repository } from 'typeorm';
import { bootTestApp } from '../__fixtures__/event-bus-test-app';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import type { OutgoingRecord } from '../transports/event-transport.interface';
import type { DeadLetter } from './dead-letter.interface';
import { toDeadLetter } from './dead-letter.reader';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import { OutboxInspector } from './outbox.inspector';
import { asReceived } from '../transports/record-bytes';

const AT = new Date('2025-03-01T12:00:00.000Z');

function letter(id: string | undefined, offset: number, key = 'k1'): DeadLetter {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_type: 'item.created',
    ce_source: 'item-service',
    'x-original-topic': 'item.created',
    'x-error-type': 'Error',
  };
  if (id) headers.ce_id = id;
  return toDeadLetter({
    topic: 'item.created.dlq',
    partition: 0,
    offset: String(offset),
    ...asReceived({ key, value: Buffer.from(`{"offset":${offset}}`), headers }),
    timestamp: AT.getTime(),
  });
}

describe('DeadLetterReplayService', () => {
  let app: TestingModule;
  let replays: DeadLetterReplayService;
  let rows: Repository<OutboxMessage>;

  beforeEach(async () => {
    app = await bootTestApp({
      bus: { outbox: { enabled: false }, consumer: { enabled: false } },
      providers: [OutboxInspector, DeadLetterReplayService],
    });
    replays = app.get(DeadLetterReplayService);
    rows = app.get(DataSource).getRepository(OutboxMessage);
  });

  afterEach(() => app.close());

  const outbox = async (): Promise<Array<[string, string, string | null]>> =>
    (await rows.find({ order: { id: 'ASC' } })).map((r) => [r.id, r.status, r.key]);

  it('writes nothing on a dry run, and says what it would write', async () => {
    const replay = replays.start({ by: 'alice', execute: false, at: AT });
    const decisions = await replay.add([letter('e1', 0), letter(undefined, 1)]);
    expect(decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['replay', undefined],
      ['skip', 'no ce_id header: not an event of the bus'],
    ]);
    expect(replay.totals).toEqual({ replay: 1, requeue: 0, send: 0, skip: 1 });
    expect(await outbox()).toEqual([]);
  });

  it('writes pending rows for the original topic, stamped with who replayed what', async () => {
    const replay = replays.start({ by: 'alice', execute: true, at: AT });
    await replay.add([letter('e1', 0), letter('e2', 1, 'k2')]);
    expect(await outbox()).toEqual([
      ['e1', 'pending', 'k1'],
      ['e2', 'pending', 'k2'],
    ]);
    const row = await rows.findOneByOrFail({ id: 'e1' });
    expect(row.topic).toBe('item.created');
    expect(JSON.parse(row.headers)).toMatchObject({
      'x-replayed-by': 'alice',
      'x-replayed-at': AT.toISOString(),
      'x-replayed-from': 'item.created.dlq/0/0',
    });
  });

  it('writes one event once per run, even when several letters carry it', async () => {
    const replay = replays.start({ by: 'alice', execute: true, at: AT });
    // Two handlers of one service failed on the same event: two letters, one event.
    const first = await replay.add([letter('e1', 0)]);
    const second = await replay.add([letter('e1', 3)]);
    expect(first[0].outcome).toBe('replay');
    expect(second[0]).toMatchObject({
      outcome: 'skip',
      reason: 'same event as item.created.dlq/0/0, replayed by this run',
    });
    expect(await outbox()).toEqual([['e1', 'pending', 'k1']]);
  });

  it('skips an event the outbox still holds pending (replayed before, not sent yet)', async () => {
    await replays.start({ by: 'alice', execute: true, at: AT }).add([letter('e1', 0)]);
    const again = replays.start({ by: 'bob', execute: true });
    const [decision] = await again.add([letter('e1', 0)]);
    expect(decision.outcome).toBe('skip');
    expect(decision.reason).toContain('a pending outbox row already has this event id');
    expect(JSON.parse((await rows.findOneByOrFail({ id: 'e1' })).headers)['x-replayed-by']).toBe(
      'alice',
    );
  });

  it('replaces a sent row with the same id, so the event is sent again', async () => {
    await replays.start({ by: 'alice', execute: true, at: AT }).add([letter('e1', 0)]);
    await rows.update({ id: 'e1' }, { status: 'published', publishedAt: AT, attempts: 1 });

    const dryRun = await replays.start({ by: 'bob', execute: false }).add([letter('e1', 5)]);
    expect(dryRun[0]).toMatchObject({
      outcome: 'requeue',
      reason: 'replaces the published outbox row with this event id',
    });
    expect((await rows.findOneByOrFail({ id: 'e1' })).status).toBe('published');

    await replays.start({ by: 'bob', execute: true }).add([letter('e1', 5)]);
    const row = await rows.findOneByOrFail({ id: 'e1' });
    expect([row.status, row.attempts, row.publishedAt]).toEqual(['pending', 0, null]);
    expect(JSON.parse(row.headers)).toMatchObject({
      'x-replayed-by': 'bob',
      'x-replayed-from': 'item.created.dlq/0/5',
    });
  });

  it('writes large replays in chunks, keeping the letters in order', async () => {
    const letters = Array.from({ length: 1203 }, (_, i) =>
      letter(`e${String(i).padStart(5, '0')}`, i),
    );
    const replay = replays.start({ by: 'alice', execute: true, at: AT });
    const decisions = await replay.add(letters);
    expect(decisions.map((d) => d.letter.offset)).toEqual(letters.map((l) => l.offset));
    expect(await rows.count()).toBe(1203);
  });

  describe('a letter whose key is not UTF-8', () => {
    const binary = (id: string, offset: number): DeadLetter => {
      const base = letter(id, offset);
      const rawKey = Buffer.from([0xff, 0xfe, 0x80]);
      return { ...base, key: rawKey.toString('utf8'), rawKey };
    };

    it('is sent to the broker with its bytes, in the chunk transaction, not to the outbox', async () => {
      const sent: OutgoingRecord[][] = [];
      const replay = replays.start({
        by: 'alice',
        execute: true,
        at: AT,
        send: async (records) => {
          sent.push(records);
        },
      });
      const decisions = await replay.add([binary('e1', 0), letter('e2', 1)]);
      expect(decisions.map((d) => d.outcome)).toEqual(['send', 'replay']);
      expect(decisions[0].reason).toContain('key is not UTF-8 text');
      expect(replay.totals).toEqual({ replay: 1, requeue: 0, send: 1, skip: 0 });
      expect(sent).toHaveLength(1);
      expect(sent[0].map((r) => [r.topic, r.key])).toEqual([
        ['item.created', Buffer.from([0xff, 0xfe, 0x80])],
      ]);
      expect(await outbox()).toEqual([['e2', 'pending', 'k1']]);
    });

    it('rolls the chunk back when the broker refuses it', async () => {
      const replay = replays.start({
        by: 'alice',
        execute: true,
        send: async () => {
          throw new Error('broker down');
        },
      });
      await expect(replay.add([letter('e2', 1), binary('e1', 0)])).rejects.toThrow('broker down');
      expect(await outbox()).toEqual([]);
    });

    it('is skipped when no broker is given, never written with changed bytes', async () => {
      const replay = replays.start({ by: 'alice', execute: true });
      const [decision] = await replay.add([binary('e1', 0)]);
      expect(decision.outcome).toBe('skip');
      expect(decision.reason).toContain('key is not UTF-8 text');
      expect(await outbox()).toEqual([]);
    });

    it('is only decided on a dry run', async () => {
      const send = jest.fn();
      const replay = replays.start({ by: 'alice', execute: false, send });
      const [decision] = await replay.add([binary('e1', 0)]);
      expect(decision.outcome).toBe('send');
      expect(send).not.toHaveBeenCalled();
    });
  });
});
