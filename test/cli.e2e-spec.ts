import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import {
  DLQ_HEADERS,
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  InMemoryBroker,
} from '@nestbus/event-bus';
import {
  type IncomingRecord,
  type OutgoingRecord,
  PostgresTopicReader,
  PostgresTransport,
} from '@nestbus/event-bus/transport';
import { EventTraceStore, OutboxMessage, OutboxStatus } from '@nestbus/event-bus/operations';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { bootItemApp, ItemApp } from './support/item-app';
import {
  Applied,
  HandlerBehaviour,
  ItemCreated,
  newBehaviour,
} from './support/item-events.fixture';
import { CLI_MAIN, runCli } from './support/cli';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';

const SERVICE_ID = uniqueName('cli-e2e');
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { SERVICE_ID, ...env });

const outboxRow = (id: string, status: OutboxStatus, minutesAgo: number): OutboxMessage =>
  Object.assign(new OutboxMessage(), {
    id,
    type: 'test.item-created',
    version: 1,
    key: 'k',
    topic: 'test.item-created',
    destination: null,
    payload: '{"secret":"s3cr3t"}',
    headers: '{}',
    status,
    attempts: status === 'failed' ? 10 : 0,
    nextAttemptAt: new Date(),
    lastError: status === 'failed' ? 'TransportError: MESSAGE_TOO_LARGE' : null,
    createdAt: new Date(Date.now() - minutesAgo * 60_000),
    publishedAt: status === 'published' ? new Date() : null,
  });

beforeAll(async () => {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run "npm run build" first.`);
  await requireKafka();
});

describe('events CLI: usage and unreachable services', () => {
  it.each([[[]], [['bogus']], [['outbox']], [['dlq', 'list']], [['dlq', 'show', 't', 'x', '1']]])(
    'exits with 2 on a usage error: %j',
    async (args) => {
      expect((await cli(args, { DATABASE_URL: '' })).code).toBe(2);
    },
  );

  it('exits with 2 when DATABASE_URL is missing, saying what to set', async () => {
    const run = await cli(['outbox', 'status'], { DATABASE_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DATABASE_URL is not set');
  });

  it('exits with 2 on bad environment variables, naming each of them and what it expects', async () => {
    const run = await cli(['dlq', 'list', 'anything'], {
      KAFKA_BROKERS: 'kafka',
      DATABASE_POOL_SIZE: 'x',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'error: Invalid environment: KAFKA_BROKERS must be a comma list of host:port, got ' +
        '"kafka". DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "x".',
    );
    expect(run.stderr).not.toContain('    at ');
  });

  it('shows help whatever the environment: it is read by the commands that need it', async () => {
    const run = await cli(['--help'], { KAFKA_BROKERS: 'kafka' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('outbox');
  });

  it('exits with 3 when Kafka is unreachable, saying how to start it', async () => {
    const run = await cli(['dlq', 'list', 'anything'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Kafka is not reachable at 127.0.0.1:1');
    expect(run.stderr).toContain('npm run kafka:start');
    expect(run.stderr).not.toContain('    at '); // no stack without --verbose
  });

  it('exits with 3 when PostgreSQL is unreachable, saying how to start it', async () => {
    const run = await cli(['outbox', 'status'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('pg_ctlcluster');
  });
});

describe('events CLI: topics ensure', () => {
  const prefix = `${uniqueName('cli-topics')}.`;
  const topics = [`${prefix}user.registered`, `${prefix}user.registered.dlq`];

  afterAll(async () => {
    const admin = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the contract topics and their .dlq topics once, then finds them', async () => {
    const first = await cli(['topics', 'ensure'], { EVENT_TOPIC_PREFIX: prefix });
    expect(first.code).toBe(0);
    for (const topic of topics)
      expect(first.stdout).toMatch(new RegExp(`^created +${topic}$`, 'm'));
    const second = await cli(['topics', 'ensure'], { EVENT_TOPIC_PREFIX: prefix });
    expect(second.code).toBe(0);
    for (const topic of topics)
      expect(second.stdout).toMatch(new RegExp(`^exists +${topic}$`, 'm'));
    expect(second.stdout).toContain('All 2 topics existed.');
  });
});

describe('events CLI: reading a large dead-letter topic', () => {
  const dlq = `${uniqueName('cli-big')}.dlq`;
  const admin = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlq, numPartitions: 3 }] });
    // Several fetches' worth per partition (kafkajs fetches 1 MB of a partition at a time).
    for (let batch = 0; batch < 3; batch++) {
      await produceRaw(
        dlq,
        Array.from({ length: 4000 }, (_, i) => ({
          key: `k${i % 11}`,
          value: JSON.stringify({ n: batch * 4000 + i, pad: 'x'.repeat(300) }),
          headers: { ce_id: `big-${batch * 4000 + i}`, 'x-error-type': 'Error' },
        })),
      );
    }
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [dlq] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reads every record once, to the end offsets, with progress on stderr', async () => {
    const run = await cli(['dlq', 'list', dlq, '--limit', '100000']);
    // The CLI's own account of a failure, in the assertion's output (seen once on a fresh broker).
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(run.stdout).toContain(`12000 dead letters in ${dlq}.`);
    const ids = run.stdout.match(/ big-\d+ /g) ?? [];
    expect(new Set(ids).size).toBe(12000);
    expect(run.stderr).toMatch(/^read \d+\/12000$/m);
    expect(run.stderr).toMatch(/^read 12000\/12000$/m);
  });

  it('shows a record far into a partition', async () => {
    const [last] = (await admin.fetchTopicOffsets(dlq)).filter((p) => p.partition === 1);
    const offset = String(Number(last.high) - 1);
    const run = await cli(['dlq', 'show', dlq, '1', offset]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^offset +${offset}$`, 'm'));
  });
});

