import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventPublisher } from '@nestbus/event-bus';
import { DataSource } from 'typeorm';
import { Order } from './order.entity';
import { OrderPlaced } from './order-placed.event';

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventPublisher,
  ) {}

  /** The order and its event commit together: a rolled-back order publishes nothing. */
  place(item: string, quantity: number): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const order = await manager.save(manager.create(Order, { id: randomUUID(), item, quantity }));
      await this.events.publish(OrderPlaced.of(order), { manager });
      return order;
    });
  }
}
