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

  /**
   * Records many events for one handler in one statement; returns the ids recorded now (the
   * others were processed before). Used by the transaction-batch path.
   */
  async claimMany(
    manager: EntityManager,
    eventIds: string[],
    handlerId: string,
  ): Promise<Set<string>> {
    const dialect = this.db.dialect;
    const at = timestampParameter(dialect, new Date());
    const values: unknown[] = [];
    const rows = eventIds.map((id, i) => {
      values.push(id, handlerId, at);
      return `(${placeholders(dialect, 3, i * 3 + 1)})`;
    });
    const inserted: Array<{ event_id: string }> = await manager.query(
      `INSERT INTO event_inbox (event_id, handler, processed_at) VALUES ${rows.join(', ')} ` +
        'ON CONFLICT DO NOTHING RETURNING event_id',
      values,
    );
    return new Set(inserted.map((row) => row.event_id));
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
