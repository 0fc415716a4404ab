import { Logger } from '@nestjs/common';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type {
  BatchHandler,
  EventTransport,
  OutgoingRecord,
  PartitionLag,
  SubscribeOptions,
  TopicSpec,
  TransportSubscription,
} from '../event-transport.interface';
import { lagBehind } from '../partition-lag';
import { toBytes, toRawHeaders } from '../record-bytes';
import { TransportError } from '../../errors/transport.error';
import { describeError } from '../../util/describe-error';
import { loadPackage } from '../../util/load-package';
import {
  busDatabaseUnreachable,
  busSchemaBehind,
  busTopicMissing,
  busTopicPartitionsDiffer,
  retentionRoundFailed,
  TRANSPORT_LISTENER,
  transportClosed,
} from '../../event-bus.messages';
import { partitionForKey } from './kafka-partitioner';
import {
  POSTGRES_TRANSPORT_DEFAULTS,
  type PostgresTransportOptions,
} from './postgres-transport-options';
import {
  POSTGRES_TRANSPORT_MIGRATIONS,
  POSTGRES_TRANSPORT_SCHEMA_VERSION,
  SCHEMA_LOCK,
} from './postgres-transport.schema';
import { PostgresListener } from '../../util/postgres-listener';
import { PostgresSubscription } from './postgres.subscription';

/** The channel each append announces itself on; the payload is `<partition>:<topic>`. */
export const LOG_CHANNEL = 'event_bus_log';
/** Rows deleted per statement when retention runs, so no statement holds locks for long. */
const RETENTION_BATCH = 5000;
const RETENTION_EVERY_MS = 60_000;

export type ResolvedPostgresOptions = Required<PostgresTransportOptions>;

/**
 * Topics as tables of a PostgreSQL database that the services share: no broker. A topic has a
 * fixed number of partitions, picked by Kafka's key hash, each an append-only log with gapless
 * offsets (see `postgres-transport.schema.ts`). A send is one transaction, all or nothing. A
 * consumer group shares a topic's partitions among its members through leases in the database
 * (`PostgresSubscription`); appends wake consumers through `LISTEN/NOTIFY`, and a poll is the
 * fallback. Records older than `retentionMs` are deleted.
 */
export class PostgresTransport implements EventTransport {
  readonly name = 'postgresql';
  readonly durable = true;
  private readonly logger = new Logger(PostgresTransport.name);
  private readonly options: ResolvedPostgresOptions;
  private pool?: Pool;
  private listener?: PostgresListener;
  private readonly subscriptions = new Set<PostgresSubscription>();
  /** Partition counts of the topics seen, so a send asks the database once per topic. */
  private readonly partitionCounts = new Map<string, number>();
  private retention?: NodeJS.Timeout;
  private closed = false;

  constructor(
    options: PostgresTransportOptions,
    private readonly serviceId: string,
  ) {
    this.options = { ...POSTGRES_TRANSPORT_DEFAULTS, ...options } as ResolvedPostgresOptions;
  }

  async connect(): Promise<void> {
    this.closed = false;
    const pg = loadPackage<typeof import('pg')>('pg', 'transport.type "postgres"');
    const config: PoolConfig = {
      connectionString: this.options.url,
      max: this.options.maxConnections,
      application_name: `${this.serviceId} (event-bus transport)`.slice(0, 63),
      connectionTimeoutMillis: 5000,
      // Every wait is bounded, so a server that stops answering becomes an error, not a hang:
      // the server cancels a statement after 10 s (an append waiting on a partition's lock
      // included), the client gives up on one after 15 s, and a session left idle inside a
      // transaction (a writer that died holding a partition's lock) is ended after 10 s.
      statement_timeout: 10_000,
      query_timeout: 15_000,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
    };
    if (!this.pool) {
      this.pool = new pg.Pool(config);
      // An idle connection the server closed is dropped by the pool; the error must not crash.
      this.pool.on('error', () => undefined);
    }
    try {
      await this.migrate();
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError(busDatabaseUnreachable(describeError(error)), {
        cause: error,
        retriable: true,
      });
    }
    this.listener ??= new PostgresListener(
      () => new pg.Client(config),
      TRANSPORT_LISTENER,
      LOG_CHANNEL,
      // No payload: the listener reconnected, and appends meanwhile went unheard.
      (payload) => (payload ? this.announced(payload) : this.announcedAll()),
    );
    await this.listener.start();
    this.retention ??= setInterval(() => void this.deleteExpired(), RETENTION_EVERY_MS);
    this.retention.unref();
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const pool = this.requirePool();
    for (const topic of topics) {
      // Rows only: a topic is its partitions' rows, made once and never resized (another count
      // would send a key to another partition than the instances that know the old one).
      await pool.query(
        `INSERT INTO event_bus_partition (topic, partition)
         SELECT $1, p FROM generate_series(0, $2 - 1) AS p
          WHERE NOT EXISTS (SELECT 1 FROM event_bus_partition WHERE topic = $1)
         ON CONFLICT DO NOTHING`,
        [topic.name, topic.partitions],
      );
      const count = await this.partitions(topic.name, true);
      if (count !== topic.partitions)
        this.logger.warn(busTopicPartitionsDiffer(topic.name, count, topic.partitions));
    }
  }

