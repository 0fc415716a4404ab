import type { Pool } from 'pg';
import type {
  BatchHandler,
  IncomingRecord,
  RecordBatch,
  SubscribeOptions,
} from '../event-transport.interface';
import { type LogRow, recordFromRow } from './postgres-record';
import type { Semaphore } from '../../util/semaphore';
import { Signal } from '../../util/signal';
import { sleep } from '../../util/sleep';
import type { ResolvedPostgresOptions } from './postgres.transport';

/** Pause after a failed batch before the partition reads again from its commit. */
const RETRY_MS = 500;

/** A partition's key in a member's maps. */
export const partitionKey = (topic: string, partition: number): string =>
  `${topic}\u0000${partition}`;

/** What a worker asks of the group member that holds its partition (`PostgresSubscription`). */
export interface WorkerMember {
  readonly memberId: string;
  isPaused(key: string): boolean;
  /** A fetch worked: an outage, if any, is over. */
  reached(): void;
  /** A fetch failed: reports the outage once per member; how long to wait before the next. */
  unreachable(error: unknown): number;
  reportError(topic: string, partition: number, error: unknown): void;
}

/** One held partition: reads from its position, hands batches over, commits through the lease. */
export class PartitionWorker {
  private active = true;
  private readonly wakeSignal = new Signal();
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private committed: bigint;
  /** Until when (this process's clock) the lease surely holds: its last renewal's start + lease. */
  private leaseUntil = 0;

  constructor(
    private readonly member: WorkerMember,
    private readonly pool: Pool,
    private readonly transport: ResolvedPostgresOptions,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly slots: Semaphore,
    readonly topic: string,
    readonly partition: number,
    readonly generation: bigint,
    start: bigint,
  ) {
    this.committed = start;
  }

  start(): void {
    this.loop = this.run();
  }

  /** The lease was renewed by a statement sent at `sentAt` (local time). */
  renewedAt(sentAt: number): void {
    this.leaseUntil = Math.max(this.leaseUntil, sentAt + this.transport.leaseMs);
  }

  /** Still ours: not stopped, not fenced, and the lease not past its last known renewal. */
  private holds(): boolean {
    return this.active && Date.now() < this.leaseUntil;
  }

  wake(): void {
    this.wakeSignal.notify();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    const key = partitionKey(this.topic, this.partition);
    let position = this.committed;
    while (this.active) {
      if (this.member.isPaused(key)) {
        await this.wakeSignal.wait(this.transport.pollIntervalMs);
        continue;
      }
      let records: IncomingRecord[];
      try {
        records = await this.fetch(position);
        this.member.reached();
      } catch (error) {
        await sleep(this.member.unreachable(error), this.abort.signal);
        continue;
      }
      if (records.length === 0) {
        await this.wakeSignal.wait(this.transport.pollIntervalMs);
        continue;
      }
      await this.slots.acquire();
      try {
        if (!this.active) break;
        await this.handler(this.batch(records));
      } catch (error) {
        this.member.reportError(this.topic, this.partition, error);
        await sleep(RETRY_MS, this.abort.signal);
      } finally {
        this.slots.release();
      }
      // As a Kafka consumer after a failure or a partial batch: on from the last commit.
      const previous = position;
      position = this.committed;
      if (position === previous) await sleep(RETRY_MS, this.abort.signal);
    }
  }

  private async fetch(from: bigint): Promise<IncomingRecord[]> {
    const { rows } = await this.pool.query<LogRow>(
      `SELECT "offset", key, value, headers, created_at FROM event_bus_log
        WHERE topic = $1 AND partition = $2 AND "offset" >= $3
        ORDER BY "offset" LIMIT $4`,
      [this.topic, this.partition, String(from), this.options.maxBatchSize],
    );
    return rows.map((row) => recordFromRow(this.topic, this.partition, row));
  }

  private batch(records: IncomingRecord[]): RecordBatch {
    return {
      topic: this.topic,
      partition: this.partition,
      records,
      // Renews this partition's lease (fenced like a commit): long work keeps the partition.
      heartbeat: async () => {
        const sentAt = Date.now();
        const { rowCount } = await this.pool.query(
          `UPDATE event_bus_group_partition
              SET expires_at = now() + make_interval(secs => $5 / 1000.0)
            WHERE group_id = $1 AND topic = $2 AND partition = $3 AND owner = $4
              AND generation = $6 AND expires_at > now()`,
          [
            this.options.groupId,
            this.topic,
            this.partition,
            this.member.memberId,
            this.transport.leaseMs,
            String(this.generation),
          ],
        );
        if (rowCount === 0) this.active = false;
        else this.renewedAt(sentAt);
      },
      // False once the lease may have run out: another member may hold the partition by then.
      isActive: () => this.holds(),
      commit: async (nextOffset: string) => {
        const sentAt = Date.now();
        // Not skipped once stopping: the batch in hand when the partition is released (or the
        // member closes) still commits, while the lease holds; the statement fences the rest.
        const { rowCount } = await this.pool.query(
          `UPDATE event_bus_group_partition
              SET committed_offset = $5, expires_at = now() + make_interval(secs => $6 / 1000.0)
            WHERE group_id = $1 AND topic = $2 AND partition = $3 AND owner = $4
              AND generation = $7 AND expires_at > now()`,
          [
            this.options.groupId,
            this.topic,
            this.partition,
            this.member.memberId,
            nextOffset,
            this.transport.leaseMs,
            String(this.generation),
          ],
        );
        // The lease ran out or moved: this member no longer holds the partition; the next
        // holder reads from the last commit that counted.
        if (rowCount === 0) this.active = false;
        else {
          this.committed = BigInt(nextOffset);
          this.renewedAt(sentAt);
        }
      },
    };
  }
}
