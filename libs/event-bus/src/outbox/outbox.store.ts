import { Inject, Injectable } from '@nestjs/common';
import { Brackets, EntityManager, In, LessThan } from 'typeorm';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import { TransactionRunner } from '../database/transaction-runner';
import { placeholders, timestampParameter } from '../database/database-dialect';
import { backoffDelay } from '../util/backoff';
import { isNonRetriable } from '../errors/event-bus.error';
import { OutboxMessage } from './outbox-message.entity';

const MAX_ERROR_LENGTH = 2000;
const INSERT_COLUMNS = [
  'id',
  'type',
  'version',
  'key',
  'topic',
  'destination',
  'payload',
  'headers',
  'status',
  'attempts',
  'next_attempt_at',
  'created_at',
];

/** Pending and failed outbox rows, and the age of the oldest pending one. */
export interface OutboxCounts {
  pending: number;
  failed: number;
  oldestPendingAt: Date | null;
}

/** Every query the outbox needs, for PostgreSQL and SQLite. */
@Injectable()
export class OutboxStore {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly db: TransactionRunner,
  ) {}

  /**
   * Writes rows in the caller's transaction. Plain SQL rather than `manager.insert`: this runs
   * once per business transaction, and TypeORM's insert builder costs more CPU than the
   * round trip itself.
   */
  async insert(manager: EntityManager, rows: OutboxMessage[]): Promise<void> {
    const dialect = this.db.dialect;
    // Chunked: SQLite and PostgreSQL both cap the number of bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const values: unknown[] = [];
      const tuples = chunk.map((row, n) => {
        values.push(
          row.id,
          row.type,
          row.version,
          row.key,
          row.topic,
          row.destination,
          row.payload,
          row.headers,
          row.status,
          row.attempts,
          timestampParameter(dialect, row.nextAttemptAt),
          timestampParameter(dialect, row.createdAt),
        );
        return `(${placeholders(dialect, INSERT_COLUMNS.length, n * INSERT_COLUMNS.length + 1)})`;
      });
      await manager.query(
        `INSERT INTO event_outbox (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }

  /**
   * Due pending rows in id order. On PostgreSQL the rows are locked (`FOR UPDATE SKIP LOCKED`)
   * until `manager`'s transaction ends, so other relay instances take other rows.
   */
  async claimDue(manager: EntityManager, limit: number, now: Date): Promise<OutboxMessage[]> {
    const query = manager
      .getRepository(OutboxMessage)
      .createQueryBuilder('o')
      .where('o.status = :status', { status: 'pending' })
      .andWhere('o.nextAttemptAt <= :now', { now })
      // A row behind an older row of its key that waits for its retry must wait too; filtering
      // it here (not after LIMIT) keeps one stuck key from filling every claim.
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM event_outbox b WHERE b."key" = o.key AND b.status = :status' +
          ' AND b.id < o.id AND b.next_attempt_at > :now)',
      )
      .orderBy('o.id', 'ASC')
      .limit(limit);
    if (this.db.dialect === 'postgres')
      query.setLock('pessimistic_write').setOnLocked('skip_locked');
    const rows = await query.getMany();
    return this.keepKeyOrder(manager, rows);
  }

  /**
   * Drops claimed rows that an older pending row of the same key must precede: one another relay
   * instance holds (the claim skipped it), or one that came due after the claim's snapshot.
   * Sending them now would reorder the key.
   */
  private async keepKeyOrder(
    manager: EntityManager,
    rows: OutboxMessage[],
  ): Promise<OutboxMessage[]> {
    const keys = [...new Set(rows.map((r) => r.key).filter((k): k is string => k !== null))];
    if (keys.length === 0) return rows;
    const blockers: Array<{ key: string; first: string }> = await manager
      .getRepository(OutboxMessage)
      .createQueryBuilder('o')
      .select('o.key', 'key')
      .addSelect('MIN(o.id)', 'first')
      .where('o.status = :status', { status: 'pending' })
      .andWhere('o.key IN (:...keys)', { keys })
      .andWhere('o.id NOT IN (:...ids)', { ids: rows.map((r) => r.id) })
      .groupBy('o.key')
      .getRawMany();
    if (blockers.length === 0) return rows;
    const firstOther = new Map(blockers.map((b) => [b.key, b.first]));
    return rows.filter((row) => {
      const blocker = row.key === null ? undefined : firstOther.get(row.key);
      return blocker === undefined || row.id < blocker;
    });
  }

  async markPublished(manager: EntityManager, ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await manager
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ status: 'published', publishedAt: now, lastError: null })
      .where({ id: In(ids) })
      .execute();
  }

  /**
   * Counts a failed send and backs off. Only errors a retry cannot fix (the broker refused the
   * record) use up `outbox.maxAttempts` and end in `failed`; an unreachable broker is not the
   * row's fault, so such rows stay pending, retried at the capped backoff, however long it lasts.
   */
  async markAttemptFailed(
    manager: EntityManager,
    rows: OutboxMessage[],
    error: unknown,
    now: Date,
  ): Promise<void> {
    const message = (
      error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    ).slice(0, MAX_ERROR_LENGTH);
    const { maxAttempts, backoff } = this.options.outbox;
    for (const row of rows) {
      const attempts = row.attempts + 1;
      const failed = isNonRetriable(error) && attempts >= maxAttempts;
      await manager.update(
        OutboxMessage,
        { id: row.id },
        {
          attempts,
          lastError: message,
          status: failed ? 'failed' : 'pending',
          nextAttemptAt: new Date(now.getTime() + (failed ? 0 : backoffDelay(attempts, backoff))),
        },
      );
    }
  }

  /** Puts `failed` rows (all, or the given ids) back in line with a fresh attempt budget. */
  async retryFailed(ids?: string[]): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(OutboxMessage)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date() })
        .where('status = :failed', { failed: 'failed' })
        .andWhere(ids ? { id: In(ids) } : '1 = 1')
        .execute();
      return result.affected ?? 0;
    });
  }

  /** Sends again what was published since `since` (for transports that forget on restart). */
  async requeuePublishedSince(since: Date): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(OutboxMessage)
        .set({ status: 'pending', nextAttemptAt: new Date() })
        .where('status = :published', { published: 'published' })
        .andWhere(new Brackets((w) => w.where('published_at >= :since', { since })))
        .execute();
      return result.affected ?? 0;
    });
  }

  async deletePublishedBefore(cutoff: Date): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager.delete(OutboxMessage, {
        status: 'published',
        publishedAt: LessThan(cutoff),
      });
      return result.affected ?? 0;
    });
  }

  async counts(): Promise<OutboxCounts> {
    const repo = this.db.dataSource.getRepository(OutboxMessage);
    const [pending, failed, oldest] = await Promise.all([
      repo.count({ where: { status: 'pending' } }),
      repo.count({ where: { status: 'failed' } }),
      repo.findOne({ where: { status: 'pending' }, order: { id: 'ASC' } }),
    ]);
    return { pending, failed, oldestPendingAt: oldest?.createdAt ?? null };
  }
}
