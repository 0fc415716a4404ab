import { Inject, Injectable, INestApplicationContext, Module } from '@nestjs/common';
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
} from '@nestbus/event-bus';
import { BenchProfile, BenchUser, BenchUserRegistered } from '../lib/bench-entities';
import { freshPostgres, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
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

export type EventBusMode = 'guaranteed-postgres' | 'embedded-sqlite' | 'inprocess';

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

/** The event-bus scenarios: guaranteed (PostgreSQL + Kafka), embedded (SQLite + in-memory), in-process. */
export class EventBusDriver implements ScenarioDriver {
  readonly name: string;
  readonly latencies = new LatencyRecorder(1);
  private readonly stats: Stats = { latencies: this.latencies, handled: 0, persist: true };
  private app?: INestApplicationContext;
  private dataSource?: DataSource;
  private publisher?: EventPublisher;
  private local?: LocalEventDispatcher;
  private cleanup: Array<() => Promise<void>> = [];

  constructor(private readonly mode: EventBusMode) {
    this.name = `event-bus-${mode}`;
    this.stats.persist = mode !== 'inprocess';
  }

  async setup(): Promise<void> {
    const prefix = uniqueName('bench');
    let typeorm;
    let bus: EventBusModuleOptions;
    if (this.mode === 'guaranteed-postgres') {
      const db = await freshPostgres('eventbus');
      this.cleanup.push(db.drop);
      typeorm = TypeOrmModule.forRoot({
        type: 'postgres',
        url: db.url,
        entities: [...EVENT_BUS_ENTITIES, BenchUser, BenchProfile],
        synchronize: true,
        extra: { max: 40 },
      });
      bus = {
        serviceId: prefix,
        transport: { type: 'kafka', brokers: KAFKA_BROKERS },
        topics: { naming: (type: string) => `${prefix}.${type}` },
      };
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
    @Module({
      imports: [
        typeorm,
        EventBusModule.forRoot({ ...bus, ...observability() }),
        EventBusModule.forFeature({ events: [BenchUserRegistered] }),
      ],
      providers: [{ provide: STATS, useValue: this.stats }, BenchProjector],
    })
    class BenchModule {}
    this.app = await NestFactory.createApplicationContext(BenchModule, {
      logger: ['error', 'warn'],
    });
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
    for (const step of this.cleanup.reverse()) await step();
  }
}
