import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { InMemoryBroker } from '@nestbus/event-bus';
import { KafkaTransport } from '@nestbus/event-bus/kafka';
import { PlatformaticKafkaTransport } from '@nestbus/event-bus/platformatic-kafka';
import {
  EventTransport,
  IncomingRecord,
  InMemoryTransport,
  OutgoingRecord,
  PostgresTransport,
  RecordBatch,
  SubscribeOptions,
  TransportSubscription,
} from '@nestbus/event-bus/transport';
import { Logger } from '@nestjs/common';
import { Partitioners } from 'kafkajs';
import { createTestDatabase, eventually, type TestDatabase } from './support/databases';
import { KAFKA_BROKERS, requireKafka, uniqueName } from './support/kafka';

// The transports log through Nest's static logger; keep kafkajs' chatter out of the test output.
Logger.overrideLogger(['error', 'warn']);

interface TransportKind {
  name: string;
  create(): EventTransport;
  timeoutMs: number;
  /** On the Kafka broker at KAFKA_BROKERS (which the restart case stops and starts). */
  broker: boolean;
  /** Before the kind's tests (a bus database), and after them. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

/** The PostgreSQL transport's bus database, fresh for this file. */
let busDatabase: TestDatabase | undefined;

const KINDS: TransportKind[] = [
  {
    name: 'in-memory',
    create: (() => {
      const broker = new InMemoryBroker();
      return () => new InMemoryTransport(broker);
    })(),
    timeoutMs: 5000,
    broker: false,
  },
  {
    name: 'kafka',
    create: () =>
      new KafkaTransport({ type: 'kafka', brokers: KAFKA_BROKERS }, uniqueName('contract')),
    timeoutMs: 60000,
    broker: true,
  },
  {
    name: 'platformatic-kafka',
    create: () =>
      new PlatformaticKafkaTransport(
        { type: 'platformatic-kafka', brokers: KAFKA_BROKERS },
        uniqueName('contract'),
      ),
    timeoutMs: 60000,
    broker: true,
  },
  {
    name: 'postgres',
    create: () =>
      new PostgresTransport(
        { type: 'postgres', url: busDatabase!.url, pollIntervalMs: 100, leaseMs: 3000 },
        uniqueName('contract'),
      ),
    timeoutMs: 30000,
    broker: false,
    setup: async () => {
      busDatabase = await createTestDatabase('postgres');
    },
    teardown: async () => {
      await busDatabase?.drop();
    },
  },
];

const records = (topic: string, keys: string[], perKey: number): OutgoingRecord[] =>
  Array.from({ length: perKey }, (_, seq) =>
    keys.map((key) => ({
      topic,
      key,
      value: Buffer.from(`${key}:${seq}`),
      headers: { seq: String(seq) },
    })),
  ).flat();

/** The partition kafkajs' default (Java-compatible) partitioner picks for `key`. */
function kafkaPartition(topic: string, key: Buffer, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return Partitioners.DefaultPartitioner()({
    topic,
    partitionMetadata,
    message: { key, value: null },
  });
}

/** Subscribes and records what arrives; commits after each batch unless told not to. */
async function collect(
  transport: EventTransport,
  options: Pick<SubscribeOptions, 'groupId' | 'topics'> & Partial<SubscribeOptions>,
  behaviour: { commit?: boolean; onBatch?: (batch: RecordBatch) => Promise<void> } = {},
): Promise<{ received: IncomingRecord[]; subscription: TransportSubscription }> {
  const received: IncomingRecord[] = [];
  const subscription = await transport.subscribe(
    { fromBeginning: true, maxBatchSize: 50, partitionsConcurrently: 3, ...options },
    async (batch) => {
      await behaviour.onBatch?.(batch);
      received.push(...batch.records);
      const last = batch.records[batch.records.length - 1];
      if (behaviour.commit !== false && last) await batch.commit(String(BigInt(last.offset) + 1n));
    },
  );
  return { received, subscription };
}

describe.each(KINDS)('transport contract: $name', (kind) => {
  const transports: EventTransport[] = [];
  const open = async (): Promise<EventTransport> => {
    const transport = kind.create();
    await transport.connect();
    transports.push(transport);
    return transport;
  };
  const newTopic = async (transport: EventTransport): Promise<string> => {
    const topic = uniqueName('contract-topic');
    await transport.ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1 }]);
    return topic;
  };
  const until = (probe: () => boolean, what: string) => eventually(probe, what, kind.timeoutMs);

  beforeAll(async () => {
    if (kind.broker) await requireKafka();
    await kind.setup?.();
  });

  afterAll(async () => {
    await kind.teardown?.();
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('delivers every record, in order per key, with key, value and headers intact', async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    await transport.send(records(topic, ['a', 'b', 'c', 'd'], 10));
    const { received } = await collect(transport, { groupId: uniqueName('g'), topics: [topic] });
    await until(() => received.length === 40, '40 records');
    for (const key of ['a', 'b', 'c', 'd']) {
      const ofKey = received.filter((r) => r.key === key);
      expect(ofKey.map((r) => r.value.toString())).toEqual(
        Array.from({ length: 10 }, (_, i) => `${key}:${i}`),
      );
      expect(ofKey.map((r) => r.headers.seq)).toEqual(
        Array.from({ length: 10 }, (_, i) => String(i)),
      );
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
    }
  });

  it('lands every record of concurrent sends to one partition, each send in its order', async () => {
    // The relay, the dead-letter writer and a replay share one producer and may send at once;
    // an idempotent producer must not give two of them the same sequence numbers (the broker
    // would reject one, or acknowledge it as a duplicate without writing it).
    const transport = await open();
    const topic = await newTopic(transport);
    const senders = Array.from({ length: 8 }, (_, s) =>
      Array.from({ length: 25 }, (_, seq) => ({
        topic,
        key: 'one-key',
        value: Buffer.from(`${s}:${seq}`),
        headers: {},
      })),
    );
    await Promise.all(senders.map((batch) => transport.send(batch)));
    const { received } = await collect(transport, { groupId: uniqueName('g'), topics: [topic] });
    await until(() => received.length >= 200, '200 records');
    const values = received.map((r) => r.value.toString());
    expect(new Set(values).size).toBe(200);
    for (const s of senders.keys()) {
      const ofSender = values.filter((v) => v.startsWith(`${s}:`));
      expect(ofSender).toEqual(Array.from({ length: 25 }, (_, seq) => `${s}:${seq}`));
    }
  });

  it('delivers key, value and headers byte for byte, keeping every value of a repeated header', async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x80]);
    // Several byte keys, so a transport partitioning by a decoded view would be caught.
    const keys = Array.from({ length: 6 }, (_, i) => Buffer.from([0xff, i, 0x80]));
    await transport.send(
      keys.map((key, i) => ({
        topic,
        key,
        value: Buffer.concat([notUtf8, Buffer.from([i])]),
        headers: { bin: notUtf8, hop: ['one', Buffer.from([0x80, i])], text: 'clé' },
      })),
    );
    const { received } = await collect(transport, { groupId: uniqueName('g'), topics: [topic] });
    await until(() => received.length === keys.length, `${keys.length} records`);
    for (const [i, key] of keys.entries()) {
      const record = received.find((r) => r.rawKey?.equals(key));
      expect(record?.value).toEqual(Buffer.concat([notUtf8, Buffer.from([i])]));
      expect(record?.rawHeaders).toEqual({
        bin: [notUtf8],
        hop: [Buffer.from('one'), Buffer.from([0x80, i])],
        text: [Buffer.from('clé')],
      });
      // The decoded views: UTF-8 text, a repeated header's last value.
      expect(record?.key).toBe(key.toString('utf8'));
      expect(record?.headers).toEqual({
        bin: notUtf8.toString('utf8'),
        hop: Buffer.from([0x80, i]).toString('utf8'),
        text: 'clé',
      });
      // Partitioned by the key's bytes, as kafkajs' default partitioner does.
      expect(record?.partition).toBe(kafkaPartition(topic, key, 3));
    }
  });

  it('gives each group every record, and splits a group between its members', async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    await transport.send(
      records(
        topic,
        Array.from({ length: 12 }, (_, i) => `k${i}`),
        5,
      ),
    );
    const groupA = uniqueName('a');
    const first = await collect(transport, { groupId: groupA, topics: [topic] });
    const second = await collect(transport, { groupId: groupA, topics: [topic] });
    const other = await collect(transport, { groupId: uniqueName('b'), topics: [topic] });
    await until(() => other.received.length === 60, 'the other group to read all 60');
    await until(
      () => first.received.length + second.received.length >= 60,
      'group A to read all 60',
    );
    const offsets = [...first.received, ...second.received].map(
      (r) => `${r.partition}:${r.offset}`,
    );
    expect(new Set(offsets).size).toBe(60);
  });

  it('redelivers what was not committed, to the same member and to the next one', async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    await transport.send(records(topic, ['x', 'y'], 5));
    const groupId = uniqueName('g');
    const values = (list: IncomingRecord[]): Set<string> =>
      new Set(list.map((r) => r.value.toString()));
    const careless = await collect(transport, { groupId, topics: [topic] }, { commit: false });
    // Uncommitted batches come again: the member sees every record more than once.
    await until(
      () => values(careless.received).size === 10 && careless.received.length > 10,
      'redelivery to the same member',
    );
    await careless.subscription.close();

    const next = await collect(transport, { groupId, topics: [topic] });
    await until(
      () => values(next.received).size === 10,
      'redelivery of the 10 uncommitted records to the next member',
    );
    expect([...values(next.received)].sort()).toEqual([...values(careless.received)].sort());
  });

  it('waits for the batch in flight when the subscription closes', async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    await transport.send(records(topic, ['slow'], 1));
    let started = false;
    let finished = false;
    const { subscription } = await collect(
      transport,
      { groupId: uniqueName('g'), topics: [topic] },
      {
        onBatch: async () => {
          started = true;
          await new Promise((r) => setTimeout(r, 500));
          finished = true;
        },
      },
    );
    await until(() => started, 'the slow batch to start');
    await subscription.close();
    expect(finished).toBe(true);
  });

  it("reports a group's lag from its committed offsets, growing while it does not consume", async () => {
    const transport = await open();
    const topic = await newTopic(transport);
    const groupId = uniqueName('g');
    const total = async () => {
      const lags = await transport.consumerLag!(groupId, [topic]);
      expect(lags.map((l) => l.partition).sort()).toEqual([0, 1, 2]);
      return lags.reduce((sum, l) => sum + l.lag, 0);
    };
    await transport.send(records(topic, ['a', 'b', 'c'], 4));
    // A group that never committed is behind by everything retained.
    expect(await total()).toBe(12);
    const { received, subscription } = await collect(transport, { groupId, topics: [topic] });
    await until(() => received.length === 12, '12 records');
    await eventually(async () => (await total()) === 0, 'the lag to reach 0', kind.timeoutMs);
    await subscription.close();
    await transport.send(records(topic, ['a', 'b'], 3));
    expect(await total()).toBe(6);
  });

  if (kind.broker) {
    it('reconnects after the broker restarts (Kafka only: the in-memory broker cannot restart)', async () => {
      const script = resolve(__dirname, '..', 'scripts', 'kafka.sh');
      const transport = await open();
      const topic = await newTopic(transport);
      const { received } = await collect(transport, { groupId: uniqueName('g'), topics: [topic] });
      await transport.send(records(topic, ['before'], 3));
      await until(() => received.length === 3, 'records before the restart');

      execFileSync('bash', [script, 'stop'], { stdio: 'pipe' });
      execFileSync('bash', [script, 'start'], {
        stdio: 'pipe',
        env: { ...process.env, KAFKA_KEEP_DATA: '1' },
      });

      await eventually(
        async () => {
          try {
            await transport.send(records(topic, ['after'], 3));
            return true;
          } catch {
            return false;
          }
        },
        'a send after the restart',
        60000,
      );
      await until(
        () => received.filter((r) => r.key === 'after').length >= 3,
        'records after the restart',
      );
    });
  }
});
