import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/**
 * Money stays a decimal string ("12.50"): PostgreSQL returns numeric as text already, SQLite
 * returns a number, so both are normalised to two decimals.
 */
const MONEY: ValueTransformer = {
  to: (value: string | undefined) => value,
  from: (value: string | number | null) => (value === null ? value : Number(value).toFixed(2)),
};

/** What order-service knows about a user, projected from `user.registered`. */
@Entity({ name: 'user_profiles' })
export class UserProfile {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 50 })
  username!: string;

  /** From `user.registered` version 2; the username for users registered under version 1. */
  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'registered_at', type: Date })
  registeredAt!: Date;

  @Column({ name: 'order_count', type: 'integer', default: 0 })
  orderCount!: number;

  @Column({
    name: 'total_spent',
    type: 'decimal',
    precision: 12,
    scale: 2,
    default: 0,
    transformer: MONEY,
  })
  totalSpent!: string;
}
