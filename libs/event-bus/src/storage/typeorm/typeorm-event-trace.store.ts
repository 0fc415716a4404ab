import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { type EventTraceEntry, type EventTraceRow, EventTraceStore } from '../event-trace.store';
import { TypeOrmUnitOfWork } from './typeorm-unit-of-work';
import { EventTrace } from './entities/event-trace.entity';

/** Rows per INSERT: 8 columns each stays far below both databases' bind-parameter limits. */
const INSERT_CHUNK = 500;

/** The trace-log port on TypeORM: the `event_trace` table of the bus's DataSource. */
@Injectable()
export class TypeOrmEventTraceStore extends EventTraceStore {
  constructor(private readonly db: TypeOrmUnitOfWork) {
    super();
  }

  async findByEvent(eventId: string): Promise<EventTraceEntry[]> {
    const rows = await this.db.dataSource
      .getRepository(EventTrace)
      .find({ where: { eventId }, order: { at: 'ASC', id: 'ASC' } });
    return rows.map(({ id: _id, ...entry }) => entry);
  }

  /** Writes rows in a transaction of their own, never an event's. */
  async insert(rows: EventTraceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.run(async (manager) => {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(EventTrace)
          .values(rows.slice(start, start + INSERT_CHUNK))
          .execute();
      }
    });
  }

  async deleteBefore(cutoff: Date): Promise<number> {
    return this.db.run(async (manager) => {
      const result = await manager.getRepository(EventTrace).delete({ at: LessThan(cutoff) });
      return result.affected ?? 0;
    });
  }
}
