import { Client } from 'pg';
import {
  type IncomingRecord,
  type OutgoingRecord,
  PostgresTopicReader,
  PostgresTransport,
} from '@nestbus/event-bus/transport';
import { createTestDatabase, TestDatabase } from './support/databases';

const TOPIC = 'reader.items';
const PARTITIONS = 3;

const record = (n: number, headers: OutgoingRecord['headers'] = {}): OutgoingRecord => ({
  topic: TOPIC,
  key: `k${n % 7}`,
  value: Buffer.from(JSON.stringify({ n })),
  headers: { ce_id: `id-${n}`, ...headers },
});

const numbers = (records: IncomingRecord[]): number[] =>
  records.map((r) => (JSON.parse(r.value.toString()) as { n: number }).n);

describe('PostgresTopicReader', () => {
  let db: TestDatabase;
  let writer: PostgresTransport;
  let reader: PostgresTopicReader;
  let sent = 0;

  const send = async (count: number): Promise<void> => {
    const batch = Array.from({ length: count }, () => record(sent++));
    await writer.send(batch);
  };

  /** Rows of consumer groups: a reader must leave none. */
  const groupRows = async (): Promise<number> => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT (SELECT COUNT(*) FROM event_bus_group_partition)::int
              + (SELECT COUNT(*) FROM event_bus_member)::int AS n`,
      );
      return rows[0].n;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    writer = new PostgresTransport({ type: 'postgres', url: db.url }, 'reader-e2e-writer');
    await writer.connect();
    await writer.ensureTopics([{ name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 }]);
    await send(1200);
    // Small batches, so a read takes many of them.
    reader = new PostgresTopicReader({ type: 'postgres', url: db.url }, 'reader-e2e', {
      maxBatchRecords: 50,
    });
    await reader.connect();
  });

  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    await db?.drop();
  });

  it('lists the topics and the range of each partition', async () => {
    expect(await reader.listTopics()).toEqual([TOPIC]);
    const ranges = await reader.partitions(TOPIC);
    expect(ranges.map((r) => r.partition)).toEqual([0, 1, 2]);
    for (const range of ranges) expect(range.low).toBe('0');
    expect(ranges.reduce((sum, r) => sum + Number(r.high), 0)).toBe(sent);
    await expect(reader.partitions('no.such.topic')).rejects.toThrow(
      'Topic "no.such.topic" does not exist',
    );
  });

  it('gives an empty partition a range from its next offset to itself', async () => {
    await writer.ensureTopics([{ name: 'reader.empty', partitions: 2, replicationFactor: 1 }]);
    expect(await reader.partitions('reader.empty')).toEqual([
      { partition: 0, low: '0', high: '0' },
      { partition: 1, low: '0', high: '0' },
    ]);
    const sink = jest.fn();
    expect(await reader.read('reader.empty', sink)).toEqual({ read: 0, total: 0, stopped: false });
    expect(sink).not.toHaveBeenCalled();
  });

  it('reads every record once, in offset order, up to the ends captured when it began', async () => {
    const before = await reader.partitions(TOPIC);
    const due = before.reduce((sum, r) => sum + Number(r.high), 0);
    const seen: IncomingRecord[] = [];
    const progress: Array<[number, number]> = [];
    let appending = true;
    let appender: Promise<void> | undefined;
    try {
      const result = await reader.read(
        TOPIC,
        async (batch) => {
          // From the first batch on (the ends are taken), a writer keeps appending, each send
          // its own transaction, until the read is done.
          appender ??= (async () => {
            while (appending) await send(10);
          })();
          expect(new Set(batch.map((r) => r.partition)).size).toBe(1);
          expect(batch.length).toBeLessThanOrEqual(50);
          seen.push(...batch);
          // Let the writer commit in between.
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
        { onProgress: (read, total) => progress.push([read, total]) },
      );
      expect(result).toEqual({ read: due, total: due, stopped: false });
    } finally {
      appending = false;
      await appender;
    }
    expect(sent).toBeGreaterThan(due);
    expect(seen).toHaveLength(due);
    for (const range of before) {
      const offsets = seen.filter((r) => r.partition === range.partition).map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: Number(range.high) }, (_, i) => String(i)));
    }
    expect(new Set(numbers(seen)).size).toBe(due);
    expect(progress.length).toBeGreaterThan(PARTITIONS);
    expect(progress[progress.length - 1]).toEqual([due, due]);
    expect(progress.every(([, total]) => total === due)).toBe(true);
    // A reader never joins a group.
    expect(await groupRows()).toBe(0);
  });

  it('decodes keys, values, repeated and binary headers as sent', async () => {
    await writer.ensureTopics([{ name: 'reader.bytes', partitions: 1, replicationFactor: 1 }]);
    await writer.send([
      {
        topic: 'reader.bytes',
        key: Buffer.from([0xff, 0x00]),
        value: Buffer.from('v'),
        headers: { tag: ['a', 'b'], bin: Buffer.from([0xfe]) },
      },
      { topic: 'reader.bytes', key: null, value: Buffer.from('w'), headers: {} },
    ]);
    const seen: IncomingRecord[] = [];
    await reader.read('reader.bytes', (batch) => void seen.push(...batch));
    expect(seen.map((r) => r.offset)).toEqual(['0', '1']);
    const [first, second] = seen;
    expect(first.rawKey).toEqual(Buffer.from([0xff, 0x00]));
    expect(first.value.toString()).toBe('v');
    expect(first.rawHeaders).toEqual({
      tag: [Buffer.from('a'), Buffer.from('b')],
      bin: [Buffer.from([0xfe])],
    });
    expect(first.headers.tag).toBe('b');
    expect(first.timestamp).toBeGreaterThan(Date.now() - 60_000);
    expect(second).toMatchObject({ key: null, rawKey: null, headers: {}, rawHeaders: {} });
  });

  it('reads chosen partitions from given offsets; an offset below the oldest starts there', async () => {
    const ranges = await reader.partitions(TOPIC);
    const one = ranges[1];
    const seen: IncomingRecord[] = [];
    const result = await reader.read(TOPIC, (batch) => void seen.push(...batch), {
      partitions: [1, 2],
      from: new Map([
        [1, String(Number(one.high) - 5)],
        [2, '-3'],
      ]),
    });
    const expected = 5 + Number(ranges[2].high);
    expect(result).toEqual({ read: expected, total: expected, stopped: false });
    expect(seen.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual(
      Array.from({ length: 5 }, (_, i) => String(Number(one.high) - 5 + i)),
    );
    expect(seen.filter((r) => r.partition === 0)).toEqual([]);
    expect(seen.filter((r) => r.partition === 2)[0].offset).toBe('0');
  });

  it('starts at the oldest record retained when older ones were deleted', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      `DELETE FROM event_bus_log WHERE topic = $1 AND partition = 0 AND "offset" < 10`,
      [TOPIC],
    );
    await client.end();
    const [zero] = await reader.partitions(TOPIC);
    expect(zero.low).toBe('10');
    const seen: IncomingRecord[] = [];
    await reader.read(TOPIC, (batch) => void seen.push(...batch), { partitions: [0] });
    expect(seen[0].offset).toBe('10');
    expect(seen).toHaveLength(Number(zero.high) - 10);
  });

  it('stops when the sink returns false, after the batch in hand', async () => {
    const batches: IncomingRecord[][] = [];
    const result = await reader.read(TOPIC, (batch) => {
      batches.push(batch);
      return batches.length < 2;
    });
    expect(batches).toHaveLength(2);
    expect(result.stopped).toBe(true);
    expect(result.read).toBe(batches[0].length + batches[1].length);
    expect(result.total).toBeGreaterThan(result.read);
  });

  it('ends a read that is aborted with the reason given', async () => {
    const reason = new Error('interrupted');
    let batches = 0;
    await expect(
      reader.read(TOPIC, () => {
        if (++batches === 1) reader.abort(reason);
      }),
    ).rejects.toBe(reason);
    expect(batches).toBe(1);
    // The reader reads again afterwards.
    const again = await reader.read(TOPIC, () => false);
    expect(again.stopped).toBe(true);
  });

  it('bounds a batch by bytes too, a larger record coming alone', async () => {
    await writer.ensureTopics([{ name: 'reader.large', partitions: 1, replicationFactor: 1 }]);
    const big = Buffer.alloc(40_000, 'x');
    await writer.send(
      Array.from({ length: 6 }, () => ({
        topic: 'reader.large',
        key: 'k',
        value: big,
        headers: {},
      })),
    );
    const small = new PostgresTopicReader({ type: 'postgres', url: db.url }, 'reader-e2e', {
      maxBatchBytes: 100_000,
    });
    await small.connect();
    try {
      const sizes: number[] = [];
      await small.read('reader.large', (batch) => void sizes.push(batch.length));
      expect(sizes).toEqual([2, 2, 2]);
      const tiny = new PostgresTopicReader({ type: 'postgres', url: db.url }, 'reader-e2e', {
        maxBatchBytes: 10,
      });
      await tiny.connect();
      const one: number[] = [];
      await tiny
        .read('reader.large', (batch) => void one.push(batch.length))
        .finally(() => tiny.close());
      expect(one).toEqual([1, 1, 1, 1, 1, 1]);
    } finally {
      await small.close();
    }
  });

  it('finds no topics in a bus database no service has migrated yet', async () => {
    const empty = await createTestDatabase('postgres');
    const fresh = new PostgresTopicReader({ type: 'postgres', url: empty.url }, 'reader-e2e');
    try {
      await fresh.connect();
      expect(await fresh.listTopics()).toEqual([]);
      await expect(fresh.partitions(TOPIC)).rejects.toThrow(`Topic "${TOPIC}" does not exist`);
    } finally {
      await fresh.close();
      await empty.drop();
    }
  });

  it('fails to connect with a retriable error naming the bus database', async () => {
    const away = new PostgresTopicReader(
      { type: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' },
      'reader-e2e',
    );
    await expect(away.connect()).rejects.toMatchObject({
      retriable: true,
      message: expect.stringContaining('The bus database (transport "postgres") failed'),
    });
    await away.close();
  });
});
