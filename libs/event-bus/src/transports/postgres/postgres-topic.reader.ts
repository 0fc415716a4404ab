import type { Pool, PoolConfig } from 'pg';
import { TransportError } from '../../errors/transport.error';
import { busDatabaseUnreachable, readerNotConnected, unknownTopic } from '../../event-bus.messages';
import { describeError } from '../../util/describe-error';
import { loadPackage } from '../../util/load-package';
import type { IncomingRecord } from '../event-transport.interface';
import type {
  PartitionRange,
  RecordSink,
  TopicReader,
  TopicReadOptions,
  TopicReadResult,
} from '../topic-reader.interface';
import { type LogRow, recordFromRow } from './postgres-record';
import type { PostgresTransportOptions } from './postgres-transport-options';

/** Limits of a `PostgresTopicReader`'s queries. */
export interface PostgresTopicReaderOptions {
  /** Records fetched per query, at most (500). */
  maxBatchRecords?: number;
  /** Bytes of keys and values fetched per query, about (1 MiB; a larger record comes alone). */
  maxBatchBytes?: number;
  /** A query that takes longer fails (30 s). */
  statementTimeoutMs?: number;
}

const READER_DEFAULTS = {
  maxBatchRecords: 500,
  maxBatchBytes: 1024 * 1024,
  statementTimeoutMs: 30_000,
} satisfies Required<PostgresTopicReaderOptions>;

/**
 * Reads the topics of the bus database (`transport.type "postgres"`) for operator tools. A read
 * takes each partition's `next_offset` when it begins and stops there: the committed offsets
 * below it are gapless (see `postgres-transport.schema.ts`), so nothing appended later is read
 * and nothing earlier is missed. It only selects: no consumer group, lease or committed offset
 * is touched, no migration applied.
 */
export class PostgresTopicReader implements TopicReader {
  private readonly options: Required<PostgresTopicReaderOptions>;
  private pool?: Pool;
  /** Why the read in progress must end, once `abort` was called. */
  private interrupted?: { reason: unknown };

  constructor(
    private readonly transport: PostgresTransportOptions,
    private readonly clientId: string,
    readerOptions: PostgresTopicReaderOptions = {},
  ) {
    this.options = { ...READER_DEFAULTS, ...readerOptions };
  }

  /** Fails with a retriable `TransportError` when the bus database does not answer. */
  async connect(): Promise<void> {
    const pg = loadPackage<typeof import('pg')>('pg', 'transport.type "postgres"');
    const config: PoolConfig = {
      connectionString: this.transport.url,
      // One query at a time: the reader reads one partition's batch after another.
      max: 1,
      application_name: `${this.clientId} (event-bus reader)`.slice(0, 63),
      connectionTimeoutMillis: 5000,
      statement_timeout: this.options.statementTimeoutMs,
    };
    this.pool ??= new pg.Pool(config);
    // An idle connection that the server closed is dropped by the pool; the error must not crash.
    this.pool.on('error', () => undefined);
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new TransportError(busDatabaseUnreachable(describeError(error)), {
        cause: error,
        retriable: true,
      });
    }
  }

  /** The topics that have partitions; none while no service has created the transport's tables. */
  async listTopics(): Promise<string[]> {
    const { rows } = await this.query<{ topic: string }>(
      'SELECT DISTINCT topic FROM event_bus_partition ORDER BY topic',
      [],
      true,
    );
    return rows.map((r) => r.topic);
  }

  async partitions(topic: string): Promise<PartitionRange[]> {
    const { rows } = await this.query<{ partition: number; low: string; high: string }>(
      `SELECT p.partition, p.next_offset AS high,
              COALESCE((SELECT MIN(l."offset") FROM event_bus_log l
                         WHERE l.topic = p.topic AND l.partition = p.partition),
                       p.next_offset) AS low
         FROM event_bus_partition p WHERE p.topic = $1 ORDER BY p.partition`,
      [topic],
      true,
    );
    if (rows.length === 0) throw new TransportError(unknownTopic(topic), { retriable: false });
    return rows.map(({ partition, low, high }) => ({
      partition,
      low: String(low),
      high: String(high),
    }));
  }

  async read(
    topic: string,
    sink: RecordSink,
    options: TopicReadOptions = {},
  ): Promise<TopicReadResult> {
    const ranges = (await this.partitions(topic)).filter(
      (r) => !options.partitions || options.partitions.includes(r.partition),
    );
    const due: Array<{ partition: number; start: bigint; end: bigint }> = [];
    let total = 0n;
    for (const range of ranges) {
      const from = BigInt(options.from?.get(range.partition) ?? range.low);
      const start = from > BigInt(range.low) ? from : BigInt(range.low);
      const end = BigInt(range.high);
      if (start >= end) continue;
      due.push({ partition: range.partition, start, end });
      total += end - start;
    }
    let read = 0;
    this.interrupted = undefined;
    try {
      for (const { partition, start, end } of due) {
        let next = start;
        while (next < end) {
          const records = await this.fetch(topic, partition, next, end);
          this.throwIfInterrupted();
          // Retention deleted the rest while the read went on: nothing left below the end.
          if (records.length === 0) break;
          next = BigInt(records[records.length - 1].offset) + 1n;
          read += records.length;
          if ((await sink(records)) === false) {
            return { read, total: Number(total), stopped: true };
          }
          this.throwIfInterrupted();
          options.onProgress?.(read, Number(total));
        }
      }
      return { read, total: Number(total), stopped: false };
    } finally {
      this.interrupted = undefined;
    }
  }

  /**
   * Ends the read in progress: it rejects with `reason` once the batch in hand is done (an
   * operator's Ctrl-C, say). Batches are bounded, so that is soon.
   */
  abort(reason: unknown): void {
    this.interrupted = { reason };
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }

  /**
   * One bounded batch from `from`, below `end`: at most `maxBatchRecords`, and only as many as
   * fit in `maxBatchBytes` (the first always comes, whatever its size).
   */
  private async fetch(
    topic: string,
    partition: number,
    from: bigint,
    end: bigint,
  ): Promise<IncomingRecord[]> {
    const { rows } = await this.query<LogRow>(
      `SELECT "offset", key, value, headers, created_at FROM (
         SELECT *, SUM(size) OVER (ORDER BY "offset") - size AS before FROM (
           SELECT "offset", key, value, headers, created_at,
                  octet_length(value) + COALESCE(octet_length(key), 0) AS size
             FROM event_bus_log
            WHERE topic = $1 AND partition = $2 AND "offset" >= $3 AND "offset" < $4
            ORDER BY "offset" LIMIT $5) AS batch) AS sized
        WHERE before = 0 OR before + size <= $6
        ORDER BY "offset"`,
      [
        topic,
        partition,
        String(from),
        String(end),
        this.options.maxBatchRecords,
        this.options.maxBatchBytes,
      ],
    );
    return rows.map((row) => recordFromRow(topic, partition, row));
  }

  private async query<R extends object>(
    sql: string,
    values: unknown[],
    tablesMayBeMissing = false,
  ): Promise<{ rows: R[] }> {
    if (!this.pool) throw new TransportError(busDatabaseUnreachable(readerNotConnected()));
    try {
      return await this.pool.query<R>(sql, values);
    } catch (error) {
      // No service has applied the transport's migrations yet: there are no topics.
      if (tablesMayBeMissing && (error as { code?: unknown }).code === '42P01') return { rows: [] };
      throw new TransportError(busDatabaseUnreachable(describeError(error)), {
        cause: error,
        retriable: true,
      });
    }
  }

  private throwIfInterrupted(): void {
    if (this.interrupted) throw this.interrupted.reason;
  }
}
