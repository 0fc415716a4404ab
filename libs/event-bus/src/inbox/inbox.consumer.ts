import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LessThan } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { placeholders, timestampParameter } from '../database/database-dialect';
import { InboxRecord } from './inbox-record.entity';

export type InboxResult = 'processed' | 'duplicate';

/**
 * Exactly-once effects: the inbox row and the handler's writes commit in one transaction, and a
 * second delivery of the same event finds the row and skips the handler. Concurrent deliveries
 * to two instances serialise on the row's primary key, so one of them sees a duplicate.
 */
@Injectable()
export class InboxConsumer {
  constructor(private readonly db: TransactionRunner) {}

  handleOnce(
    eventId: string,
    handlerId: string,
    work: (manager: EntityManager) => Promise<void>,
  ): Promise<InboxResult> {
    return this.db.run(async (manager) => {
      if (!(await this.claim(manager, eventId, handlerId))) return 'duplicate';
      await work(manager);
      return 'processed';
    });
  }

  /** True when this transaction recorded the event first. */
  private async claim(
    manager: EntityManager,
    eventId: string,
    handlerId: string,
  ): Promise<boolean> {
    const dialect = this.db.dialect;
    const rows: unknown[] = await manager.query(
      `INSERT INTO event_inbox (event_id, handler, processed_at) VALUES (${placeholders(dialect, 3)}) ` +
        'ON CONFLICT DO NOTHING RETURNING event_id',
      [eventId, handlerId, timestampParameter(dialect, new Date())],
    );
    return rows.length > 0;
  }

  async isProcessed(eventId: string, handlerId: string): Promise<boolean> {
    return this.db.dataSource
      .getRepository(InboxRecord)
      .exists({ where: { eventId, handler: handlerId } });
  }

  async deleteProcessedBefore(cutoff: Date): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager.delete(InboxRecord, { processedAt: LessThan(cutoff) });
      return result.affected ?? 0;
    });
  }
}
