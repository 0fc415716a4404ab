import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A dead letter the broker refused for good (too large once the reasons were added, say): the
 * original record, byte for byte, with why it failed, kept here so its partition can move on.
 * A reduced dead letter on `<topic>.dlq` points at it (`x-parked-id`); the CLI lists and
 * replays these rows (`npm run events -- dlq parked …`).
 */
@Entity({ name: 'event_dead_letter' })
@Index('event_dead_letter_parked_at_idx', ['parkedAt'])
export class ParkedDeadLetter {
  /** UUIDv7, also the `x-parked-id` of the reduced dead letter. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 249 })
  topic!: string;

  @Column({ type: 'integer' })
  partition!: number;

  @Column({ type: 'varchar', length: 20 })
  offset!: string;

  /** The record key's bytes, base64 (portable across PostgreSQL and SQLite); null for none. */
  @Column({ name: 'key_base64', type: 'text', nullable: true })
  keyBase64!: string | null;

  /** The record value's bytes, base64. */
  @Column({ name: 'value_base64', type: 'text' })
  valueBase64!: string;

  /** The record's headers, as JSON `[[name, [base64 value, …]], …]` (every value kept). */
  @Column({ type: 'text' })
  headers!: string;

  @Column({ name: 'error_type', type: 'varchar', length: 200 })
  errorType!: string;

  @Column({ name: 'error_message', type: 'text' })
  errorMessage!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'group_id', type: 'varchar', length: 255 })
  groupId!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  handler!: string | null;

  /** Why the broker refused the dead letter. */
  @Column({ type: 'text' })
  refusal!: string;

  @Column({ name: 'parked_at', type: Date })
  parkedAt!: Date;

  @Column({ name: 'replayed_at', type: Date, nullable: true })
  replayedAt!: Date | null;
}
