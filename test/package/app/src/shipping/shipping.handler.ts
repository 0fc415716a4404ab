import { Injectable } from '@nestjs/common';
import { EventSubscribe, type EventContext } from '@nestbus/event-bus';
import { OrderPlaced } from '../orders/order-placed.event';
import { Shipment } from './shipment.entity';

@Injectable()
export class ShippingHandler {
  // Runs once per event id: the insert commits in one transaction with the inbox row.
  @EventSubscribe(OrderPlaced)
  async onOrderPlaced(event: OrderPlaced, ctx: EventContext): Promise<void> {
    await ctx.manager.insert(Shipment, {
      orderId: event.orderId,
      item: event.item,
      quantity: event.quantity,
      eventId: ctx.eventId,
    });
  }
}
