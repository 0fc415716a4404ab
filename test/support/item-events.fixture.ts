import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { IntegrationEvent, EventContext, EventSubscribe } from '@nestbus/event-bus';

/** A small event and handler whose behaviour each test can steer. */
@IntegrationEvent({ type: 'test.item-created', version: 1, key: (e: ItemCreated) => e.itemKey })
export class ItemCreated {
  @IsString()
  itemKey!: string;

  @IsInt()
  @Min(0)
  seq!: number;

  static of(itemKey: string, seq: number): ItemCreated {
    return Object.assign(new ItemCreated(), { itemKey, seq });
  }
}

/** A business row written in the publisher's transaction. */
@Entity('test_items')
export class Item {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;
}

/** One row per handler effect; a duplicate effect shows as a second row. */
@Entity('test_applied')
export class Applied {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ name: 'item_key', type: 'varchar', length: 64 })
  itemKey!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'integer' })
  attempt!: number;
}

export interface HandlerBehaviour {
  /** Whether this attempt (1-based) at this event throws after writing its row. */
  shouldFail: (event: ItemCreated, attempt: number) => boolean;
  /** Work time per call, for concurrency and shutdown tests. */
  delayMs: () => number;
  /** Calls in progress right now. */
  inFlight: number;
  maxInFlight: number;
  calls: number;
}

export function newBehaviour(): HandlerBehaviour {
  return { shouldFail: () => false, delayMs: () => 0, inFlight: 0, maxInFlight: 0, calls: 0 };
}

export const BEHAVIOUR = Symbol('BEHAVIOUR');

@Injectable()
export class ItemProjector {
  constructor(@Inject(BEHAVIOUR) private readonly behaviour: HandlerBehaviour) {}

  @EventSubscribe(ItemCreated)
  async onItemCreated(event: ItemCreated, ctx: EventContext): Promise<void> {
    const b = this.behaviour;
    b.calls += 1;
    b.inFlight += 1;
    b.maxInFlight = Math.max(b.maxInFlight, b.inFlight);
    try {
      const delay = b.delayMs();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await ctx.manager.insert(Applied, {
        eventId: ctx.eventId,
        itemKey: event.itemKey,
        seq: event.seq,
        attempt: ctx.attempt,
      });
      if (b.shouldFail(event, ctx.attempt)) {
        throw new Error(`planned failure of ${event.itemKey}#${event.seq}, attempt ${ctx.attempt}`);
      }
    } finally {
      b.inFlight -= 1;
    }
  }
}

@Module({})
export class ItemFixtureModule {
  static with(behaviour: HandlerBehaviour): DynamicModule {
    return {
      module: ItemFixtureModule,
      providers: [{ provide: BEHAVIOUR, useValue: behaviour }, ItemProjector],
    };
  }
}

/** Creates the fixture tables on PostgreSQL or SQLite, next to the event-bus migration. */
export class CreateItemTables1764200000001 {
  name = 'CreateItemTables1764200000001';

  async up(queryRunner: {
    query(sql: string): Promise<unknown>;
    connection: { options: { type: string } };
  }): Promise<void> {
    const serial = queryRunner.connection.options.type === 'postgres' ? 'SERIAL' : 'INTEGER';
    const auto = queryRunner.connection.options.type === 'postgres' ? '' : 'AUTOINCREMENT';
    await queryRunner.query('CREATE TABLE "test_items" ("id" varchar(64) PRIMARY KEY)');
    await queryRunner.query(`CREATE TABLE "test_applied" (
      "id" ${serial} PRIMARY KEY ${auto},
      "event_id" varchar(64) NOT NULL,
      "item_key" varchar(64) NOT NULL,
      "seq" integer NOT NULL,
      "attempt" integer NOT NULL
    )`);
  }

  async down(): Promise<void> {
    /* dropped with the test database */
  }
}