  /**
   * Appends the records in one transaction: per partition, in a fixed order (so two sends never
   * wait on each other in a cycle), one statement takes the partition's next offsets and inserts
   * the records. Each partition appended to is announced at commit.
   */
  async send(records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new TransportError(transportClosed());
    const pool = this.requirePool();
    const byPartition = new Map<string, { topic: string; partition: number; rows: Row[] }>();
    // One count per topic of the send (a relay batch is mostly one topic), not one await per record.
    const counts = new Map<string, number>();
    for (const topic of new Set(records.map((r) => r.topic)))
      counts.set(topic, await this.partitions(topic));
    for (const record of records) {
      const count = counts.get(record.topic)!;
      const key = record.key === null ? null : toBytes(record.key);
      const partition =
        key === null ? Math.floor(Math.random() * count) : partitionForKey(key, count);
      const id = `${record.topic}\u0000${partition}`;
      let group = byPartition.get(id);
      if (!group) byPartition.set(id, (group = { topic: record.topic, partition, rows: [] }));
      group.rows.push({ key, value: record.value, headers: encodeHeaders(record) });
    }
    const ordered = [...byPartition.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      for (const [, { topic, partition, rows }] of ordered) {
        const appended = await client.query(APPEND, [
          topic,
          partition,
          rows.length,
          rows.map((r) => r.key),
          rows.map((r) => r.value),
          rows.map((r) => r.headers),
        ]);
        // No partition row (deleted since its count was read): nothing was appended.
        if (appended.rowCount !== rows.length) throw new TransportError(busTopicMissing(topic));
        await client.query('SELECT pg_notify($1, $2)', [LOG_CHANNEL, `${partition}:${topic}`]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      if (error instanceof TransportError) throw error;
      throw new TransportError(busDatabaseUnreachable(describeError(error)), {
        cause: error,
        // A refusal that comes back on every attempt (a value PostgreSQL rejects, a send too large
        // to encode) is not retriable, so the relay sends the rows one by one and marks the bad one.
        retriable: !refusedForGood(error),
      });
    } finally {
      client?.release();
    }
  }

  async subscribe(
    options: SubscribeOptions,
    handler: BatchHandler,
  ): Promise<TransportSubscription> {
    if (this.closed) throw new TransportError(transportClosed());
    const pool = this.requirePool();
    for (const topic of options.topics) await this.partitions(topic, true);
    const subscription = new PostgresSubscription(pool, this.options, options, handler, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    await subscription.start();
    return subscription;
  }

  async checkHealth(): Promise<void> {
    await this.requirePool().query('SELECT 1');
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const { rows } = await this.requirePool().query<{
      topic: string;
      partition: number;
      end: string;
      start: string | null;
      committed: string | null;
    }>(
      `SELECT p.topic, p.partition, p.next_offset AS end, g.committed_offset AS committed,
              (SELECT MIN(l."offset") FROM event_bus_log l
                WHERE l.topic = p.topic AND l.partition = p.partition) AS start
         FROM event_bus_partition p
         LEFT JOIN event_bus_group_partition g
           ON g.group_id = $1 AND g.topic = p.topic AND g.partition = p.partition
        WHERE p.topic = ANY($2) ORDER BY p.topic, p.partition`,
      [groupId, topics],
    );
    return rows.map((r) => {
      const end = BigInt(r.end);
      return {
        topic: r.topic,
        partition: r.partition,
        lag: lagBehind(
          end,
          r.start === null ? end : BigInt(r.start),
          r.committed === null ? undefined : BigInt(r.committed),
        ),
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.retention);
    this.retention = undefined;
    await Promise.all([...this.subscriptions].map((s) => s.close().catch(() => undefined)));
    this.subscriptions.clear();
    await this.listener?.close();
    this.listener = undefined;
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
    this.partitionCounts.clear();
  }

  /** A notification `<partition>:<topic>` wakes the subscriptions that hold that partition. */
  private announced(payload: string): void {
    const at = payload.indexOf(':');
    const partition = Number(payload.slice(0, at));
    const topic = payload.slice(at + 1);
    for (const subscription of this.subscriptions) subscription.appended(topic, partition);
  }

  private announcedAll(): void {
    for (const subscription of this.subscriptions) subscription.appendedAnywhere();
  }

  private async partitions(topic: string, refresh = false): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined && !refresh) return known;
    const { rows } = await this.requirePool().query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM event_bus_partition WHERE topic = $1',
      [topic],
    );
    const count = rows[0]?.n ?? 0;
    if (count === 0) throw new TransportError(busTopicMissing(topic));
    this.partitionCounts.set(topic, count);
    return count;
  }

  /** Applies the migrations this code knows and the database lacks, once across instances. */
  private async migrate(): Promise<void> {
    const client = await this.requirePool().connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      // With migrate false no DDL at all: a role that may only read and write must start.
      const exists = await client.query<{ t: string | null }>(
        "SELECT to_regclass('event_bus_schema')::text AS t",
      );
      if (exists.rows[0]?.t === null && this.options.migrate) {
        await client.query(
          'CREATE TABLE event_bus_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
        );
      }
      const current =
        exists.rows[0]?.t === null && !this.options.migrate
          ? 0
          : ((
              await client.query<{ version: number | null }>(
                'SELECT MAX(version) AS version FROM event_bus_schema',
              )
            ).rows[0]?.version ?? 0);
      const missing = POSTGRES_TRANSPORT_MIGRATIONS.filter((m) => m.version > current);
      if (missing.length > 0 && !this.options.migrate) {
        throw new TransportError(busSchemaBehind(current, POSTGRES_TRANSPORT_SCHEMA_VERSION));
      }
      for (const migration of missing) {
        await client.query(migration.sql);
        await client.query('INSERT INTO event_bus_schema (version) VALUES ($1)', [
          migration.version,
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deletes records past retention, a bounded batch at a time; one instance at a time. */
  private async deleteExpired(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    try {
      for (;;) {
        const { rows } = await pool.query<{ locked: boolean; deleted: number }>(
          `WITH lock AS (SELECT pg_try_advisory_xact_lock($1 + 1) AS locked),
                gone AS (
                  DELETE FROM event_bus_log WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM event_bus_log
                     WHERE created_at < now() - make_interval(secs => $2 / 1000.0)
                       AND (SELECT locked FROM lock)
                     LIMIT $3))
                  RETURNING 1)
           SELECT (SELECT locked FROM lock) AS locked, (SELECT COUNT(*)::int FROM gone) AS deleted`,
          [SCHEMA_LOCK, this.options.retentionMs, RETENTION_BATCH],
        );
        if (!rows[0]?.locked || rows[0].deleted < RETENTION_BATCH) return;
      }
    } catch (error) {
      // The next round tries again; an outage is reported by health and the consumers.
      this.logger.debug(retentionRoundFailed(describeError(error)));
    }
  }

  private requirePool(): Pool {
    if (this.closed || !this.pool) throw new TransportError(transportClosed());
    return this.pool;
  }
}

/**
 * Errors that a retry cannot fix: V8 cannot build the statement (RangeError), or PostgreSQL
 * refuses the data itself (SQLSTATE class 22 data exception, 23 integrity, 54 limit exceeded).
 */
function refusedForGood(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

interface Row {
  key: Buffer | null;
  value: Buffer;
  headers: string;
}

/** Headers as JSON: `[name, base64 value]` pairs in the order sent, repeats kept. */
function encodeHeaders(record: OutgoingRecord): string {
  const pairs: Array<[string, string]> = [];
  for (const [name, values] of Object.entries(toRawHeaders(record.headers)))
    for (const value of values) pairs.push([name, value.toString('base64')]);
  return JSON.stringify(pairs);
}

/**
 * One partition's append: the counter row's update takes `$3` offsets (and its lock, to the
 * commit), the insert numbers the records from there in the order given.
 */
const APPEND = `
  WITH taken AS (
    UPDATE event_bus_partition SET next_offset = next_offset + $3
     WHERE topic = $1 AND partition = $2
    RETURNING next_offset - $3 AS base)
  INSERT INTO event_bus_log (topic, partition, "offset", key, value, headers)
  SELECT $1, $2, taken.base + r.n - 1, r.key, r.value, r.headers
    FROM taken, unnest($4::bytea[], $5::bytea[], $6::jsonb[]) WITH ORDINALITY AS r(key, value, headers, n)`;
