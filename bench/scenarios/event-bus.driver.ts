import { DynamicModule, Inject, Injectable, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  EVENT_BUS_ENTITIES,
  EventBusModule,
  EventBusModuleOptions,
  EventContext,
  EventPublisher,
  EventSubscribe,
  LocalEventDispatcher,
  OutboxOptions,
} from '@nestbus/event-bus';
import { BenchProfile, BenchUser, BenchUserRegistered } from '../lib/bench-entities';
import { benchTransport, freshPostgres, uniqueName, withClient } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import type { ScenarioDriver } from '../lib/scenario';

const STATS = Symbol('STATS');

interface Stats {
  latencies: LatencyRecorder;
  handled: number;
  /** Whether the handler writes the profile row (false for the in-process scenario). */
  persist: boolean;
}

@Injectable()
class BenchProjector {
  constructor(@Inject(STATS) private readonly stats: Stats) {}

  @EventSubscribe(BenchUserRegistered)
  async onRegistered(event: BenchUserRegistered, ctx: EventContext): Promise<void> {
    if (this.stats.persist)
      await ctx.manager.insert(BenchProfile, { userId: event.userId, name: event.name });
    this.stats.latencies.record(now() - event.createdAt);
    this.stats.handled += 1;
  }
}

export type EventBusMode =
  | 'guaranteed-postgres'
  | 'guaranteed-pg-transport'
  | 'cross-instance'
  | 'embedded-sqlite'
  | 'inprocess';

/**
 * `BENCH_OBSERVABILITY`: `on` (the library's defaults: metrics, and spans that are no-ops
 * without an OpenTelemetry SDK), `off` (neither), or `log` (also the event trace log of every
 * event). bench/observability-overhead.ts compares them.
 */
function observability(): Pick<EventBusModuleOptions, 'metrics' | 'tracing'> {
  const mode = process.env.BENCH_OBSERVABILITY ?? 'on';
  if (mode === 'off') return { metrics: { enabled: false }, tracing: { enabled: false } };
  if (mode === 'log') return { tracing: { log: { enabled: true, sampleRate: 1 } } };
  if (mode === 'on') return {};
  throw new Error(`BENCH_OBSERVABILITY must be on, off or log, got "${mode}"`);
}

/**
 * `BENCH_OUTBOX_NOTIFY`: `on` or `off` sets `outbox.notify` (PostgreSQL `pg_notify` in the outbox
 * insert) on the publishing instance; unset keeps the library's default (off where the relay runs
 * in the same instance, as in `event-bus-guaranteed-postgres`; on where it is disabled, as in
 * `event-bus-cross-instance`). `on` with `event-bus-guaranteed-postgres` measures what announcing
 * costs on the guaranteed path.
 */
function outboxNotify(): Pick<OutboxOptions, 'notify'> | Record<string, never> {
  const mode = process.env.BENCH_OUTBOX_NOTIFY ?? '';
  if (mode === '') return {};
  if (mode === 'on' || mode === 'off') return { notify: mode === 'on' };
  throw new Error(`BENCH_OUTBOX_NOTIFY must be on or off, got "${mode}"`);
}

/**
 * The event-bus scenarios: guaranteed (PostgreSQL + Kafka), cross-instance (the same, but the
 * publishing instance's relay is disabled and a second instance on the same database relays,
 * woken by PostgreSQL LISTEN/NOTIFY), embedded (SQLite + in-memory), in-process.
 */
export class EventBusDriver implements ScenarioDriver {
  readonly name: string;
  readonly latencies = new LatencyRecorder(1);
  private readonly stats: Stats = { latencies: this.latencies, handled: 0, persist: true };
  private app?: INestApplicationContext;
  /** cross-instance: the second instance, whose relay sends what the publisher commits. */
  private relayApp?: INestApplicationContext;
  private dataSource?: DataSource;
  private publisher?: EventPublisher;
  private local?: LocalEventDispatcher;
  private cleanup: Array<() => Promise<void>> = [];

