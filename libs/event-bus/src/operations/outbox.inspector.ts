import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxMessage, OutboxStatus } from '../outbox/outbox-message.entity';

/** Rows of the outbox per status, and how long the oldest pending row has waited. */
export interface OutboxStatusReport {
  pending: number;
  published: number;
  failed: number;
  /** `created_at` of the oldest pending row; null when none is pending. */
  oldestPendingAt: Date | null;
}

/** One page of failed outbox rows, oldest first, and how many there are. */
export interface FailedRowsPage {
  /** Failed rows in all. */
  total: number;
  /** The oldest `limit` of them, in id (publish) order. */
  rows: OutboxMessage[];
}

/** Read-only questions operators ask of the outbox (the CLI, dashboards). */
@Injectable()
export class OutboxInspector {
  constructor(private readonly db: TransactionRunner) {}

  async status(): Promise<OutboxStatusReport> {
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
    const repo = this.db.dataSource.getRepository(OutboxMessage);
    const [rows, total] = await repo.findAndCount({
      where: { status: 'failed' },
      order: { id: 'ASC' },
      take: limit,
    });
    return { total, rows };
  }

  /** The status of each id the outbox holds; ids it does not hold are absent. */
  async statuses(ids: string[], manager?: EntityManager): Promise<Map<string, OutboxStatus>> {
    const found = new Map<string, OutboxStatus>();
    const repo = (manager ?? this.db.dataSource.manager).getRepository(OutboxMessage);
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
