import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type {
  BatchHandler,
  SubscribeOptions,
  SubscriptionStatus,
  TransportSubscription,
} from '../event-transport.interface';
import {
  PartitionWorker,
  partitionKey as id,
  type WorkerMember,
} from './postgres-partition.worker';
import { describeError } from '../../util/describe-error';
import { Semaphore } from '../../util/semaphore';
import { Signal } from '../../util/signal';
import { sleep } from '../../util/sleep';
import {
  busBatchFailed,
  busStillUnreachable,
  busUnreachable,
  busWorksAgain,
} from '../../event-bus.messages';
import { backoffDelay } from '../../util/backoff';
import type { ResolvedPostgresOptions } from './postgres.transport';

/** Pause after a failed fetch or round while the bus database is away: 250 ms doubling to 5 s. */
const OUTAGE_BACKOFF = { initialMs: 250, maxMs: 5000, multiplier: 2, jitter: 0.5 };
const OUTAGE_REMINDER_MS = 30_000;

/**
 * One member of a consumer group on the PostgreSQL transport. Every third of `leaseMs` it
 * heartbeats, renews its leases (a partition it no longer holds stops at once), counts the live
 * members and takes its share of the group's partitions, `⌊P/N⌋` plus one for the first `P mod N`
 * members by id: surplus partitions are released after their batch in hand, missing ones are
 * claimed among those free or expired (never a live lease). Each held partition runs its own
 * fetch loop from the committed offset, `maxBatchSize` records at a time; a commit only counts
 * while the lease and its generation still hold, so a member that lost a partition cannot move
 * its offset.
 */
export class PostgresSubscription implements TransportSubscription, WorkerMember {
  private readonly logger = new Logger(PostgresSubscription.name);
  readonly memberId = randomUUID();
  private readonly workers = new Map<string, PartitionWorker>();
  /**
   * Workers stopping (lost or given back) until their batch in hand is done: a partition claimed
   * again meanwhile starts only after, so one partition never has two workers at once.
   */
  private readonly leaving = new Map<string, Promise<void>>();
  private readonly paused = new Set<string>();
  private readonly slots: Semaphore;
  private readonly stopping = new AbortController();
  private readonly tick = new Signal();
  private loop?: Promise<void>;
  private closed = false;
  private joined = false;
  /** Failed reads of the bus database in a row, when they began and were last logged. */
  private outage = { failures: 0, since: 0, logged: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly transport: ResolvedPostgresOptions,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly onClosed: () => void,
  ) {
    this.slots = new Semaphore(options.partitionsConcurrently);
  }

  /** Joins the group and takes a first share; fails when the bus database cannot be reached. */
  async start(): Promise<void> {
    await this.pool.query(
      `INSERT INTO event_bus_group_partition (group_id, topic, partition)
       SELECT $1, topic, partition FROM event_bus_partition WHERE topic = ANY($2)
       ON CONFLICT DO NOTHING`,
      [this.options.groupId, this.options.topics],
    );
    await this.round();
    this.loop = this.run();
  }

  status(): SubscriptionStatus {
    return { joined: this.joined && !this.closed, partitions: this.workers.size };
  }

  pause(topic: string, partition: number): void {
    this.paused.add(id(topic, partition));
  }

  resume(topic: string, partition: number): void {
    const key = id(topic, partition);
    this.paused.delete(key);
    this.workers.get(key)?.wake();
  }

  isPaused(key: string): boolean {
    return this.paused.has(key);
  }

  /** An append to `topic`'s `partition` was announced. */
  appended(topic: string, partition: number): void {
    this.workers.get(id(topic, partition))?.wake();
  }

  /** Appends may have been missed: every held partition looks. */
  appendedAnywhere(): void {
    for (const worker of this.workers.values()) worker.wake();
  }

