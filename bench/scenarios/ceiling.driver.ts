import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_ENTITIES } from '@nestbus/event-bus';
import { OutboxMessage } from '@nestbus/event-bus/operations';
import { BenchProfile, BenchUser, BenchUserRegistered } from '../lib/bench-entities';
import { freshPostgres } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import type { ScenarioDriver } from '../lib/scenario';

export type CeilingMode = 'business-only' | 'outbox-minimum';

/**
 * What the guaranteed path cannot beat, on the same PostgreSQL and the same 32 producers:
 * - `business-only`: the user transaction, then the profile insert; no messaging at all;
 * - `outbox-minimum`: the same, with a second insert in the user transaction of a row shaped
 *   like an outbox row (the bus's own table, its indexes, the event's JSON), the least any
 *   transactional outbox writes.
 * The profile insert follows the commit in the producer, so latency is creation to profile
 * commit, as in the bus's scenarios (creation to the handler's commit).
 */
export class CeilingDriver implements ScenarioDriver {
  readonly name: string;
  readonly latencies = new LatencyRecorder(1);
  private count = 0;
  private dataSource?: DataSource;
  private drop?: () => Promise<void>;

  constructor(private readonly mode: CeilingMode) {
    this.name = mode;
  }

  async setup(): Promise<void> {
    const db = await freshPostgres(this.mode);
    this.drop = db.drop;
    // The guaranteed scenario's pool and entities, so only the work differs.
    this.dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: [...EVENT_BUS_ENTITIES, BenchUser, BenchProfile],
      synchronize: true,
      extra: { max: 40 },
    });
    await this.dataSource.initialize();
  }

  async produce(i: number): Promise<void> {
    const event = BenchUserRegistered.of(`user-${i}`, `name ${i}`, now());
    const dataSource = this.dataSource!;
    await dataSource.transaction(async (manager) => {
      await manager.insert(BenchUser, { id: event.userId, name: event.name });
      if (this.mode === 'outbox-minimum') {
        await manager.insert(OutboxMessage, {
          id: uuidv7(),
          type: 'bench.user-registered',
          version: 1,
          key: event.userId,
          topic: 'bench.user-registered',
          destination: null,
          payload: JSON.stringify(event),
          headers: '{}',
          status: 'pending',
          attempts: 0,
          nextAttemptAt: new Date(),
          lastError: null,
          createdAt: new Date(),
          publishedAt: null,
        });
      }
    });
    await dataSource.getRepository(BenchProfile).insert({ userId: event.userId, name: event.name });
    this.latencies.record(now() - event.createdAt);
    this.count += 1;
  }

  handled(): number {
    return this.count;
  }

  async teardown(): Promise<void> {
    await this.dataSource?.destroy();
    await this.drop?.();
  }
}