describe('events CLI: outbox', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const env = (): Record<string, string> => ({ DATABASE_URL: db.url });
  const statusOf = async (id: string) =>
    (await dataSource.getRepository(OutboxMessage).findOneByOrFail({ id })).status;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: EVENT_BUS_ENTITIES,
      migrations: EVENT_BUS_MIGRATIONS,
      migrationsRun: true,
    });
    await dataSource.initialize();
    await dataSource
      .getRepository(OutboxMessage)
      .insert([
        outboxRow('p1', 'pending', 2),
        outboxRow('p2', 'pending', 0),
        outboxRow('s1', 'published', 5),
        outboxRow('s2', 'published', 5),
        outboxRow('s3', 'published', 5),
        outboxRow('f1', 'failed', 4),
        outboxRow('f2', 'failed', 3),
      ]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('outbox status counts rows per status and shows the oldest pending age', async () => {
    const run = await cli(['outbox', 'status'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^pending +2$/m);
    expect(run.stdout).toMatch(/^published +3$/m);
    expect(run.stdout).toMatch(/^failed +2$/m);
    expect(run.stdout).toMatch(/^oldest pending +\S+Z \(2m \d+s ago\)$/m);
  });

  it('outbox failed lists failed rows without payloads unless asked', async () => {
    const run = await cli(['outbox', 'failed'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^f1 +test\.item-created +k +10 +\S+ +TransportError: MESSAGE_TOO_LARGE$/m,
    );
    expect(run.stdout).toContain('2 failed rows.');
    expect(run.stdout).not.toContain('s3cr3t');
    const withPayload = await cli(['outbox', 'failed', '--show-payload', '--limit', '1'], env());
    expect(withPayload.stdout).toContain('payload f1  {"secret":"s3cr3t"}');
    expect(withPayload.stdout).toContain('showing the oldest 1');
  });

  it('outbox retry needs --id or --all, and resets only failed rows', async () => {
    expect((await cli(['outbox', 'retry'], env())).code).toBe(2);

    const one = await cli(['outbox', 'retry', '--id', 'f1'], env());
    expect(one.code).toBe(0);
    expect([await statusOf('f1'), await statusOf('f2')]).toEqual(['pending', 'failed']);

    const notFailed = await cli(['outbox', 'retry', '--id', 's1'], env());
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toContain('s1 (published)');

    const all = await cli(['outbox', 'retry', '--all'], env());
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('Reset 1 failed row to pending');
    expect(await statusOf('f2')).toBe('pending');
  });
});

describe('events CLI: dead letters on Kafka', () => {
  const prefix = uniqueName('cli');
  const topic = `${prefix}.test.item-created`;
  const dlq = `${topic}.dlq`;
  const eventId = uuidv7();
  let db: TestDatabase;
  let behaviour: HandlerBehaviour;
  let app: ItemApp;
  let letter: { partition: number; offset: string };
  const env = (): Record<string, string> => ({ DATABASE_URL: db.url });
  const appliedOf = (id: string) => app.dataSource.getRepository(Applied).countBy({ eventId: id });
  const replayedRow = () => app.dataSource.getRepository(OutboxMessage).findOneBy({ id: eventId });

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    behaviour = newBehaviour();
    behaviour.shouldFail = (event) => event.itemKey === 'poison';
    app = await bootItemApp(db, new InMemoryBroker(), behaviour, {
      serviceId: prefix,
      transport: { type: 'kafka', brokers: KAFKA_BROKERS },
      topics: { naming: (type: string) => `${prefix}.${type}` },
      consumer: { retry: { maxRetries: 1 } },
      tracing: { log: { enabled: true, sampleRate: 1 } },
    });
    // Another service's event that this service's handler fails on.
    await produceRaw(topic, [
      {
        key: 'poison',
        value: JSON.stringify({ itemKey: 'poison', seq: 1 }),
        headers: {
          ce_specversion: '1.0',
          ce_id: eventId,
          ce_source: 'other-service',
          ce_type: 'test.item-created',
          ce_dataversion: '1',
          ce_time: '2025-01-01T00:00:00.000Z',
          'content-type': 'application/json',
        },
      },
    ]);
    const [record] = await readTopic(dlq, 1);
    if (!record) throw new Error(`The poison record never reached ${dlq}.`);
    letter = { partition: record.partition, offset: record.offset };
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('dlq list shows the dead letter and why, for the event topic, its .dlq or with the prefix', async () => {
    for (const [name, prefixEnv] of [
      [topic, ''],
      [dlq, ''],
      ['test.item-created', `${prefix}.`],
    ]) {
      const run = await cli(['dlq', 'list', name], { EVENT_TOPIC_PREFIX: prefixEnv });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(
          `^${letter.partition} +${letter.offset} +${eventId} +test\\.item-created +Error +` +
            'ItemProjector\\.onItemCreated +2 +planned failure of poison#1, attempt 2$',
          'm',
        ),
      );
      expect(run.stdout).toContain(`1 dead letter in ${dlq}.`);
      expect(run.stdout).not.toContain('"itemKey"');
    }
  });

  it('dlq list leaves no consumer group behind', async () => {
    const admin = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    expect(groups.filter((g) => g.groupId.startsWith(SERVICE_ID))).toEqual([]);
  });

  it('dlq show prints one dead letter with headers and payload', async () => {
    const run = await cli(['dlq', 'show', topic, String(letter.partition), letter.offset]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^  ce_id +${eventId}$`, 'm'));
    expect(run.stdout).toMatch(/^ {2}x-handler +ItemProjector\.onItemCreated$/m);
    expect(run.stdout).toContain('"itemKey": "poison"');
    expect((await cli(['dlq', 'show', topic, String(letter.partition), '999'])).code).toBe(1);
  });

  it('dlq replay is a dry run by default: it says what it would do and writes nothing', async () => {
    const run = await cli(['dlq', 'replay', topic], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`would replay   ${dlq}/${letter.partition}/${letter.offset}`);
    expect(run.stdout).toContain('add --execute');
    expect(await replayedRow()).toBeNull();
  });

  it('dlq replay --execute writes an outbox row that the fixed handler then applies', async () => {
    behaviour.shouldFail = () => false;
    const run = await cli(['dlq', 'replay', topic, '--execute', '--by', 'alice'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Replayed 1 of 1 dead letters from ${dlq} as "alice"`);

    const row = await replayedRow();
    expect(row).toMatchObject({ topic, key: 'poison', type: 'test.item-created', version: 1 });
    expect(JSON.parse(row!.headers)).toMatchObject({
      ce_source: 'other-service',
      'x-replayed-by': 'alice',
      'x-replayed-from': `${dlq}/${letter.partition}/${letter.offset}`,
    });
    await app.helper.waitForHandled(ItemCreated, {
      timeoutMs: 30_000,
      where: (e) => e.itemKey === 'poison',
    });
    expect(await appliedOf(eventId)).toBe(1);
    // Sent again as the same event; its original time travels along.
    const sent = (await readTopic(topic, 2)).find((r) => r.headers['x-replayed-by'] === 'alice');
    expect(sent?.headers).toMatchObject({
      ce_id: eventId,
      ce_type: 'test.item-created',
      'x-original-time': '2025-01-01T00:00:00.000Z',
    });
  });

  it('replaying the same dead letter again does not apply the event twice', async () => {
    await eventually(async () => (await replayedRow())?.status === 'published', 'first send');
    const run = await cli(['dlq', 'replay', topic, '--execute'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('requeued');
    await eventually(
      () => app.helper.history().some((o) => o.eventId === eventId && o.status === 'duplicate'),
      'the second delivery, skipped by the inbox',
      30_000,
    );
    expect(await appliedOf(eventId)).toBe(1);
  });

  it('trace prints the hops this service recorded for the event', async () => {
    const stages = async () =>
      (await app.module.get(EventTraceStore).findByEvent(eventId)).map((hop) => hop.stage);
    await eventually(async () => {
      const seen = await stages();
      return seen.includes('dead_lettered') && seen.includes('processed');
    }, 'trace rows of the dead letter and of the replay');
    const run = await cli(['trace', eventId], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^AT +STAGE +SERVICE +HANDLER +DURATION_MS +ERROR$/m);
    expect(run.stdout).toMatch(new RegExp(`^\\S+Z +dead_lettered +${prefix} +ItemProjector`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^\\S+Z +processed +${prefix} +ItemProjector`, 'm'));
    expect((await cli(['trace', uuidv7()], env())).code).toBe(1);
  });
});

describe('events CLI: on the postgres transport (EVENT_TRANSPORT=postgres)', () => {
  const prefix = `${uniqueName('cli-pg')}.`;
  const topic = `${prefix}user.registered`;
  const dlq = `${topic}.dlq`;
  const ids = { text: uuidv7(), binary: uuidv7() };
  let bus: TestDatabase;
  let db: TestDatabase;
  let dataSource: DataSource;
  let transport: PostgresTransport;
  const env = (): Record<string, string> => ({
    EVENT_TRANSPORT: 'postgres',
    BUS_DATABASE_URL: bus.url,
    EVENT_TOPIC_PREFIX: prefix,
    DATABASE_URL: db.url,
  });
  const deadLetter = (eventId: string, key: string | Buffer): OutgoingRecord => ({
    topic: dlq,
    key,
    value: Buffer.from(JSON.stringify({ userId: 'u1', email: 'u1@example.com' })),
    headers: {
      ce_specversion: '1.0',
      ce_id: eventId,
      ce_source: 'user-service',
      ce_type: 'user.registered',
      ce_dataversion: '2',
      ce_time: '2025-01-01T00:00:00.000Z',
      'content-type': 'application/json',
      [DLQ_HEADERS.errorType]: 'Error',
      [DLQ_HEADERS.errorMessage]: 'mailer down',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.originalTopic]: topic,
      [DLQ_HEADERS.originalPartition]: '0',
      [DLQ_HEADERS.originalOffset]: '7',
      [DLQ_HEADERS.handler]: 'WelcomeMailer.onUserRegistered',
      [DLQ_HEADERS.failedAt]: '2025-01-01T00:00:01.000Z',
    },
  });

  beforeAll(async () => {
    bus = await createTestDatabase('postgres');
    db = await createTestDatabase('postgres');
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: EVENT_BUS_ENTITIES,
      migrations: EVENT_BUS_MIGRATIONS,
      migrationsRun: true,
    });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await transport?.close();
    await dataSource?.destroy();
    await db?.drop();
    await bus?.drop();
  });

  it('topics ensure creates the topics as partition rows of the bus database', async () => {
    const run = await cli(['topics', 'ensure'], env());
    expect(run.code).toBe(0);
    for (const name of [topic, dlq])
      expect(run.stdout).toMatch(new RegExp(`^created +${name}$`, 'm'));
    expect(run.stdout).toContain('2 created (3 partitions), 0 existed.');
    const client = new Client({ connectionString: bus.url });
    await client.connect();
    const { rows } = await client
      .query<{ topic: string; partitions: number }>(
        `SELECT topic, COUNT(*)::int AS partitions FROM event_bus_partition
          GROUP BY topic ORDER BY topic`,
      )
      .finally(() => client.end());
    expect(rows).toEqual([
      { topic, partitions: 3 },
      { topic: dlq, partitions: 3 },
    ]);
    expect((await cli(['topics', 'ensure'], env())).stdout).toContain('All 2 topics existed.');
  });

  it('dlq list and show read the dead letters PostgresTransport.send appended', async () => {
    transport = new PostgresTransport({ type: 'postgres', url: bus.url }, 'cli-e2e-writer');
    await transport.connect();
    await transport.send([
      deadLetter(ids.text, 'u1'),
      deadLetter(ids.binary, Buffer.from([0xff, 0x01])),
    ]);
    const list = await cli(['dlq', 'list', 'user.registered'], env());
    expect(list.code).toBe(0);
    for (const id of Object.values(ids)) {
      expect(list.stdout).toMatch(
        new RegExp(
          `^\\d +\\d+ +${id} +user\\.registered +Error +WelcomeMailer\\.onUserRegistered +3 +mailer down$`,
          'm',
        ),
      );
    }
    expect(list.stdout).toContain(`2 dead letters in ${dlq}.`);

    const [partition, offset] = new RegExp(`^(\\d) +(\\d+) +${ids.text} `, 'm')
      .exec(list.stdout)!
      .slice(1);
    const show = await cli(['dlq', 'show', topic, partition, offset], env());
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^  ce_id +${ids.text}$`, 'm'));
    expect(show.stdout).toContain('"email": "u1@example.com"');
  });

  it('dlq replay writes outbox rows, and sends what the outbox cannot hold to the bus database', async () => {
    const dry = await cli(['dlq', 'replay', topic], env());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('add --execute');

    const run = await cli(['dlq', 'replay', topic, '--execute', '--by', 'alice'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^replayed +${dlq}/\\d/\\d+ +${ids.text} `, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^sent +${dlq}/\\d/\\d+ +${ids.binary} `, 'm'));
    expect(run.stdout).toContain('1 sent straight to the bus database, byte for byte');
    const row = await dataSource.getRepository(OutboxMessage).findOneBy({ id: ids.text });
    expect(row).toMatchObject({ topic, key: 'u1', type: 'user.registered', status: 'pending' });

    const reader = new PostgresTopicReader({ type: 'postgres', url: bus.url }, 'cli-e2e');
    await reader.connect();
    const resent: IncomingRecord[] = [];
    await reader
      .read(topic, (records) => void resent.push(...records))
      .finally(() => reader.close());
    expect(resent).toHaveLength(1);
    expect(resent[0].rawKey).toEqual(Buffer.from([0xff, 0x01]));
    expect(resent[0].headers).toMatchObject({ ce_id: ids.binary, 'x-replayed-by': 'alice' });
  });

  it('says how to point BUS_DATABASE_URL when it is missing or the bus database is unreachable', async () => {
    const missing = await cli(['dlq', 'list', 'user.registered'], { EVENT_TRANSPORT: 'postgres' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'EVENT_TRANSPORT is postgres, so BUS_DATABASE_URL must be set',
    );

    const away = await cli(['dlq', 'list', 'user.registered'], {
      EVENT_TRANSPORT: 'postgres',
      BUS_DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/bus',
    });
    expect(away.code).toBe(3);
    expect(away.stderr).toContain(
      'The bus database is not reachable at postgres://postgres@127.0.0.1:1/bus',
    );
    expect(away.stderr).toContain('point BUS_DATABASE_URL at');
    expect(away.stderr).not.toContain('s3cret');

    const inProcess = await cli(['dlq', 'list', 'x'], { EVENT_TRANSPORT: 'in-memory' });
    expect(inProcess.code).toBe(2);
    expect(inProcess.stderr).toContain('EVENT_TRANSPORT is in-memory');
  });
});

describe('events CLI: schema check and record', () => {
  const SCHEMAS = join('libs', 'contracts', 'schemas');

  it('passes on the committed contracts', async () => {
    const run = await cli(['schema', 'check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('user.registered v1, user.registered v2');
  });

  it('exits 1 naming the event, version and field when a released schema was changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    for (const name of readdirSync(SCHEMAS)) copyFileSync(join(SCHEMAS, name), join(dir, name));
    // As if v1 had been released with a numeric email: today's class reuses its number.
    const v1 = JSON.parse(readFileSync(join(dir, 'user.registered.v1.json'), 'utf8'));
    v1.schema.properties.email = { type: 'integer' };
    writeFileSync(join(dir, 'user.registered.v1.json'), JSON.stringify(v1));

    const run = await cli(['schema', 'check', '--schemas', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /user\.registered +v1 +email +type changed from integer to string\(email\) under a released version number; release the change as v3/,
    );
    expect(run.stderr).toContain('1 problem in libs/contracts');
  });

  it('records the versions not recorded yet, and never rewrites one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    writeFileSync(
      join(dir, 'user.registered.v1.json'),
      '{"type":"user.registered","version":1,"schema":{}}',
    );

    const run = await cli(['schema', 'record', '--schemas', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/kept +.*user\.registered\.v1\.json/);
    expect(run.stdout).toMatch(/recorded +.*user\.registered\.v2\.json/);
    expect(readFileSync(join(dir, 'user.registered.v1.json'), 'utf8')).toContain('"schema":{}');
    expect(readFileSync(join(dir, 'user.registered.v2.json'), 'utf8')).toBe(
      readFileSync(join(SCHEMAS, 'user.registered.v2.json'), 'utf8'),
    );
  });
});
