import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { OrdersService } from '../src/orders/orders.service';
import { Shipment } from '../src/shipping/shipment.entity';
import { assertResolvedInside } from './resolved-inside';

/**
 * Runs the first app once: places an order (its event published in the same transaction) and
 * waits, bounded, until ShippingHandler has written the shipment. Then checks that nothing was
 * loaded from outside the app's folder. Exits non-zero with the reason otherwise.
 */
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS ?? 30_000);

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const started = Date.now();
  try {
    const order = await app.get(OrdersService).place('book', 2);
    const shipments = app.get(DataSource).getRepository(Shipment);
    let shipment = await shipments.findOneBy({ orderId: order.id });
    while (!shipment) {
      if (Date.now() - started > TIMEOUT_MS) {
        throw new Error(
          `no shipment for order ${order.id} after ${TIMEOUT_MS} ms: the handler never ran`,
        );
      }
      await sleep(100);
      shipment = await shipments.findOneBy({ orderId: order.id });
    }
    if (shipment.item !== 'book' || shipment.quantity !== 2) {
      throw new Error(`shipment does not match the order: ${JSON.stringify(shipment)}`);
    }
    console.log(
      `order ${order.id} shipped in ${Date.now() - started} ms (event ${shipment.eventId})`,
    );
  } finally {
    await app.close();
  }
  const driver = process.env.DATABASE_URL?.startsWith('postgres') ? 'pg' : 'better-sqlite3';
  const transport = process.env.KAFKA_BROKERS ? ['kafkajs'] : [];
  const count = assertResolvedInside(
    ['@nestjs/core', '@nestjs/common', '@nestbus/event-bus', 'typeorm'],
    ['@nestbus/event-bus', driver, ...transport],
  );
  console.log(`all ${count} loaded modules resolved inside the app's folder`);
}

main().catch((error: unknown) => {
  console.error(`smoke: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
