import { Inject, Injectable } from '@nestjs/common';
import { Brackets, type EntityManager, In, LessThan } from 'typeorm';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../../event-bus.constants';
import type { ResolvedEventBusOptions } from '../../interfaces/event-bus-options.interface';
import { backoffDelay } from '../../util/backoff';
import { isNonRetriable } from '../../errors/event-bus.error';
import type { StorageTransaction } from '../unit-of-work';
import {
  type FailedRowsPage,
  type OutboxCounts,
  type OutboxRow,
  type OutboxStatus,
  type OutboxStatusReport,
  OutboxStore,
} from '../outbox.store';
import { placeholders } from './dialects/sql-dialect';
import { TypeOrmUnitOfWork, managerOf } from './typeorm-unit-of-work';
import { OutboxMessage } from './entities/outbox-message.entity';

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

/** The outbox port on TypeORM: every query the outbox needs, for PostgreSQL and SQLite. */
@Injectable()
export class TypeOrmOutboxStore extends OutboxStore {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly db: TypeOrmUnitOfWork,
  ) {
    super();
  }

  /**
   * Writes rows in the caller's transaction. Plain SQL rather than `manager.insert`: this runs
   * once per business transaction, and TypeORM's insert builder costs more CPU than the
   * round trip itself. With `outbox.notify` on PostgreSQL the same statement announces the
   * commit to the relays of other instances (`pg_notify`, `dialects/postgres.ts`).
   */
  async insert(tx: StorageTransaction, rows: OutboxRow[]): Promise<void> {
    const dialect = this.db.dialect;
    const announce = this.options.outbox.notify ? dialect.announcing : undefined;
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
          dialect.timestamp(row.nextAttemptAt),
          dialect.timestamp(row.createdAt),
        );
        return `(${placeholders(dialect, INSERT_COLUMNS.length, n * INSERT_COLUMNS.length + 1)})`;
      });
      const insert = `INSERT INTO event_outbox (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`;
      // Once per call is enough: the commit announces the transaction, not the rows.
      await managerOf(tx).query(announce && i === 0 ? announce(insert) : insert, values);
    }
  }

  /**
   * Due pending rows in id order. On PostgreSQL the rows are locked (`FOR UPDATE SKIP LOCKED`)
   * until `tx` ends, so other relay instances take other rows.
   */
  async claimDue(tx: StorageTransaction, limit: number, now: Date): Promise<OutboxRow[]> {
    const manager = managerOf(tx);
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
    if (this.db.dialect.locksClaimedRows)
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

  async markPublished(tx: StorageTransaction, ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await managerOf(tx)
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ status: 'published', publishedAt: now, lastError: null })
      .where({ id: In(ids) })
      .execute();
  }

  async markAttemptFailed(
    tx: StorageTransaction,
    rows: OutboxRow[],
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
      await managerOf(tx).update(
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

  async deleteIds(tx: StorageTransaction, ids: string[]): Promise<void> {
    if (ids.length > 0) await managerOf(tx).delete(OutboxMessage, { id: In(ids) });
  }

  async retryFailed(ids?: string[]): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(OutboxMessage)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date() })
        .where('status = :failed', { failed: 'failed' })
        .andWhere(ids ? { id: In(ids) } : '1 = 1')
        .execute();
      const retried = result.affected ?? 0;
      // From the CLI, say: the relays run in other processes.
      const announcement = this.db.dialect.announcement;
      if (retried > 0 && this.options.outbox.notify && announcement)
        await manager.query(announcement);
      return retried;
    });
  }

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

  async statusReport(): Promise<OutboxStatusReport> {
    const repo = this.db.dataSource.getRepository(OutboxMessage);
    const counts: Array<{ status: string; n: string | number }> = await repo
      .createQueryBuilder('o')
      .select('o.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .groupBy('o.status')
      .getRawMany();
    const count = (status: OutboxStatus): number =>
      Number(counts.find((c) => c.status === status)?.n ?? 0);
    const oldest = await repo.findOne({
      where: { status: 'pending' },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return {
      pending: count('pending'),
      published: count('published'),
      failed: count('failed'),
      oldestPendingAt: oldest?.createdAt ?? null,
    };
  }

  async failed(limit: number): Promise<FailedRowsPage> {
    const [rows, total] = await this.db.dataSource.getRepository(OutboxMessage).findAndCount({
      where: { status: 'failed' },
      order: { id: 'ASC' },
      take: limit,
    });
    return { total, rows };
  }

  async statuses(ids: string[], tx?: StorageTransaction): Promise<Map<string, OutboxStatus>> {
    const found = new Map<string, OutboxStatus>();
    const manager = tx ? managerOf(tx) : this.db.dataSource.manager;
    const repo = manager.getRepository(OutboxMessage);
    // Chunked: both databases cap the number of bound parameters per statement.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await repo.find({
        select: { id: true, status: true },
        where: { id: In(ids.slice(i, i + 500)) },
      });
      for (const row of rows) found.set(row.id, row.status);
    }
    return found;
  }
}
