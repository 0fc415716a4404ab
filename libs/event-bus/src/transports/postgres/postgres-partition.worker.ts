import type { Pool } from 'pg';
import type {
  BatchHandler,
  IncomingRecord,
  RecordBatch,
  SubscribeOptions,
} from '../event-transport.interface';
import { type LogRow, recordFromRow } from './postgres-record';
import type { Semaphore } from '../../util/semaphore';
import { PartitionLoop } from '../partition-loop';
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
export class PartitionWorker extends PartitionLoop {
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
    super();
    this.committed = start;
  }

  /** The lease was renewed by a statement sent at `sentAt` (local time). */
  renewedAt(sentAt: number): void {
    this.leaseUntil = Math.max(this.leaseUntil, sentAt + this.transport.leaseMs);
  }

  /** Still ours: not stopped, not fenced, and the lease not past its last known renewal. */
  private holds(): boolean {
    return this.active && Date.now() < this.leaseUntil;
  }

  protected async run(): Promise<void> {
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

  /**
   * Renews the lease, and moves the committed offset when one is given, only while this member
   * still holds the partition at this generation with an unexpired lease. When it does not (the
   * lease ran out or moved), the worker stops; the next holder reads from the last commit that
   * counted.
   */
  private async fenced(nextOffset?: string): Promise<boolean> {
    const sentAt = Date.now();
    const commit = nextOffset === undefined ? '' : 'committed_offset = $7,';
    const { rowCount } = await this.pool.query(
      `UPDATE event_bus_group_partition
          SET ${commit} expires_at = now() + make_interval(secs => $5 / 1000.0)
        WHERE group_id = $1 AND topic = $2 AND partition = $3 AND owner = $4
          AND generation = $6 AND expires_at > now()`,
      [
        this.options.groupId,
        this.topic,
        this.partition,
        this.member.memberId,
        this.transport.leaseMs,
        String(this.generation),
        ...(nextOffset === undefined ? [] : [nextOffset]),
      ],
    );
    if (rowCount === 0) {
      this.active = false;
      return false;
    }
    this.renewedAt(sentAt);
    return true;
  }

  private batch(records: IncomingRecord[]): RecordBatch {
    return {
      topic: this.topic,
      partition: this.partition,
      records,
      // Renews this partition's lease (fenced like a commit): long work keeps the partition.
      heartbeat: async () => {
        await this.fenced();
      },
      // False once the lease may have run out: another member may hold the partition by then.
      isActive: () => this.holds(),
      commit: async (nextOffset: string) => {
        // Not skipped once stopping: the batch in hand when the partition is released (or the
        // member closes) still commits, while the lease holds; the statement fences the rest.
        if (await this.fenced(nextOffset)) this.committed = BigInt(nextOffset);
      },
    };
  }
}
