import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { EventTrace } from './event-trace.entity';

/** One hop of an event as the trace log answers it. */
export type EventTraceEntry = Omit<EventTrace, 'id'>;

/** Reads and writes the `event_trace` log of the bus's DataSource. */
@Injectable()
export class EventTraceStore {
  constructor(private readonly db: TransactionRunner) {}

  /** The hops this service recorded for one event, oldest first. */
  async findByEvent(eventId: string): Promise<EventTraceEntry[]> {
    const rows = await this.db.dataSource
      .getRepository(EventTrace)
      .find({ where: { eventId }, order: { at: 'ASC', id: 'ASC' } });
    return rows.map(({ id: _id, ...entry }) => entry);
  }

  /** Writes rows in their own transaction (never an event's). */
  async insert(rows: EventTrace[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.dataSource.transaction((manager) =>
      manager.createQueryBuilder().insert().into(EventTrace).values(rows).execute(),
    );
  }

  async deleteBefore(cutoff: Date): Promise<number> {
    const result = await this.db.dataSource
      .getRepository(EventTrace)
      .delete({ at: LessThan(cutoff) });
    return result.affected ?? 0;
  }
}
