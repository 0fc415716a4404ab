import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { StorageTransaction } from '../unit-of-work';
import { InboxStore } from '../inbox.store';
import { placeholders } from './dialects/sql-dialect';
import { TypeOrmUnitOfWork, managerOf } from './typeorm-unit-of-work';
import { InboxRecord } from './entities/inbox-record.entity';

/**
 * The inbox port on TypeORM. A claim is one `INSERT … ON CONFLICT DO NOTHING RETURNING`, which
 * both databases read alike: concurrent claims of one pair serialise on the primary key, and the
 * one that loses gets no row back.
 */
@Injectable()
export class TypeOrmInboxStore extends InboxStore {
  constructor(private readonly db: TypeOrmUnitOfWork) {
    super();
  }

  async claim(tx: StorageTransaction, eventId: string, handlerId: string): Promise<boolean> {
    return (await this.claimMany(tx, [eventId], handlerId)).size > 0;
  }

  async claimMany(
    tx: StorageTransaction,
    eventIds: readonly string[],
    handlerId: string,
  ): Promise<Set<string>> {
    const dialect = this.db.dialect;
    const at = dialect.timestamp(new Date());
    const values: unknown[] = [];
    const rows = eventIds.map((id, i) => {
      values.push(id, handlerId, at);
      return `(${placeholders(dialect, 3, i * 3 + 1)})`;
    });
    const inserted: Array<{ event_id: string }> = await managerOf(tx).query(
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
