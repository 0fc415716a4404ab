import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emails are unique regardless of case: existing rows are normalised (trimmed, lower-case), a
 * CHECK keeps them so, and the unique index is on lower(email). Refuses to run, naming them, when
 * existing users collide once normalised: which account keeps the address is a human decision.
 */
export class NormaliseUserEmails1764900000000 implements MigrationInterface {
  name = 'NormaliseUserEmails1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const collisions = (await queryRunner.query(
      `SELECT lower(btrim(email)) AS email, COUNT(*) AS n FROM "users"
       GROUP BY lower(btrim(email)) HAVING COUNT(*) > 1 LIMIT 10`,
    )) as Array<{ email: string; n: string }>;
    if (collisions.length > 0) {
      throw new Error(
        `${collisions.length}+ emails are registered more than once when compared without case ` +
          `(${collisions.map((c) => `${c.email} x${c.n}`).join(', ')}); merge or rename those ` +
          'users, then run the migration again.',
      );
    }
    await queryRunner.query(
      `UPDATE "users" SET "email" = lower(btrim("email")) WHERE "email" <> lower(btrim("email"))`,
    );
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "UQ_users_email"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" (lower("email"))`);
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_email_normalised" CHECK ("email" = lower(btrim("email")))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_email_normalised"`);
    await queryRunner.query(`DROP INDEX "UQ_users_email"`);
    await queryRunner.query(`ALTER TABLE "users" ADD CONSTRAINT "UQ_users_email" UNIQUE ("email")`);
  }
}
