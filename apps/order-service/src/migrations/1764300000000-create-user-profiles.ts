import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates `user_profiles` on PostgreSQL, exactly as the `UserProfile` entity describes it. */
export class CreateUserProfiles1764300000000 implements MigrationInterface {
  name = 'CreateUserProfiles1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "user_profiles" (
      "user_id" varchar(36) NOT NULL,
      "username" varchar(50) NOT NULL,
      "email" varchar(254) NOT NULL,
      "registered_at" TIMESTAMP NOT NULL,
      "order_count" integer NOT NULL DEFAULT 0,
      "total_spent" numeric(12,2) NOT NULL DEFAULT 0,
      CONSTRAINT "PK_user_profiles" PRIMARY KEY ("user_id")
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "user_profiles"');
  }
}
