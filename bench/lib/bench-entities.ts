import { Column, Entity, PrimaryColumn } from 'typeorm';
import { IsNumber, IsString } from 'class-validator';
import { IntegrationEvent } from '@nestbus/event-bus';

/** The business row every scenario writes first. */
@Entity('bench_users')
export class BenchUser {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;
}

/** The row every scenario's handler writes last. */
@Entity('bench_profiles')
export class BenchProfile {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 40 })
  userId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;
}

/** The event of the event-bus scenarios; `createdAt` carries the start time for latency. */
@IntegrationEvent<BenchUserRegistered>({
  type: 'bench.user-registered',
  version: 1,
  key: (e) => e.userId,
})
export class BenchUserRegistered {
  @IsString()
  userId!: string;

  @IsString()
  name!: string;

  @IsNumber()
  createdAt!: number;

  static of(userId: string, name: string, createdAt: number): BenchUserRegistered {
    const event = new BenchUserRegistered();
    event.userId = userId;
    event.name = name;
    event.createdAt = createdAt;
    return event;
  }
}
