import { existsSync } from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import { DLQ_HEADERS, InMemoryBroker } from '@nestbus/event-bus';
import { EVENT_TRANSPORT, EventTransport, IncomingRecord } from '@nestbus/event-bus/transport';
import { createTestDatabase, DatabaseKind, eventually, TestDatabase } from './support/databases';
import { bootItemApp, ItemApp } from './support/item-app';
import { HandlerBehaviour, ItemCreated, newBehaviour } from './support/item-events.fixture';
import { CLI_MAIN, runCli } from './support/cli';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';

/** Bytes that are not UTF-8: decoded as text they would become U+FFFD. */
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x80]);

/** The records as produced: keys, values and header values as bytes (arrays: repeated headers). */
interface Produced {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer[]>;
}

const ceHeaders = (id: string): Record<string, Buffer[]> =>
  Object.fromEntries(
    Object.entries({
      ce_specversion: '1.0',
      ce_id: id,
      ce_source: 'other-service',
      ce_type: 'test.item-created',
      ce_dataversion: '1',
      ce_time: '2025-01-01T00:00:00.000Z',
      'content-type': 'application/json',
    }).map(([name, value]) => [name, [Buffer.from(value)]]),
  );

/** Undecodable: its value is not UTF-8, so not JSON (poison, dead-lettered at once). */
const poison = (id: string): Produced => ({
  key: Buffer.concat([Buffer.from('poison-'), NOT_UTF8]),
  value: Buffer.concat([Buffer.from('{"itemKey":'), NOT_UTF8, Buffer.from('}')]),
  headers: {
    ...ceHeaders(id),
    'x-binary': [NOT_UTF8],
    'x-hop': [Buffer.from('first'), Buffer.from([0x80, 0x81]), Buffer.from('third')],
    'x-empty': [Buffer.alloc(0)],
  },
});

/** Decodable, but its handler fails: dead-lettered after the retries, and replayable. */
const failing = (id: string): Produced => ({
  key: Buffer.concat([Buffer.from('bin-'), NOT_UTF8]),
  value: Buffer.from(JSON.stringify({ itemKey: 'bin', seq: 1 })),
  headers: {
    ...ceHeaders(id),
    'x-binary': [Buffer.from([0x00, 0xc3, 0x28, 0xff])],
    'x-hop': [NOT_UTF8, Buffer.from('second')],
  },
});

const FAILURE_HEADERS = [
  DLQ_HEADERS.errorType,
  DLQ_HEADERS.errorMessage,
  DLQ_HEADERS.attempts,
  DLQ_HEADERS.originalTopic,
  DLQ_HEADERS.originalPartition,
  DLQ_HEADERS.originalOffset,
];

/** Byte for byte: the key, the value and every value of every header produced. */
function expectSameBytes(received: IncomingRecord, produced: Produced, except: string[] = []) {
  expect(received.rawKey).toEqual(produced.key);
  expect(received.value).toEqual(produced.value);
  for (const [name, values] of Object.entries(produced.headers)) {
    if (!except.includes(name)) expect([name, received.rawHeaders[name]]).toEqual([name, values]);
  }
}

interface Setup {
  transport: 'kafka' | 'in-memory';
  db: DatabaseKind;
}

