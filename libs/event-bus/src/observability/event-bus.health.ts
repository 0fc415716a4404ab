import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventTransport } from '../transports/event-transport.interface';
import { EventConsumer } from '../consumer/event-consumer';
import { OutboxStore } from '../storage/outbox.store';
import { withTimeout } from '../util/with-timeout';
import { loadPackage } from '../util/load-package';
import { healthReadingTimedOut } from '../event-bus.messages';

type Terminus = typeof import('@nestjs/terminus');

/**
 * What `isHealthy(key)` answers: terminus's `HealthIndicatorResult`, declared here so that the
 * bus's types compile without @nestjs/terminus installed.
 */
export type EventBusHealthResult<Key extends string> = Record<
  Key,
  { status: 'up' | 'down'; [detail: string]: unknown }
>;

/**
 * Terminus health of the bus: the broker answers, every consumer group of this instance has
 * joined, no partition has stood still longer than `health.maxStalledMs`, and the outbox backlog
 * is within `health.maxPendingEvents` and `health.maxPendingAgeMs`. Each reading is bounded
 * (2 s), so the answer comes within seconds whatever the database or broker does.
 * A failing part is named in `problems`.
 *
 * Needs `@nestjs/terminus` (an optional peer), loaded on the first check: an application without
 * it starts, and gets an error naming the package if it calls `isHealthy()`.
 *
 * @example
 * @Get('health') check() { return this.health.check([() => this.eventBus.isHealthy('eventBus')]); }
 */
@Injectable()
export class EventBusHealthIndicator {
  /**
   * Made here rather than injected: injecting it would make the bus require @nestjs/terminus at
   * load time. It is stateless (`check(key)` only builds a result), so our own instance is the same.
   */
  private indicators?: HealthIndicatorService;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly consumer: EventConsumer,
    private readonly outbox: OutboxStore,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<EventBusHealthResult<Key>> {
    const session = this.terminus().check(key);
    const problems: string[] = [];
    // Both reads are bounded, so a black-holed broker or database cannot hold the answer.
    const [transport, counts] = await Promise.all([
      bounded(Promise.resolve(this.transport.checkHealth?.()), 'the broker').then(
        () => 'up',
        (error: unknown) => {
          problems.push(`transport ${this.transport.name}: ${message(error)}`);
          return 'down';
        },
      ),
      bounded(this.outbox.counts(), 'the database').catch((error: unknown) => {
        problems.push(`outbox unreadable: ${message(error)}`);
        return undefined;
      }),
    ]);

    const groups = this.consumer.status();
    if (this.options.consumer.enabled) {
      const planned = this.consumer.plannedGroups().map((g) => g.groupId);
      for (const groupId of planned) {
        if (!groups.some((g) => g.groupId === groupId && g.joined))
          problems.push(`consumer group ${groupId} not joined`);
      }
    }
    const { maxPendingEvents, maxPendingAgeMs, maxStalledMs } = this.options.health;
    const stalled = this.consumer.stalled(maxStalledMs);
    for (const s of stalled) {
      problems.push(
        `${s.groupId} ${s.topic}[${s.partition}] has not moved for ${Math.round(s.stalledMs / 1000)} s (max ${maxStalledMs / 1000} s)`,
      );
    }

    let outbox: Record<string, number> | 'unknown' = 'unknown';
    if (counts) {
      const oldestPendingAgeMs = counts.oldestPendingAt
        ? Date.now() - counts.oldestPendingAt.getTime()
        : 0;
      outbox = { pending: counts.pending, failed: counts.failed, oldestPendingAgeMs };
      if (counts.pending > maxPendingEvents)
        problems.push(`outbox holds ${counts.pending} pending events (max ${maxPendingEvents})`);
      if (oldestPendingAgeMs > maxPendingAgeMs) {
        problems.push(
          `oldest pending outbox event is ${Math.round(oldestPendingAgeMs / 1000)} s old (max ${maxPendingAgeMs / 1000} s)`,
        );
      }
    }

    const details = { transport, consumerGroups: groups, stalledPartitions: stalled, outbox };
    return problems.length === 0 ? session.up(details) : session.down({ ...details, problems });
  }

  private terminus(): HealthIndicatorService {
    if (!this.indicators) {
      const { HealthIndicatorService } = loadPackage<Terminus>(
        '@nestjs/terminus',
        'EventBusHealthIndicator',
      );
      this.indicators = new HealthIndicatorService();
    }
    return this.indicators;
  }
}

/** Longest wait for one health reading: the whole check answers well within 3 s. */
const HEALTH_READ_TIMEOUT_MS = 2000;

function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  return withTimeout(
    work,
    HEALTH_READ_TIMEOUT_MS,
    healthReadingTimedOut(what, HEALTH_READ_TIMEOUT_MS),
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
