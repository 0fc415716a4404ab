import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Proof that a handler processed an event. Inserted in the handler's transaction: if the row
 * already exists, the event is a duplicate and the handler does not run again.
 */
@Entity({ name: 'event_inbox' })
@Index('event_inbox_processed_at_idx', ['processedAt'])
export class InboxRecord {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  handler!: string;

  @Column({ name: 'processed_at', type: Date })
  processedAt!: Date;
}
