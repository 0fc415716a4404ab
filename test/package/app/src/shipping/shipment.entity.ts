import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('shipments')
export class Shipment {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 36 })
  orderId!: string;

  @Column({ type: 'varchar', length: 100 })
  item!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;
}
