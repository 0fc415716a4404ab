import { TransportError } from '@nestbus/event-bus';
import {
  IncomingRecord,
  OutgoingRecord,
  POSTGRES_TRANSPORT_MIGRATIONS,
  PostgresTransport,
  RecordBatch,
  TransportSubscription,
} from '@nestbus/event-bus/transport';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase, eventually, type TestDatabase } from './support/databases';
import { uniqueName } from './support/kafka';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The PostgreSQL transport beyond the contract suite, against a real server: how a group shares
 * partitions through leases (joins, a member that dies, fencing a member that lost its lease),
 * gapless offsets under concurrent writers, an outage of the bus database (refused through a TCP
 * proxy of the test's own, never by stopping the shared server), schema migrations, retention and
 * the LISTEN/NOTIFY wake-up.
 */

// Expected failures (the outage, the dead member) log on every retry; keep the output readable.
Logger.overrideLogger(process.env.TEST_LOG ? ['error', 'warn', 'log'] : false);

type Options = ConstructorParameters<typeof PostgresTransport>[0];

/** Short leases, so that expiry and rebalancing happen within a few seconds. */
const LEASE_MS = 2000;

/** One delivery to one member: the record and whether the batch's commit counted. */
interface Delivery {
  member: string;
  record: IncomingRecord;
  committed: boolean;
}

interface Member {
  subscription: TransportSubscription;
  deliveries: Delivery[];
  values(): string[];
}

describe('PostgreSQL transport (real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  const transports: PostgresTransport[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // Migrates the bus database, so that the raw client below finds the tables.
    const first = new PostgresTransport({ type: 'postgres', url: db.url }, 'setup');
    await first.connect();
    await first.close();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  const open = async (options: Partial<Options> = {}, url = db.url): Promise<PostgresTransport> => {
    const transport = new PostgresTransport(
      { type: 'postgres', url, pollIntervalMs: 100, leaseMs: LEASE_MS, ...options },
      uniqueName('pg-transport'),
    );
    transports.push(transport);
    await transport.connect();
    return transport;
  };

  const proxy = async (): Promise<TcpProxy> => {
    const target = new URL(db.url);
    const started = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    proxies.push(started);
    return started;
  };

  const newTopic = async (transport: PostgresTransport, partitions: number): Promise<string> => {
    const topic = uniqueName('pg-topic');
    await transport.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
    return topic;
  };

  const record = (topic: string, key: string, value: string): OutgoingRecord => ({
    topic,
    key,
    value: Buffer.from(value),
    headers: {},
  });

  /** Joins `groupId` and records each delivery; commits each batch unless `commit` says no. */
  const join = async (
    transport: PostgresTransport,
    groupId: string,
    topics: string[],
    behaviour: {
      name?: string;
      commit?: () => boolean;
      delayMs?: number;
      maxBatchSize?: number;
      onBatch?: (batch: RecordBatch) => Promise<void>;
      /** Where every member of a test records, in the order handled. */
      journal?: Delivery[];
    } = {},
  ): Promise<Member> => {
    const deliveries: Delivery[] = [];
    const name = behaviour.name ?? uniqueName('member');
    const subscription = await transport.subscribe(
      {
        groupId,
        topics,
        fromBeginning: true,
        maxBatchSize: behaviour.maxBatchSize ?? 10,
        partitionsConcurrently: 10,
      },
      async (batch) => {
        const mine = batch.records.map((r) => ({ member: name, record: r, committed: false }));
        deliveries.push(...mine);
        behaviour.journal?.push(...mine);
        if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
        await behaviour.onBatch?.(batch);
        if (behaviour.commit && !behaviour.commit()) return;
        const last = batch.records[batch.records.length - 1];
        await batch.commit(String(BigInt(last.offset) + 1n));
        // Counted while the batch is active: a commit the lease fenced makes it inactive (as
        // does a release, though its commit counts; no test relies on those being counted).
        if (batch.isActive()) for (const d of mine) d.committed = true;
      },
    );
    return {
      subscription,
      deliveries,
      values: () => deliveries.map((d) => d.record.value.toString()),
    };
  };

  const held = (member: Member): number => member.subscription.status!().partitions;

  const groupRows = async (groupId: string, topic: string) =>
    (
      await sql.query<{
        partition: number;
        owner: string | null;
        generation: string;
        committed_offset: string | null;
        live: boolean;
      }>(
        `SELECT partition, owner, generation, committed_offset, expires_at > now() AS live
           FROM event_bus_group_partition WHERE group_id = $1 AND topic = $2 ORDER BY partition`,
        [groupId, topic],
      )
    ).rows;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('gives a member that joins its share of the partitions, keeping per-key order, no record twice', async () => {
    const first = await open();
    const second = await open();
    const topic = await newTopic(first, 6);
    const groupId = uniqueName('g');
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    // Batches take a while, so that a partition moves while a batch is in hand.
    const journal: Delivery[] = [];
    const behaviour = { delayMs: 50, maxBatchSize: 5, journal };
    const a = await join(first, groupId, [topic], { name: 'a', ...behaviour });
    expect(held(a)).toBe(6);

    const rounds = 40;
    const sending = (async () => {
      for (let seq = 0; seq < rounds; seq++) {
        await first.send(keys.map((key) => record(topic, key, `${key}:${seq}`)));
        await sleep(40);
      }
    })();
    await eventually(() => journal.length > 0, 'the first member to read', 5000);
    const b = await join(second, groupId, [topic], { name: 'b', ...behaviour });
    await eventually(
      () => held(a) === 3 && held(b) === 3,
      `3 partitions each (a ${held(a)}, b ${held(b)})`,
      4 * LEASE_MS,
    );
    await sending;
    await eventually(
      () => new Set(journal.map((d) => d.record.value.toString())).size === keys.length * rounds,
      'every record',
      10000,
    );
    // Settled: the split holds, and nothing more arrives (no late redelivery).
    await sleep(LEASE_MS);
    expect([held(a), held(b)]).toEqual([3, 3]);
    const rows = await groupRows(groupId, topic);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.owner)).size).toBe(2);

    // Partitions moved in mid-stream: each member handled some of them after the other.
    const moved = [0, 1, 2, 3, 4, 5].filter((p) =>
      [a, b].every((m) => m.deliveries.some((d) => d.record.partition === p)),
    );
    expect(moved.length).toBeGreaterThan(0);
    // Each offset handled once, by one member (a partition moves with the commit of its batch
    // in hand), and every offset committed.
    const offsets = journal.map((d) => `${d.record.partition}:${d.record.offset}`);
    expect(offsets.length).toBe(keys.length * rounds);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect((await first.consumerLag(groupId, [topic])).map((l) => [l.partition, l.lag])).toEqual(
      Array.from({ length: 6 }, (_, p) => [p, 0]),
    );
    // Per key, in the order handled across both members: 0, 1, 2, … with no repeat.
    for (const key of keys) {
      const seqs = journal
        .filter((d) => d.record.key === key)
        .map((d) => Number(d.record.value.toString().split(':')[1]));
      expect(seqs).toEqual(Array.from({ length: rounds }, (_, i) => i));
    }
  });

  it('moves the partitions of a member that died after its lease, reading on from its last commit', async () => {
    const cut = await proxy();
    const healthy = await open();
    const doomed = await open({}, cut.rewrite(db.url));
    const topic = await newTopic(healthy, 4);
    const groupId = uniqueName('g');
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    let doomedCommits = true;
    const a = await join(healthy, groupId, [topic], { name: 'a' });
    const b = await join(doomed, groupId, [topic], { name: 'b', commit: () => doomedCommits });
    await eventually(() => held(a) === 2 && held(b) === 2, '2 partitions each', 4 * LEASE_MS);
    const bId = (b.subscription as unknown as { memberId: string }).memberId;
    const bPartitions = new Set(
      (await groupRows(groupId, topic)).filter((r) => r.owner === bId).map((r) => r.partition),
    );
    expect(bPartitions.size).toBe(2);

    await healthy.send(keys.map((key) => record(topic, key, `${key}:committed`)));
    await eventually(
      () => a.deliveries.length + b.deliveries.length === keys.length,
      'phase 1',
      5000,
    );
    await eventually(
      async () => (await healthy.consumerLag(groupId, [topic])).every((l) => l.lag === 0),
      'phase 1 committed',
      5000,
    );
    // The keys cover every partition, so the member that will die has records of its own.
    expect(new Set([...a.deliveries, ...b.deliveries].map((d) => d.record.partition)).size).toBe(4);

    doomedCommits = false;
    await healthy.send(keys.map((key) => record(topic, key, `${key}:uncommitted`)));
    await eventually(
      () =>
        [...a.values(), ...b.values()].filter((v) => v.endsWith(':uncommitted')).length >=
        keys.length,
      'phase 2 handled',
      5000,
    );
    const uncommitted = new Set(b.values().filter((v) => v.endsWith(':uncommitted')));
    expect(uncommitted.size).toBeGreaterThan(0);
    expect(b.deliveries.every((d) => bPartitions.has(d.record.partition))).toBe(true);

    // The member's connections are reset and refused: no heartbeat, no renewal, no release.
    cut.set('refuse');
    const cutAt = Date.now();
    const handledByB = b.deliveries.length;
    const aBefore = a.deliveries.length;
    await eventually(() => held(a) === 4, 'the survivor to hold all 4 partitions', 5 * LEASE_MS);
    const tookOver = Date.now() - cutAt;
    // Not a clean release: the partitions moved only once the lease had run out.
    expect(tookOver).toBeGreaterThanOrEqual(LEASE_MS / 2);

    await healthy.send(keys.map((key) => record(topic, key, `${key}:after`)));
    await eventually(
      () => a.values().filter((v) => v.endsWith(':after')).length === keys.length,
      'records sent after the takeover',
      5000,
    );
    await eventually(
      async () => (await healthy.consumerLag(groupId, [topic])).every((l) => l.lag === 0),
      'everything committed',
      5000,
    );
    const byPosition = (x: Delivery, y: Delivery) =>
      x.record.partition - y.record.partition ||
      Number(BigInt(x.record.offset) - BigInt(y.record.offset));
    const taken = a.deliveries.slice(aBefore).filter((d) => bPartitions.has(d.record.partition));
    // Per partition, in offset order, each once.
    for (const partition of bPartitions) {
      const offsets = taken.filter((d) => d.record.partition === partition);
      expect(offsets).toEqual([...offsets].sort(byPosition));
    }
    // From the dead member's last commit: its uncommitted records again, its committed ones not.
    expect(
      taken
        .filter((d) => !d.record.value.toString().endsWith(':after'))
        .sort(byPosition)
        .map((d) => d.record.value.toString()),
    ).toEqual(
      b.deliveries
        .filter((d) => uncommitted.has(d.record.value.toString()))
        .sort(byPosition)
        .map((d) => d.record.value.toString()),
    );
    expect(b.deliveries.length).toBe(handledByB);
    const rows = await groupRows(groupId, topic);
    expect(new Set(rows.map((r) => r.owner)).size).toBe(1);
    expect(rows.every((r) => r.live)).toBe(true);
  });

  it('does not move the offset on a commit from a member that lost its lease', async () => {
    // Long leases: neither member's own rounds (every third of it) come into this test.
    const first = await open({ leaseMs: 30_000 });
    const second = await open({ leaseMs: 30_000 });
    const topic = await newTopic(first, 2);
    const groupId = uniqueName('g');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stale: RecordBatch | undefined;
    let staleCommitted = false;
    const a = await join(first, groupId, [topic], {
      name: 'a',
      onBatch: async (batch) => {
        stale ??= batch;
        if (stale !== batch) return;
        await gate;
        await batch.commit(String(BigInt(batch.records[batch.records.length - 1].offset) + 1n));
        staleCommitted = true;
      },
    });
    expect(held(a)).toBe(2);
    await first.send(['x', 'x', 'x'].map((key, i) => record(topic, key, `x:${i}`)));
    await eventually(() => stale !== undefined, 'the batch in hand', 5000);
    const partition = stale!.partition;
    const [before] = (await groupRows(groupId, topic)).filter((r) => r.partition === partition);
    // The claim keeps where the group starts (here the log start, 0) before any commit.
    expect(before.committed_offset).toBe('0');

    await sql.query(
      `UPDATE event_bus_group_partition SET expires_at = now() - interval '1 s'
        WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition],
    );
    let mayCommit = false;
    const b = await join(second, groupId, [topic], { name: 'b', commit: () => mayCommit });
    // Its share is one partition, and the only one free is the expired one.
    expect(held(b)).toBe(1);
    const [claimed] = (await groupRows(groupId, topic)).filter((r) => r.partition === partition);
    expect(claimed.owner).not.toBe(before.owner);
    expect(BigInt(claimed.generation)).toBe(BigInt(before.generation) + 1n);

    release();
    await eventually(() => staleCommitted, "the stale batch's commit", 5000);
    const [after] = (await groupRows(groupId, topic)).filter((r) => r.partition === partition);
    expect(after.committed_offset).toBe('0');
    expect(after.owner).toBe(claimed.owner);
    expect(stale!.isActive()).toBe(false);

    // The new holder has the batch again, and its commit counts.
    await eventually(() => b.values().length >= 3, 'the new holder to read the batch', 5000);
    expect(b.values().slice(0, 3)).toEqual(['x:0', 'x:1', 'x:2']);
    mayCommit = true;
    await eventually(
      async () =>
        (await groupRows(groupId, topic)).find((r) => r.partition === partition)
          ?.committed_offset === '3',
      'the new holder to commit',
      5000,
    );
  });

  it('numbers the records of concurrent writers gaplessly, a reader never seeing past an open append', async () => {
    const transport = await open();
    const topic = await newTopic(transport, 3);
    const reader = await join(transport, uniqueName('g'), [topic], { maxBatchSize: 7 });
    const writers = ['p', 'q'].map(async (writer) => {
      for (let send = 0; send < 25; send++) {
        await transport.send(
          Array.from({ length: 8 }, (_, i) =>
            record(topic, 'one-key', `${writer}:${send * 8 + i}`),
          ),
        );
      }
    });
    await Promise.all(writers);
    await eventually(() => reader.deliveries.length >= 400, '400 records', 10000);
    await sleep(300);
    const seen = reader.deliveries.map((d) => d.record);
    expect(new Set(seen.map((r) => r.partition)).size).toBe(1);
    expect(seen.map((r) => Number(r.offset))).toEqual(Array.from({ length: 400 }, (_, i) => i));
    for (const writer of ['p', 'q']) {
      expect(seen.map((r) => r.value.toString()).filter((v) => v.startsWith(`${writer}:`))).toEqual(
        Array.from({ length: 200 }, (_, i) => `${writer}:${i}`),
      );
    }

    // An append in progress holds the partition's row: a second writer waits for its commit, and
    // a reader sees neither until then.
    const single = await newTopic(transport, 1);
    const tail = await join(transport, uniqueName('g'), [single]);
    await transport.send([record(single, 'k', 'first')]);
    await eventually(() => tail.deliveries.length === 1, 'the first record', 5000);
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      const locked = await writer.query<{ next_offset: string }>(
        'SELECT next_offset FROM event_bus_partition WHERE topic = $1 AND partition = 0 FOR UPDATE',
        [single],
      );
      expect(locked.rows[0].next_offset).toBe('1');
      await writer.query(
        `WITH taken AS (UPDATE event_bus_partition SET next_offset = next_offset + 1
                         WHERE topic = $1 AND partition = 0 RETURNING next_offset - 1 AS base)
         INSERT INTO event_bus_log (topic, partition, "offset", key, value, headers)
         SELECT $1, 0, base, 'k', 'raw', '[]' FROM taken`,
        [single],
      );
      let sent = false;
      const sending = transport.send([record(single, 'k', 'sent')]).then(() => (sent = true));
      await sleep(800);
      expect(sent).toBe(false);
      const waiting = await sql.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      expect(waiting.rows[0].n).toBeGreaterThanOrEqual(1);
      const visible = await sql.query<{ n: number }>(
        'SELECT COUNT(*)::int AS n FROM event_bus_log WHERE topic = $1',
        [single],
      );
      expect(visible.rows[0].n).toBe(1);
      expect(tail.deliveries).toHaveLength(1);

      await writer.query('COMMIT');
      await sending;
    } finally {
      await writer.end();
    }
    await eventually(() => tail.deliveries.length === 3, 'both appends after the commit', 5000);
    expect(tail.deliveries.map((d) => [d.record.offset, d.record.value.toString()])).toEqual([
      ['0', 'first'],
      ['1', 'raw'],
      ['2', 'sent'],
    ]);
  });

  it('fails sends promptly while the bus database refuses, then delivers everything once per committed offset', async () => {
    const cut = await proxy();
    const transport = await open({}, cut.rewrite(db.url));
    const topic = await newTopic(transport, 3);
    const groupId = uniqueName('g');
    const consumer = await join(transport, groupId, [topic]);

    const ok: string[] = [];
    const failed: Array<{ value: string; error: unknown; ms: number }> = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const value = `v${i}`;
        const started = Date.now();
        try {
          await transport.send([record(topic, `k${i % 6}`, value)]);
          ok.push(value);
        } catch (error) {
          failed.push({ value, error, ms: Date.now() - started });
        }
        await sleep(100);
      }
    })();

    await sleep(1000);
    const okBeforeOutage = ok.length;
    await cut.outage(5000, 'refuse');
    const okAfterOutage = ok.length;
    await sleep(2000);
    sending = false;
    await sender;

    expect(okBeforeOutage).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(okAfterOutage);
    expect(failed.length).toBeGreaterThan(0);
    for (const { error, ms } of failed) {
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).retriable).toBe(true);
      expect(ms).toBeLessThan(6000);
    }

    await eventually(
      () => ok.every((v) => consumer.values().includes(v)),
      'every record sent to be delivered after the outage',
      20000,
    );
    await eventually(
      async () => (await transport.consumerLag(groupId, [topic])).every((l) => l.lag === 0),
      'the group to commit everything',
      10000,
    );
    expect(held(consumer)).toBe(3);
    const delivered = new Set(consumer.values());
    const maybe = new Set(failed.map((f) => f.value));
    // A send that failed may still have committed (the answer was lost); no other value appears.
    expect([...delivered].filter((v) => !ok.includes(v) && !maybe.has(v))).toEqual([]);
    const log = await sql.query<{ partition: number; offset: string }>(
      'SELECT partition, "offset" FROM event_bus_log WHERE topic = $1',
      [topic],
    );
    const committedOnce = consumer.deliveries
      .filter((d) => d.committed)
      .map((d) => `${d.record.partition}:${d.record.offset}`);
    expect(new Set(committedOnce).size).toBe(committedOnce.length);
    expect([...committedOnce].sort()).toEqual(
      log.rows.map((r) => `${r.partition}:${r.offset}`).sort(),
    );
  });

  it('refuses to start on a schema it would not migrate, and migrates once when two start together', async () => {
    const empty = await createTestDatabase('postgres');
    const version = POSTGRES_TRANSPORT_MIGRATIONS[POSTGRES_TRANSPORT_MIGRATIONS.length - 1].version;
    try {
      const checkOnly = new PostgresTransport(
        { type: 'postgres', url: empty.url, migrate: false },
        'check-only',
      );
      const failure = await checkOnly.connect().then(
        () => undefined,
        (error: unknown) => error,
      );
      await checkOnly.close();
      expect(failure).toBeInstanceOf(TransportError);
      const message = (failure as Error).message;
      expect(message).toContain(`version 0`);
      expect(message).toContain(`needs ${version}`);
      expect(message).toContain('transport.migrate true');
      const check = new Client({ connectionString: empty.url });
      await check.connect();
      try {
        const tables = await check.query<{ t: string | null }>(
          "SELECT to_regclass('event_bus_partition')::text AS t",
        );
        expect(tables.rows[0].t).toBeNull();
      } finally {
        await check.end();
      }

      const both = [1, 2].map(
        (i) => new PostgresTransport({ type: 'postgres', url: empty.url }, `migrator-${i}`),
      );
      transports.push(...both);
      await Promise.all(both.map((t) => t.connect()));
      const applied = new Client({ connectionString: empty.url });
      await applied.connect();
      try {
        const { rows } = await applied.query<{ version: number; n: number }>(
          'SELECT version, COUNT(*)::int AS n FROM event_bus_schema GROUP BY version ORDER BY version',
        );
        expect(rows).toEqual(
          POSTGRES_TRANSPORT_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })),
        );
      } finally {
        await applied.end();
      }
      // Now at the version this code needs, a transport that only checks starts.
      const checked = new PostgresTransport(
        { type: 'postgres', url: empty.url, migrate: false },
        'check-only',
      );
      transports.push(checked);
      await expect(checked.connect()).resolves.toBeUndefined();
    } finally {
      await Promise.all(transports.splice(0).map((t) => t.close()));
      await empty.drop();
    }
  });

  it('deletes records past retention, and a group whose commit pointed there resumes at the log start', async () => {
    const transport = await open();
    const topic = await newTopic(transport, 1);
    const other = await newTopic(transport, 1);
    const groupId = uniqueName('g');
    await transport.send(Array.from({ length: 10 }, (_, i) => record(topic, 'k', `old:${i}`)));
    await transport.send([record(other, 'k', 'other')]);
    // The group reads the first three, commits them and leaves.
    let commits = 0;
    const early = await join(transport, groupId, [topic], {
      maxBatchSize: 3,
      commit: () => commits++ === 0,
    });
    await eventually(() => early.deliveries.length >= 3, 'the first batch', 5000);
    await early.subscription.close();
    expect((await groupRows(groupId, topic))[0].committed_offset).toBe('3');

    await sql.query(
      `UPDATE event_bus_log SET created_at = now() - interval '8 days' WHERE topic = $1`,
      [topic],
    );
    await transport.send(Array.from({ length: 5 }, (_, i) => record(topic, 'k', `new:${i}`)));
    // Private, called directly: retention's timer runs each minute.
    await (transport as unknown as { deleteExpired(): Promise<void> }).deleteExpired();

    const left = await sql.query<{ topic: string; offset: string }>(
      'SELECT topic, "offset" FROM event_bus_log WHERE topic = ANY($1) ORDER BY topic, "offset"',
      [[topic, other]],
    );
    expect(left.rows.filter((r) => r.topic === topic).map((r) => Number(r.offset))).toEqual([
      10, 11, 12, 13, 14,
    ]);
    expect(left.rows.filter((r) => r.topic === other)).toHaveLength(1);
    // Counted from the log start (10), not from the commit (3) into what retention deleted.
    expect(await transport.consumerLag(groupId, [topic])).toEqual([
      { topic, partition: 0, lag: 5 },
    ]);

    const resumed = await join(transport, groupId, [topic]);
    await eventually(() => resumed.deliveries.length >= 5, 'the records retained', 5000);
    await sleep(300);
    expect(resumed.deliveries.map((d) => [d.record.offset, d.record.value.toString()])).toEqual(
      Array.from({ length: 5 }, (_, i) => [String(10 + i), `new:${i}`]),
    );
    await eventually(
      async () => (await transport.consumerLag(groupId, [topic]))[0].lag === 0,
      'the group to catch up',
      5000,
    );
  });

  it('wakes an idle consumer by notification, not by its poll', async () => {
    const transport = await open({ pollIntervalMs: 60_000 });
    const topic = await newTopic(transport, 2);
    const consumer = await join(transport, uniqueName('g'), [topic]);
    for (const round of [1, 2]) {
      // Idle: each partition's fetch found nothing and waits out the minute's poll.
      await sleep(700);
      const sentAt = Date.now();
      await transport.send([record(topic, `k${round}`, `wake:${round}`)]);
      await eventually(
        () => consumer.values().includes(`wake:${round}`),
        `record ${round} within 5 s of its send`,
        5000,
      );
      expect(Date.now() - sentAt).toBeLessThan(5000);
    }
    expect(consumer.values()).toEqual(['wake:1', 'wake:2']);
  });

  it('removes the rows of members dead for ten leases, and only theirs', async () => {
    const transport = await open();
    const topic = await newTopic(transport, 2);
    const groupId = uniqueName('g');
    const otherGroup = uniqueName('other');
    const ago = (leases: number) => `now() - interval '${(leases * LEASE_MS) / 1000} seconds'`;
    await sql.query(
      `INSERT INTO event_bus_member (group_id, member_id, heartbeat_at)
       VALUES ($1, 'long-dead', ${ago(11)}), ($1, 'recently-dead', ${ago(3)}),
              ($2, 'other-group', ${ago(11)})`,
      [groupId, otherGroup],
    );
    await join(transport, groupId, [topic]);
    const { rows } = await sql.query<{ member_id: string }>(
      'SELECT member_id FROM event_bus_member WHERE group_id = ANY($1) ORDER BY member_id',
      [[groupId, otherGroup]],
    );
    const members = rows.map((r) => r.member_id);
    expect(members).not.toContain('long-dead');
    expect(members).toContain('recently-dead');
    expect(members).toContain('other-group');
    expect(members).toHaveLength(3);
  });

  it('never resizes a topic: a later declaration with more partitions keeps the first count', async () => {
    const transport = await open();
    const topic = await newTopic(transport, 3);
    await transport.ensureTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);
    const { rows } = await sql.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM event_bus_partition WHERE topic = $1',
      [topic],
    );
    expect(rows[0].n).toBe(3);
  });
});
