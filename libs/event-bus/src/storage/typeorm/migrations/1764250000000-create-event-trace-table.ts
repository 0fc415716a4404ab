import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates the optional `event_trace` log (see `tracing.log`) on PostgreSQL or SQLite. */
export class CreateEventTraceTable1764250000000 implements MigrationInterface {
  name = 'CreateEventTraceTable1764250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.options.type === 'postgres' ? 'TIMESTAMP' : 'datetime';
    await queryRunner.query(`CREATE TABLE "event_trace" (
      "id" varchar(36) NOT NULL,
      "event_id" varchar(255) NOT NULL,
      "stage" varchar(32) NOT NULL,
      "service" varchar(200) NOT NULL,
      "handler" varchar(255),
      "duration_ms" integer,
      "error" text,
      "at" ${timestamp} NOT NULL,
      CONSTRAINT "PK_event_trace" PRIMARY KEY ("id")
    )`);
    await queryRunner.query(
      `CREATE INDEX "event_trace_event_id_idx" ON "event_trace" ("event_id")`,
    );
    await queryRunner.query(`CREATE INDEX "event_trace_at_idx" ON "event_trace" ("at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "event_trace"');
  }
}
