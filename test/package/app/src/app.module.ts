import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventBusModule } from '@nestbus/event-bus';
import { databaseOptions, eventBusOptions } from './config';
import { OrderPlaced } from './orders/order-placed.event';
import { OrdersService } from './orders/orders.service';
import { ShippingHandler } from './shipping/shipping.handler';

@Module({
  imports: [
    TypeOrmModule.forRoot(databaseOptions()),
    EventBusModule.forRoot(eventBusOptions()),
    EventBusModule.forFeature({ events: [OrderPlaced] }),
  ],
  providers: [OrdersService, ShippingHandler],
})
export class AppModule {}
