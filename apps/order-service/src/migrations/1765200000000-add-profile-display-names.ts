import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `user.registered` version 2 carries a display name. Profiles projected from version 1 get
 * their username, as the upcaster gives a version 1 event, so every profile has one.
 */
export class AddProfileDisplayNames1765200000000 implements MigrationInterface {
  name = 'AddProfileDisplayNames1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_profiles" ADD "display_name" varchar(100)`);
    await queryRunner.query(`UPDATE "user_profiles" SET "display_name" = "username"`);
    await queryRunner.query(`ALTER TABLE "user_profiles" ALTER COLUMN "display_name" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_profiles" DROP COLUMN "display_name"`);
  }
}
