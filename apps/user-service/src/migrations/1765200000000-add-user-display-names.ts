import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Display names (`user.registered` version 2): existing users are shown by their username. */
export class AddUserDisplayNames1765200000000 implements MigrationInterface {
  name = 'AddUserDisplayNames1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "display_name" varchar(100)`);
    await queryRunner.query(`UPDATE "users" SET "display_name" = "username"`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "display_name" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "display_name"`);
  }
}
