import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending outbox rows by when they are due. The relay's claim skips rows of a key whose older
 * row waits for a retry (`next_attempt_at` in the future); without this index PostgreSQL finds
 * those few rows by scanning the whole table on every claim, which made a 100,000-row backlog
 * drain at a tenth of the client's speed. PostgreSQL or SQLite.
 */
export class IndexOutboxRowsWaiting1765300000000 implements MigrationInterface {
  name = 'IndexOutboxRowsWaiting1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "event_outbox_pending_due_idx" ON "event_outbox" ("next_attempt_at") WHERE status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "event_outbox_pending_due_idx"');
  }
}