  constructor(private readonly mode: EventBusMode) {
    // In-process and embedded run on no Kafka client: `--client` renames only the Kafka modes.
    this.name =
      mode === 'guaranteed-postgres' || mode === 'cross-instance'
        ? withClient(`event-bus-${mode}`)
        : `event-bus-${mode}`;
    this.stats.persist = mode !== 'inprocess';
  }

  async setup(): Promise<void> {
    const prefix = uniqueName('bench');
    let typeorm;
    let bus: EventBusModuleOptions;
    if (this.mode !== 'embedded-sqlite' && this.mode !== 'inprocess') {
      const db = await freshPostgres('eventbus');
      this.cleanup.push(db.drop);
      const postgres = (max: number, name?: string) =>
        TypeOrmModule.forRoot({
          name,
          type: 'postgres',
          url: db.url,
          entities: [...EVENT_BUS_ENTITIES, BenchUser, BenchProfile],
          synchronize: true,
          extra: { max },
        });
      typeorm = postgres(40);
      // guaranteed-pg-transport: no Kafka; the topics live in a bus database of their own.
      const busDb =
        this.mode === 'guaranteed-pg-transport' ? await freshPostgres('bus') : undefined;
      if (busDb) this.cleanup.push(busDb.drop);
      const shared = {
        serviceId: prefix,
        transport: busDb ? { type: 'postgres' as const, url: busDb.url } : benchTransport(),
        topics: { naming: (type: string) => `${prefix}.${type}` },
      } satisfies EventBusModuleOptions;
      const crossInstance = this.mode === 'cross-instance';
      bus = { ...shared, outbox: { enabled: !crossInstance, ...outboxNotify() } };
      if (crossInstance) {
        // Booted first, so that its schema synchronisation is done before the publisher's.
        // Named: @nestjs/typeorm warns of two default DataSources in one process.
        this.relayApp = await this.boot(
          postgres(10, 'relay'),
          { ...shared, dataSource: 'relay', consumer: { enabled: false } },
          false,
        );
      }
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'event-bus-bench-'));
      this.cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      typeorm = TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: join(dir, 'bench.sqlite'),
        entities: [...EVENT_BUS_ENTITIES, BenchUser, BenchProfile],
        synchronize: true,
        // As the apps configure the embedded default (libs/service-config).
        enableWAL: true,
      });
      bus = {
        serviceId: prefix,
        outbox: { enabled: this.mode !== 'inprocess' },
        consumer: { enabled: this.mode !== 'inprocess' },
      };
    }
    this.app = await this.boot(typeorm, bus, true);
    this.dataSource = this.app.get(DataSource);
    this.publisher = this.app.get(EventPublisher);
    this.local = this.app.get(LocalEventDispatcher);
  }

  produce(i: number): Promise<void> {
    const event = BenchUserRegistered.of(`user-${i}`, `name ${i}`, now());
    if (this.mode === 'inprocess') return this.local!.dispatch(event);
    return this.dataSource!.transaction(async (manager) => {
      await manager.insert(BenchUser, { id: event.userId, name: event.name });
      await this.publisher!.publish(event, { manager });
    });
  }

  handled(): number {
    return this.stats.handled;
  }

  async teardown(): Promise<void> {
    await this.app?.close();
    await this.relayApp?.close();
    for (const step of this.cleanup.reverse()) await step();
  }

  /** One instance of the service: the bus, and the handler when `handles`. */
  private async boot(
    typeorm: DynamicModule,
    bus: EventBusModuleOptions,
    handles: boolean,
  ): Promise<INestApplicationContext> {
    @Module({
      imports: [
        typeorm,
        EventBusModule.forRoot({ ...bus, ...observability() }),
        EventBusModule.forFeature({ events: [BenchUserRegistered] }),
      ],
      providers: handles ? [{ provide: STATS, useValue: this.stats }, BenchProjector] : [],
    })
    class BenchModule {}
    return NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  }
}