  /** Stops fetching, waits for the batches in hand, gives its partitions back and leaves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    this.tick.notify();
    await this.loop?.catch(() => undefined);
    const held = [...this.workers.values()];
    this.workers.clear();
    await Promise.all([...held.map((w) => w.stop()), ...this.leaving.values()]);
    await this.pool
      .query(
        `UPDATE event_bus_group_partition SET owner = NULL, expires_at = '-infinity'
          WHERE group_id = $1 AND owner = $2`,
        [this.options.groupId, this.memberId],
      )
      .catch(() => undefined);
    await this.pool
      .query('DELETE FROM event_bus_member WHERE group_id = $1 AND member_id = $2', [
        this.options.groupId,
        this.memberId,
      ])
      .catch(() => undefined);
    this.onClosed();
  }

  private async run(): Promise<void> {
    const every = Math.floor(this.transport.leaseMs / 3);
    while (!this.closed) {
      await this.tick.wait(every);
      if (this.closed) return;
      try {
        await this.round();
        this.reached();
      } catch (error) {
        // The leases run out if this goes on; the workers stop when their commits fail.
        await sleep(this.unreachable(error), this.stopping.signal);
      }
    }
  }

  /** One round of membership: heartbeat, renew, count, release surplus, claim what is missing. */
  private async round(): Promise<void> {
    const { groupId, topics } = this.options;
    const leaseMs = this.transport.leaseMs;
    // The heartbeat, and the rows of members that died long ago (a clean close removes its own):
    // ten leases without a heartbeat is past any doubt, and they no longer count anyway.
    await this.pool.query(
      `WITH gone AS (
         DELETE FROM event_bus_member
          WHERE group_id = $1 AND member_id <> $2
            AND heartbeat_at < now() - make_interval(secs => $3 * 10 / 1000.0))
       INSERT INTO event_bus_member (group_id, member_id, heartbeat_at) VALUES ($1, $2, now())
       ON CONFLICT (group_id, member_id) DO UPDATE SET heartbeat_at = now()`,
      [groupId, this.memberId, leaseMs],
    );
    const renewing = Date.now();
    const renewed = await this.pool.query<{ topic: string; partition: number; generation: string }>(
      `UPDATE event_bus_group_partition
          SET expires_at = now() + make_interval(secs => $3 / 1000.0)
        WHERE group_id = $1 AND owner = $2 AND expires_at > now()
        RETURNING topic, partition, generation`,
      [groupId, this.memberId, leaseMs],
    );
    const held = new Set(renewed.rows.map((r) => id(r.topic, r.partition)));
    for (const [key, worker] of this.workers) {
      if (!held.has(key)) {
        // Lost (expired while this member was away): another may hold it now.
        this.leave(key, worker);
      } else worker.renewedAt(renewing);
    }
    for (const row of renewed.rows) {
      const key = id(row.topic, row.partition);
      // Held with no worker here (a release or a claim whose answer was lost): give it back.
      if (!this.workers.has(key) && !this.leaving.has(key))
        await this.giveBack(row.topic, row.partition, BigInt(row.generation));
    }
    const counts = await this.pool.query<{ members: string[]; partitions: number }>(
      `SELECT ARRAY(SELECT member_id FROM event_bus_member
                     WHERE group_id = $1 AND heartbeat_at > now() - make_interval(secs => $3 / 1000.0)
                     ORDER BY member_id) AS members,
              (SELECT COUNT(*)::int FROM event_bus_group_partition
                WHERE group_id = $1 AND topic = ANY($2)) AS partitions`,
      [groupId, topics, leaseMs],
    );
    const { members, partitions } = counts.rows[0];
    const rank = Math.max(0, members.indexOf(this.memberId));
    const n = Math.max(1, members.length);
    const share = Math.floor(partitions / n) + (rank < partitions % n ? 1 : 0);
    if (this.workers.size > share) {
      // Not awaited: the round must go on renewing while the batches in hand finish.
      for (const key of [...this.workers.keys()].sort().slice(share)) this.release(key);
    } else if (this.workers.size < share) {
      await this.claim(share - this.workers.size);
    }
    this.joined = true;
  }

