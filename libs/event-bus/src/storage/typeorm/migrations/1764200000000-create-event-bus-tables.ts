import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates `event_outbox` and `event_inbox` on PostgreSQL or SQLite. Matches the entities
 * exactly (a spec compares them), so `synchronize` has nothing left to do afterwards.
 */
export class CreateEventBusTables1764200000000 implements MigrationInterface {
  name = 'CreateEventBusTables1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const timestamp = postgres ? 'TIMESTAMP' : 'datetime';
    const int = postgres ? 'integer' : 'integer';
    await queryRunner.query(`CREATE TABLE "event_outbox" (
      "id" varchar(36) NOT NULL,
      "type" varchar(200) NOT NULL,
      "version" ${int} NOT NULL,
      "key" varchar(255),
      "topic" varchar(249) NOT NULL,
      "destination" varchar(200),
      "payload" text NOT NULL,
      "headers" text NOT NULL,
      "status" varchar(16) NOT NULL DEFAULT ('pending'),
      "attempts" ${int} NOT NULL DEFAULT (0),
      "next_attempt_at" ${timestamp} NOT NULL,
      "last_error" text,
      "created_at" ${timestamp} NOT NULL,
      "published_at" ${timestamp},
      CONSTRAINT "PK_event_outbox" PRIMARY KEY ("id")
    )`);
    await queryRunner.query(
      `CREATE INDEX "event_outbox_pending_idx" ON "event_outbox" ("id") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "event_outbox_pending_key_idx" ON "event_outbox" ("key", "id") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "event_outbox_status_published_idx" ON "event_outbox" ("status", "published_at")`,
    );
    await queryRunner.query(`CREATE TABLE "event_inbox" (
      "event_id" varchar(255) NOT NULL,
      "handler" varchar(255) NOT NULL,
      "processed_at" ${timestamp} NOT NULL,
      CONSTRAINT "PK_event_inbox" PRIMARY KEY ("event_id", "handler")
    )`);
    await queryRunner.query(
      `CREATE INDEX "event_inbox_processed_at_idx" ON "event_inbox" ("processed_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "event_inbox"');
    await queryRunner.query('DROP TABLE "event_outbox"');
  }
}