describe.each<Setup>([
  { transport: 'kafka', db: 'postgres' },
  { transport: 'in-memory', db: 'sqlite' },
])('dead letters are byte-exact on the $transport transport', ({ transport, db: kind }) => {
  const prefix = uniqueName('dlq-bytes');
  const topic = transport === 'kafka' ? `${prefix}.test.item-created` : 'test.item-created';
  const dlq = `${topic}.dlq`;
  const ids = { poison: uuidv7(), failing: uuidv7() };
  const sent = { poison: poison(ids.poison), failing: failing(ids.failing) };
  const broker = new InMemoryBroker();
  let db: TestDatabase;
  let behaviour: HandlerBehaviour;
  let app: ItemApp;
  let letters: Record<keyof typeof ids, IncomingRecord>;

  const readDeadLetters = async (): Promise<IncomingRecord[]> =>
    transport === 'kafka'
      ? readTopic(dlq, 2)
      : broker.partitions(dlq).flatMap((p) => p.read(0, 100));

  beforeAll(async () => {
    if (transport === 'kafka') {
      if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run "npm run build".`);
      await requireKafka();
    }
    db = await createTestDatabase(kind);
    behaviour = newBehaviour();
    behaviour.shouldFail = (event) => event.itemKey === 'bin';
    app = await bootItemApp(db, broker, behaviour, {
      consumer: { retry: { maxRetries: 1 } },
      ...(transport === 'kafka'
        ? {
            serviceId: prefix,
            transport: { type: 'kafka', brokers: KAFKA_BROKERS },
            topics: { naming: (type: string) => `${prefix}.${type}` },
          }
        : {}),
    });
    const records = [sent.poison, sent.failing];
    if (transport === 'kafka') {
      // Straight to the topic with kafkajs, as a producer that is not the bus would.
      await produceRaw(topic, records);
    } else {
      await app.module
        .get<EventTransport>(EVENT_TRANSPORT)
        .send(records.map((r) => ({ topic, ...r })));
    }
    let found: IncomingRecord[] = [];
    await eventually(
      async () => (found = await readDeadLetters()).length === 2,
      `both records in ${dlq}`,
      30_000,
    );
    const byId = (id: string) => found.find((r) => r.headers.ce_id === id)!;
    letters = { poison: byId(ids.poison), failing: byId(ids.failing) };
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('keeps the poison record byte for byte, repeated headers included, and says why', () => {
    const letter = letters.poison;
    expectSameBytes(letter, sent.poison);
    for (const name of FAILURE_HEADERS) expect(letter.rawHeaders[name]).toHaveLength(1);
    expect(letter.headers[DLQ_HEADERS.errorType]).toBe('malformed');
    expect(letter.headers[DLQ_HEADERS.originalTopic]).toBe(topic);
  });

  it('keeps the record its handler failed on byte for byte, naming the handler', () => {
    const letter = letters.failing;
    expectSameBytes(letter, sent.failing);
    for (const name of [...FAILURE_HEADERS, DLQ_HEADERS.handler]) {
      expect(letter.rawHeaders[name]).toHaveLength(1);
    }
    expect(letter.headers[DLQ_HEADERS.attempts]).toBe('2');
    expect(letter.headers[DLQ_HEADERS.handler]).toBe('ItemProjector.onItemCreated');
  });

  if (transport !== 'kafka') return;

  const cli = (args: string[]) => runCli(args, { SERVICE_ID: prefix, DATABASE_URL: db.url });

  it('dlq show prints bytes that are not UTF-8 as marked base64, every repeated value too', async () => {
    const { partition, offset } = letters.poison;
    const run = await cli(['dlq', 'show', dlq, String(partition), offset]);
    expect(run.code).toBe(0);
    const base64 = (b: Buffer) => `(binary, ${b.length} bytes, base64) ${b.toString('base64')}`;
    const line = (name: string, value: string) =>
      expect(run.stdout.split('\n')).toContainEqual(
        expect.stringMatching(`^\\s*${name} +${escape(value)}$`),
      );
    line('key', base64(sent.poison.key));
    line('x-binary', base64(NOT_UTF8));
    line('x-hop', 'first');
    line('x-hop', base64(Buffer.from([0x80, 0x81])));
    line('x-hop', 'third');
    line('ce_id', ids.poison);
    expect(run.stdout).toContain(base64(sent.poison.value));
    expect(run.stdout).not.toContain('\ufffd');
  });

  it('dlq replay sends the exact bytes again, and the fixed handler applies the event', async () => {
    behaviour.shouldFail = () => false;
    const run = await cli(['dlq', 'replay', dlq, '--execute', '--by', 'byte-tester']);
    expect(run.code).toBe(0);
    const address = (l: IncomingRecord) => `${dlq}/${l.partition}/${l.offset}`;
    expect(run.stdout).toMatch(new RegExp(`^sent +${escape(address(letters.failing))} `, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^skipped +${escape(address(letters.poison))} `, 'm'));
    expect(run.stdout).toContain('1 sent straight to Kafka, byte for byte');

    const replayed = (await readTopic(topic, 3)).find(
      (r) => r.headers['x-replayed-by'] === 'byte-tester',
    );
    if (!replayed) throw new Error(`The replay never reached ${topic}.`);
    // ce_time is the replay's (as through the outbox); the original travels as x-original-time.
    expectSameBytes(replayed, sent.failing, ['ce_time']);
    expect(replayed.headers['x-original-time']).toBe('2025-01-01T00:00:00.000Z');
    expect(replayed.headers['x-replayed-from']).toBe(address(letters.failing));
    for (const name of [...FAILURE_HEADERS, DLQ_HEADERS.handler]) {
      expect(replayed.rawHeaders[name]).toBeUndefined();
    }
    await app.helper.waitForHandled(ItemCreated, {
      timeoutMs: 30_000,
      where: (e) => e.itemKey === 'bin',
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
