import { Logger } from '@nestjs/common';
import { BackpressureError, TransportError } from '../../errors/transport.error';
import { partitionForKey } from '../../util/key-hash';
import type {
  BatchHandler,
  IncomingRecord,
  OutgoingRecord,
  RecordBatch,
  SubscribeOptions,
  TransportSubscription,
} from '../event-transport.interface';
import { InMemoryBroker } from './in-memory-broker';
import { InMemoryTransport } from './in-memory.transport';

const TOPIC = 'orders';
const PARTITIONS = 3;

function record(key: string | null, value: string, topic = TOPIC): OutgoingRecord {
  return { topic, key, value: Buffer.from(value), headers: { 'x-value': value } };
}

function options(groupId: string, overrides: Partial<SubscribeOptions> = {}): SubscribeOptions {
  return {
    groupId,
    topics: [TOPIC],
    fromBeginning: true,
    maxBatchSize: 100,
    partitionsConcurrently: 4,
    ...overrides,
  };
}

/** A key that lands on `partition` of a topic with `partitions` partitions. */
function keyFor(partition: number, partitions = PARTITIONS, prefix = 'key'): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}-${i}`;
    if (partitionForKey(key, partitions) === partition) return key;
  }
}

async function yieldTurns(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `probe()` holds; a safety net only, never an assertion on duration. */
async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Collects what a subscriber receives, committing each batch unless told otherwise. */
class Collector {
  readonly records: IncomingRecord[] = [];
  readonly batches: IncomingRecord[][] = [];

  constructor(
    private readonly before: (batch: RecordBatch) => Promise<void> = async () => undefined,
  ) {}

  readonly handler: BatchHandler = async (batch) => {
    this.batches.push([...batch.records]);
    this.records.push(...batch.records);
    await this.before(batch);
    const last = batch.records[batch.records.length - 1];
    await batch.commit(String(Number(last.offset) + 1));
  };

  values(): string[] {
    return this.records.map((r) => r.value.toString());
  }
}

describe('InMemoryTransport', () => {
  let broker: InMemoryBroker;
  let transport: InMemoryTransport;
  const extraTransports: InMemoryTransport[] = [];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    broker = new InMemoryBroker();
    transport = new InMemoryTransport(broker);
    await transport.connect();
    await transport.ensureTopics([{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 }]);
  });

  afterEach(async () => {
    await transport.close();
    await Promise.all(extraTransports.splice(0).map((t) => t.close()));
  });

  it('is not durable and names itself', () => {
    expect(transport.durable).toBe(false);
    expect(transport.name).toBe('in-memory');
  });

  describe('publish and subscribe', () => {
    it('delivers sent records with their key, value, headers, topic, partition and offset', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);
      const key = keyFor(1);

      await transport.send([record(key, 'v1')]);
      await until(() => collector.records.length === 1, 'the record');

      expect(collector.records[0]).toMatchObject({
        topic: TOPIC,
        partition: 1,
        offset: '0',
        key,
        headers: { 'x-value': 'v1' },
      });
      expect(collector.records[0].value.toString()).toBe('v1');
      expect(typeof collector.records[0].timestamp).toBe('number');
    });

    it('delivers key, value and headers byte for byte, repeated headers included', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);
      const key = Buffer.from([0xff, 0xfe, 0x80]);
      const value = Buffer.from([0x80, 0x81, 0x00]);
      const bin = Buffer.from([0xc3, 0x28]);
      await transport.send([
        { topic: TOPIC, key, value, headers: { bin, seen: ['a', bin], plain: 'text' } },
      ]);
      // The broker keeps a copy: what the sender does to its buffers later changes nothing.
      key.fill(0);
      value.fill(0);
      bin.fill(0);
      await until(() => collector.records.length === 1, 'the record');
      const [received] = collector.records;
      expect(received.rawKey).toEqual(Buffer.from([0xff, 0xfe, 0x80]));
      expect(received.key).toBe('\ufffd\ufffd\ufffd');
      expect(received.value).toEqual(Buffer.from([0x80, 0x81, 0x00]));
      expect(received.rawHeaders).toEqual({
        bin: [Buffer.from([0xc3, 0x28])],
        seen: [Buffer.from('a'), Buffer.from([0xc3, 0x28])],
        plain: [Buffer.from('text')],
      });
      expect(received.headers.plain).toBe('text');
      // Partitioned by the key's bytes, as Kafka's partitioner does.
      expect(received.partition).toBe(partitionForKey(Buffer.from([0xff, 0xfe, 0x80]), PARTITIONS));
    });

    it('puts one key on one partition (Kafka murmur2) and keeps its order', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);
      const keys = ['alpha', 'beta', 'gamma', 'delta'];
      const sent: OutgoingRecord[] = [];
      for (let seq = 0; seq < 10; seq++)
        for (const key of keys) sent.push(record(key, `${key}:${seq}`));

      await transport.send(sent);
      await until(() => collector.records.length === sent.length, 'every record');

      for (const key of keys) {
        const ofKey = collector.records.filter((r) => r.key === key);
        expect(new Set(ofKey.map((r) => r.partition))).toEqual(
          new Set([partitionForKey(key, PARTITIONS)]),
        );
        expect(ofKey.map((r) => r.value.toString())).toEqual(
          Array.from({ length: 10 }, (_, seq) => `${key}:${seq}`),
        );
        const offsets = ofKey.map((r) => Number(r.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
    });

    it('numbers offsets per partition from 0 without gaps', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);
      const key = keyFor(2);

      await transport.send([record(key, 'a'), record(key, 'b'), record(key, 'c')]);
      await until(() => collector.records.length === 3, 'three records');

      expect(collector.records.map((r) => r.offset)).toEqual(['0', '1', '2']);
    });

    it('spreads records without a key over the partitions', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);

      await transport.send(Array.from({ length: 6 }, (_, i) => record(null, `n${i}`)));
      await until(() => collector.records.length === 6, 'six records');

      expect(new Set(collector.records.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
    });

    it('refuses to send to a topic that does not exist, for good', async () => {
      const error = await transport.send([record('k', 'v', 'missing')]).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).retriable).toBe(false);
      expect((error as Error).message).toContain('"missing"');
    });

    it('refuses to send or subscribe once closed', async () => {
      await transport.close();

      await expect(transport.send([record('k', 'v')])).rejects.toThrow(TransportError);
      await expect(transport.subscribe(options('g'), async () => undefined)).rejects.toThrow(
        'The transport is closed.',
      );
    });

    it('starts a new group at the end of the log when fromBeginning is false', async () => {
      const key = keyFor(0);
      await transport.send([record(key, 'old')]);
      const collector = new Collector();
      await transport.subscribe(options('late', { fromBeginning: false }), collector.handler);

      await transport.send([record(key, 'new')]);
      await until(() => collector.records.length >= 1, 'the new record');
      await yieldTurns();

      expect(collector.values()).toEqual(['new']);
    });

    it('hands over at most maxBatchSize records at a time', async () => {
      const collector = new Collector();
      await transport.subscribe(options('g', { maxBatchSize: 2 }), collector.handler);
      const key = keyFor(0);

      await transport.send(['a', 'b', 'c', 'd', 'e'].map((v) => record(key, v)));
      await until(() => collector.records.length === 5, 'five records');

      for (const batch of collector.batches) expect(batch.length).toBeLessThanOrEqual(2);
      expect(collector.values()).toEqual(['a', 'b', 'c', 'd', 'e']);
    });
  });

  describe('consumer groups', () => {
    it('gives every group every record', async () => {
      const first = new Collector();
      const second = new Collector();
      await transport.subscribe(options('billing'), first.handler);
      await transport.subscribe(options('shipping'), second.handler);

      await transport.send(Array.from({ length: 12 }, (_, i) => record(`k${i}`, `v${i}`)));
      await until(() => first.records.length === 12 && second.records.length === 12, 'both groups');

      expect(first.values().sort()).toEqual(second.values().sort());
    });

    it('splits partitions between members of one group; each record goes to one member', async () => {
      const first = new Collector();
      const second = new Collector();
      await transport.subscribe(options('g'), first.handler);
      await transport.subscribe(options('g'), second.handler);
      const sent = Array.from({ length: 30 }, (_, i) => record(`k${i}`, `v${i}`));

      await transport.send(sent);
      await until(() => first.records.length + second.records.length === 30, 'every record');
      await yieldTurns();

      const partitionsOf = (c: Collector): Set<number> =>
        new Set(c.records.map((r) => r.partition));
      expect(first.records.length).toBeGreaterThan(0);
      expect(second.records.length).toBeGreaterThan(0);
      expect([...partitionsOf(first)].filter((p) => partitionsOf(second).has(p))).toEqual([]);
      expect([...first.values(), ...second.values()].sort()).toEqual(
        sent.map((r) => r.value.toString()).sort(),
      );
    });

    it('redelivers uncommitted records to the member that joins after the owner closed', async () => {
      await transport.ensureTopics([{ name: 'single', partitions: 1, replicationFactor: 1 }]);
      await transport.send(['a', 'b', 'c'].map((v) => record('k', v, 'single')));
      const seen: string[] = [];
      // Only ever commits the first record, and never throws.
      const stingy = await transport.subscribe(
        options('g', { topics: ['single'] }),
        async (batch) => {
          seen.push(...batch.records.map((r) => r.value.toString()));
          await batch.commit('1');
          await yieldTurns(1);
        },
      );
      await until(() => seen.includes('c'), 'the first batch');
      await stingy.close();

      const next = new Collector();
      await transport.subscribe(options('g', { topics: ['single'] }), next.handler);
      await until(() => next.values().includes('c'), 'the redelivery');

      expect(broker.group('g').committedOffset('single', 0)).toBe(3);
      expect(next.batches[0].map((r) => r.offset)).toEqual(['1', '2']);
      expect(next.values()).toEqual(['b', 'c']);
    });

    it('gives a batch whose handler threw again from the last commit', async () => {
      await transport.ensureTopics([{ name: 'single', partitions: 1, replicationFactor: 1 }]);
      // Sent before subscribing, so the first batch holds all three.
      await transport.send(['a', 'b', 'c'].map((v) => record('k', v, 'single')));
      const deliveries: string[][] = [];
      await transport.subscribe(options('g', { topics: ['single'] }), async (batch) => {
        deliveries.push(batch.records.map((r) => r.value.toString()));
        if (deliveries.length === 1) {
          await batch.commit(String(Number(batch.records[0].offset) + 1));
          throw new Error('handler failed after the first record');
        }
        await batch.commit(String(Number(batch.records[batch.records.length - 1].offset) + 1));
      });
      await until(() => deliveries.length >= 2, 'the redelivery');

      expect(deliveries[0]).toEqual(['a', 'b', 'c']);
      expect(deliveries[1]).toEqual(['b', 'c']);
    });

    it('recovers from a subscription to a missing topic: the group keeps working', async () => {
      const failed = await transport
        .subscribe(options('g', { topics: ['not-yet'] }), async () => undefined)
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TransportError);

      const collector = new Collector();
      await transport.subscribe(options('g'), collector.handler);
      await transport.send([record('k', 'after the failed subscribe')]);
      await until(() => collector.records.length === 1, 'the record');

      expect(collector.values()).toEqual(['after the failed subscribe']);
    });

    it('refuses a commit from a member that no longer owns the partition', async () => {
      await transport.ensureTopics([{ name: 'single', partitions: 1, replicationFactor: 1 }]);
      let stale: RecordBatch | undefined;
      const owner = await transport.subscribe(
        options('g', { topics: ['single'] }),
        async (batch) => {
          stale ??= batch;
          throw new Error('keep the batch uncommitted');
        },
      );
      await transport.send([record('k', 'a', 'single')]);
      await until(() => stale !== undefined, 'the first batch');
      await owner.close();
      const successor = new Collector();
      await transport.subscribe(options('g', { topics: ['single'] }), successor.handler);
      await until(() => successor.records.length === 1, 'the redelivery');

      expect(stale!.isActive()).toBe(false);
      const error = await stale!.commit('1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toContain('no longer assigned to this member of group "g"');
    });
  });

  describe('pause and resume', () => {
    it('stops fetching one partition while the others go on, until resumed', async () => {
      const collector = new Collector();
      const subscription = await transport.subscribe(options('g'), collector.handler);
      const pausedKey = keyFor(0);
      const runningKey = keyFor(1);

      subscription.pause(TOPIC, 0);
      await transport.send([record(pausedKey, 'held'), record(runningKey, 'flows')]);
      await until(
        () => collector.values().includes('flows'),
        'the record of the running partition',
      );
      await yieldTurns(10);

      expect(collector.values()).not.toContain('held');

      subscription.resume(TOPIC, 0);
      await until(() => collector.values().includes('held'), 'the record of the resumed partition');
      expect(collector.records.find((r) => r.value.toString() === 'held')?.partition).toBe(0);
    });
  });

  describe('bounded partitions', () => {
    async function fullPartition(overflow: 'reject' | 'block'): Promise<{
      bounded: InMemoryTransport;
      boundedBroker: InMemoryBroker;
      release: () => void;
      received: IncomingRecord[];
    }> {
      const boundedBroker = new InMemoryBroker({ maxRecordsPerPartition: 2, overflow });
      const bounded = new InMemoryTransport(boundedBroker);
      extraTransports.push(bounded);
      await bounded.ensureTopics([{ name: 'small', partitions: 1, replicationFactor: 1 }]);
      const held = gate();
      const received: IncomingRecord[] = [];
      await bounded.subscribe(options('slow', { topics: ['small'] }), async (batch) => {
        received.push(...batch.records);
        await held.promise;
        await batch.commit(String(Number(batch.records[batch.records.length - 1].offset) + 1));
      });
      await bounded.send([record('k', 'r0', 'small'), record('k', 'r1', 'small')]);
      await until(() => received.length >= 1, 'the consumer to hold a batch');
      return { bounded, boundedBroker, release: held.open, received };
    }

    it("rejects a send with BackpressureError when full and the policy is 'reject'", async () => {
      const { bounded, boundedBroker, release, received } = await fullPartition('reject');

      const error = await bounded.send([record('k', 'r2', 'small')]).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(BackpressureError);
      expect((error as BackpressureError).retriable).toBe(true);
      expect((error as Error).message).toContain('"small" partition 0 holds 2 unconsumed records');

      release();
      await until(
        () => boundedBroker.group('slow').committedOffset('small', 0) === 2,
        'the commit',
      );
      await bounded.send([record('k', 'r2', 'small')]);
      await until(() => received.some((r) => r.value.toString() === 'r2'), 'r2');
    });

    it("makes the sender wait until the consumer commits when the policy is 'block'", async () => {
      const { bounded, release, received } = await fullPartition('block');

      let sent = false;
      const sending = bounded.send([record('k', 'r2', 'small')]).then(() => {
        sent = true;
      });
      await yieldTurns(10);
      expect(sent).toBe(false);

      release();
      await sending;
      expect(sent).toBe(true);
      await until(() => received.some((r) => r.value.toString() === 'r2'), 'r2');
    });

    it('fails a blocked send when its transport closes', async () => {
      const { boundedBroker, release } = await fullPartition('block');
      const sender = new InMemoryTransport(boundedBroker);

      const sending = sender.send([record('k', 'r2', 'small')]).catch((e: unknown) => e);
      await yieldTurns(5);
      await sender.close();

      expect(await sending).toBeInstanceOf(TransportError);
      release();
    });

    it('drops the oldest records of a full partition that no group reads', async () => {
      const boundedBroker = new InMemoryBroker({ maxRecordsPerPartition: 2, overflow: 'reject' });
      const bounded = new InMemoryTransport(boundedBroker);
      extraTransports.push(bounded);
      await bounded.ensureTopics([{ name: 'unread', partitions: 1, replicationFactor: 1 }]);

      await bounded.send(['a', 'b', 'c'].map((v) => record('k', v, 'unread')));

      const log = boundedBroker.partitions('unread')[0];
      expect(log.logStartOffset).toBe(1);
      expect(log.read(0, 10).map((r) => r.value.toString())).toEqual(['b', 'c']);
    });
  });

  describe('close', () => {
    it('waits for the batch in flight before it resolves', async () => {
      const held = gate();
      const events: string[] = [];
      let started = false;
      const subscription: TransportSubscription = await transport.subscribe(
        options('g'),
        async () => {
          started = true;
          await held.promise;
          events.push('batch finished');
        },
      );
      await transport.send([record('k', 'v')]);
      await until(() => started, 'the batch to start');

      const closing = subscription.close().then(() => events.push('closed'));
      await yieldTurns(10);
      expect(events).toEqual([]);

      held.open();
      await closing;
      expect(events).toEqual(['batch finished', 'closed']);
    });

    it('waits for batches in flight when the whole transport closes', async () => {
      const held = gate();
      const events: string[] = [];
      let started = false;
      await transport.subscribe(options('g'), async () => {
        started = true;
        await held.promise;
        events.push('batch finished');
      });
      await transport.send([record('k', 'v')]);
      await until(() => started, 'the batch to start');

      const closing = transport.close().then(() => events.push('closed'));
      await yieldTurns(10);
      expect(events).toEqual([]);

      held.open();
      await closing;
      expect(events).toEqual(['batch finished', 'closed']);
    });

    it('lets the batch in flight commit while closing, so the next member starts after it', async () => {
      await transport.ensureTopics([{ name: 'single', partitions: 1, replicationFactor: 1 }]);
      const held = gate();
      let started = false;
      let commitError: unknown;
      const first = await transport.subscribe(
        options('g', { topics: ['single'] }),
        async (batch) => {
          started = true;
          await held.promise;
          await batch
            .commit(String(Number(batch.records[batch.records.length - 1].offset) + 1))
            .catch((e) => {
              commitError = e;
            });
        },
      );
      await transport.send([record('k', 'done-before-close', 'single')]);
      await until(() => started, 'the batch to start');

      const closing = first.close();
      held.open();
      await closing;

      expect(commitError).toBeUndefined();
      expect(broker.group('g').committedOffset('single', 0)).toBe(1);
      const next = new Collector();
      await transport.subscribe(options('g', { topics: ['single'] }), next.handler);
      await transport.send([record('k', 'after-close', 'single')]);
      await until(() => next.values().includes('after-close'), 'the new record');
      expect(next.values()).toEqual(['after-close']);
    });
  });
});
