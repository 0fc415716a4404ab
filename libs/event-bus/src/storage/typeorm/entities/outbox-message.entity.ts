import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { OutboxRow, OutboxStatus } from '../../outbox.store';

/** `OutboxRow` as TypeORM maps it to `event_outbox`. */
@Entity({ name: 'event_outbox' })
@Index('event_outbox_pending_idx', ['id'], { where: "status = 'pending'" })
@Index('event_outbox_pending_key_idx', ['key', 'id'], { where: "status = 'pending'" })
// The claim's look for an older row of a key waiting for its retry (see the migration).
@Index('event_outbox_pending_due_idx', ['nextAttemptAt'], { where: "status = 'pending'" })
@Index('event_outbox_status_published_idx', ['status', 'publishedAt'])
export class OutboxMessage implements OutboxRow {
  /** UUIDv7: time-ordered, so id order is publish order. Also the CloudEvents id. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  type!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  key!: string | null;

  @Column({ type: 'varchar', length: 249 })
  topic!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  destination!: string | null;

  /** The JSON payload as sent. */
  @Column({ type: 'text' })
  payload!: string;

  /** JSON object of extra record headers (trace context, correlation id, user headers). */
  @Column({ type: 'text' })
  headers!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: Date })
  nextAttemptAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'published_at', type: Date, nullable: true })
  publishedAt!: Date | null;
}
