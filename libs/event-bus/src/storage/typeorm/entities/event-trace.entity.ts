import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventTraceRow, EventTraceStage } from '../../event-trace.store';

/**
 * One hop of a sampled event (`tracing.log`), written after the fact and in batches: the log is
 * a diagnostic aid, never part of the event's own transaction.
 */
@Entity({ name: 'event_trace' })
@Index('event_trace_event_id_idx', ['eventId'])
@Index('event_trace_at_idx', ['at'])
export class EventTrace implements EventTraceRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ type: 'varchar', length: 32 })
  stage!: EventTraceStage;

  @Column({ type: 'varchar', length: 200 })
  service!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  handler!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: Date })
  at!: Date;
}
