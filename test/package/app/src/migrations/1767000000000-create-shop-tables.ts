import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateShopTables1767000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "orders" ("id" varchar(36) PRIMARY KEY, "item" varchar(100) NOT NULL, "quantity" integer NOT NULL)`,
    );
    await queryRunner.query(
      `CREATE TABLE "shipments" ("order_id" varchar(36) PRIMARY KEY, "item" varchar(100) NOT NULL, "quantity" integer NOT NULL, "event_id" varchar(36) NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "shipments"`);
    await queryRunner.query(`DROP TABLE "orders"`);
  }
}
