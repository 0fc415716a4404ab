import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  type EventBusModuleOptions,
} from '@nestbus/event-bus';
import { Order } from './orders/order.entity';
import { Shipment } from './shipping/shipment.entity';
import { CreateShopTables1767000000000 } from './migrations/1767000000000-create-shop-tables';

const entities = [Order, Shipment, ...EVENT_BUS_ENTITIES];

/**
 * PostgreSQL with migrations when DATABASE_URL is `postgres://…`; otherwise an SQLite file,
 * synchronized (the embedded default, no server needed).
 */
export function databaseOptions(env = process.env): TypeOrmModuleOptions {
  const url = env.DATABASE_URL ?? 'shop.sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) {
    return {
      type: 'postgres',
      url,
      entities,
      migrations: [CreateShopTables1767000000000, ...EVENT_BUS_MIGRATIONS],
      migrationsRun: true,
    };
  }
  return { type: 'better-sqlite3', database: url, entities, synchronize: true };
}

/** Kafka when KAFKA_BROKERS is set; otherwise the in-memory transport (one process). */
export function eventBusOptions(env = process.env): EventBusModuleOptions {
  const prefix = env.EVENT_TOPIC_PREFIX ?? '';
  return {
    serviceId: env.SERVICE_ID ?? 'shop',
    transport: env.KAFKA_BROKERS
      ? { type: 'kafka', brokers: env.KAFKA_BROKERS.split(',') }
      : { type: 'in-memory' },
    topics: { naming: (type) => `${prefix}${type}` },
  };
}