  private async claim(count: number): Promise<void> {
    const { groupId, topics, fromBeginning } = this.options;
    const claiming = Date.now();
    const claimed = await this.pool.query<{
      topic: string;
      partition: number;
      generation: string;
      start: string;
    }>(
      `UPDATE event_bus_group_partition g
          SET owner = $2, generation = g.generation + 1,
              expires_at = now() + make_interval(secs => $4 / 1000.0),
              -- Kept: a group that starts at the end starts there once, not wherever the end is
              -- when the next member claims the partition before any commit.
              committed_offset = COALESCE(g.committed_offset,
                CASE WHEN $6 THEN (SELECT COALESCE(MIN(l."offset"), p.next_offset) FROM event_bus_log l
                                    WHERE l.topic = g.topic AND l.partition = g.partition)
                     ELSE p.next_offset END)
         FROM (SELECT topic, partition FROM event_bus_group_partition
                WHERE group_id = $1 AND topic = ANY($3) AND (owner IS NULL OR expires_at <= now())
                ORDER BY topic, partition LIMIT $5 FOR UPDATE SKIP LOCKED) free,
              event_bus_partition p
        WHERE g.group_id = $1 AND g.topic = free.topic AND g.partition = free.partition
          AND p.topic = g.topic AND p.partition = g.partition
        RETURNING g.topic, g.partition, g.generation, g.committed_offset AS start`,
      [groupId, this.memberId, topics, this.transport.leaseMs, count, fromBeginning],
    );
    for (const row of claimed.rows) {
      const key = id(row.topic, row.partition);
      await this.leaving.get(key);
      const worker = new PartitionWorker(
        this,
        this.pool,
        this.transport,
        this.options,
        this.handler,
        this.slots,
        row.topic,
        row.partition,
        BigInt(row.generation),
        BigInt(row.start),
      );
      this.workers.set(key, worker);
      worker.renewedAt(claiming);
      worker.start();
    }
  }

  /** Finishes the partition's batch in hand, then gives the partition back (in the background). */
  private release(key: string): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    this.leave(key, worker, () => this.giveBack(worker.topic, worker.partition, worker.generation));
  }

  /** Stops a worker, tracked in `leaving` until its batch in hand is done and `then` ran. */
  private leave(key: string, worker: PartitionWorker, then?: () => Promise<void>): void {
    this.workers.delete(key);
    const done = worker
      .stop()
      .then(then)
      // A failed give-back leaves the lease to expire, or to the next round's clean-up.
      .catch(() => undefined)
      .finally(() => this.leaving.delete(key));
    this.leaving.set(key, done);
  }

  private async giveBack(topic: string, partition: number, generation: bigint): Promise<void> {
    await this.pool.query(
      `UPDATE event_bus_group_partition SET owner = NULL, expires_at = '-infinity'
        WHERE group_id = $1 AND topic = $2 AND partition = $3 AND owner = $4 AND generation = $5`,
      [this.options.groupId, topic, partition, this.memberId, String(generation)],
    );
  }

  /**
   * A read of the bus database failed (a fetch, a round): the members' partitions wait. Logged
   * once when the outage begins, every 30 s while it lasts, and at its end (`reached`), not
   * once per partition and attempt. Returns how long to wait before the next attempt.
   */
  unreachable(error: unknown): number {
    const now = Date.now();
    const outage = this.outage;
    outage.failures++;
    if (outage.since === 0) {
      outage.since = outage.logged = now;
      this.logger.warn(busUnreachable(this.options.groupId, describeError(error)));
    } else if (now - outage.logged >= OUTAGE_REMINDER_MS) {
      outage.logged = now;
      this.logger.warn(
        busStillUnreachable(
          this.options.groupId,
          Math.round((now - outage.since) / 1000),
          describeError(error),
        ),
      );
    }
    return backoffDelay(outage.failures, OUTAGE_BACKOFF);
  }

  /** A read of the bus database worked: an outage, if there was one, is over. */
  reached(): void {
    if (this.outage.since === 0) return;
    const seconds = Math.round((Date.now() - this.outage.since) / 1000);
    this.outage = { failures: 0, since: 0, logged: 0 };
    this.logger.log(busWorksAgain(this.options.groupId, seconds));
  }

  reportError(topic: string, partition: number, error: unknown): void {
    this.logger.error(busBatchFailed(topic, partition, describeError(error)));
  }
}
