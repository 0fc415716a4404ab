import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { OrdersService } from './orders/orders.service';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule);
  // On SIGTERM the bus stops consuming and lets handlers in flight finish.
  app.enableShutdownHooks();
  const order = await app.get(OrdersService).place('book', 1);
  console.log(`Placed order ${order.id}; ShippingHandler records its shipment.`);
}

void bootstrap();
