import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates `event_dead_letter`: dead letters the broker refused, kept whole (PostgreSQL or SQLite). */
export class CreateDeadLetterTable1764400000000 implements MigrationInterface {
  name = 'CreateDeadLetterTable1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.options.type === 'postgres' ? 'TIMESTAMP' : 'datetime';
    await queryRunner.query(`CREATE TABLE "event_dead_letter" (
      "id" varchar(36) NOT NULL,
      "topic" varchar(249) NOT NULL,
      "partition" integer NOT NULL,
      "offset" varchar(20) NOT NULL,
      "key_base64" text,
      "value_base64" text NOT NULL,
      "headers" text NOT NULL,
      "error_type" varchar(200) NOT NULL,
      "error_message" text NOT NULL,
      "attempts" integer NOT NULL,
      "group_id" varchar(255) NOT NULL,
      "handler" varchar(255),
      "refusal" text NOT NULL,
      "parked_at" ${timestamp} NOT NULL,
      "replayed_at" ${timestamp},
      CONSTRAINT "PK_event_dead_letter" PRIMARY KEY ("id")
    )`);
    await queryRunner.query(
      `CREATE INDEX "event_dead_letter_parked_at_idx" ON "event_dead_letter" ("parked_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "event_dead_letter"');
  }
}
