import { IntegrationEvent } from '@nestbus/event-bus';
import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import type { Order } from './order.entity';

// The payload is validated on receipt; the key keeps one order's events in publish order.
@IntegrationEvent<OrderPlaced>({ type: 'order.placed', version: 1, key: (e) => e.orderId })
export class OrderPlaced {
  @IsUUID()
  orderId!: string;

  @IsString()
  item!: string;

  @IsInt()
  @Min(1)
  quantity!: number;

  static of(order: Order): OrderPlaced {
    return Object.assign(new OrderPlaced(), {
      orderId: order.id,
      item: order.item,
      quantity: order.quantity,
    });
  }
}
