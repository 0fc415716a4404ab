import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates `users` on PostgreSQL, exactly as the `User` entity describes it. */
export class CreateUsers1764300000000 implements MigrationInterface {
  name = 'CreateUsers1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "users" (
      "id" uuid NOT NULL,
      "username" varchar(50) NOT NULL,
      "email" varchar(254) NOT NULL,
      "password_hash" text NOT NULL,
      "created_at" TIMESTAMP NOT NULL,
      CONSTRAINT "PK_users" PRIMARY KEY ("id"),
      CONSTRAINT "UQ_users_username" UNIQUE ("username"),
      CONSTRAINT "UQ_users_email" UNIQUE ("email")
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "users"');
  }
}
