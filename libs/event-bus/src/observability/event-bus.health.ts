import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventTransport } from '../transports/event-transport.interface';
import { EventConsumer } from '../consumer/event-consumer';
import { OutboxStore } from '../outbox/outbox.store';

/**
 * Terminus health of the bus: the broker answers, every consumer group of this instance has
 * joined, and the outbox backlog is within `health.maxPendingEvents` and `health.maxPendingAgeMs`.
 * A failing part is named in `problems`.
 *
 * @example
 * @Get('health') check() { return this.health.check([() => this.eventBus.isHealthy('eventBus')]); }
 */
@Injectable()
export class EventBusHealthIndicator {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly consumer: EventConsumer,
    private readonly outbox: OutboxStore,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const problems: string[] = [];
    let transport = 'up';
    try {
      await this.transport.checkHealth?.();
    } catch (error) {
      transport = 'down';
      problems.push(
        `transport ${this.transport.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }

    const groups = this.consumer.status();
    if (this.options.consumer.enabled) {
      const planned = this.consumer.plannedGroups().map((g) => g.groupId);
      for (const groupId of planned) {
        if (!groups.some((g) => g.groupId === groupId && g.joined))
          problems.push(`consumer group ${groupId} not joined`);
      }
    }

    const counts = await this.outbox.counts();
    const oldestPendingAgeMs = counts.oldestPendingAt
      ? Date.now() - counts.oldestPendingAt.getTime()
      : 0;
    const { maxPendingEvents, maxPendingAgeMs } = this.options.health;
    if (counts.pending > maxPendingEvents)
      problems.push(`outbox holds ${counts.pending} pending events (max ${maxPendingEvents})`);
    if (oldestPendingAgeMs > maxPendingAgeMs) {
      problems.push(
        `oldest pending outbox event is ${Math.round(oldestPendingAgeMs / 1000)} s old (max ${maxPendingAgeMs / 1000} s)`,
      );
    }

    const details = {
      transport,
      consumerGroups: groups,
      outbox: { pending: counts.pending, failed: counts.failed, oldestPendingAgeMs },
    };
    const session = this.indicators.check(key);
    return problems.length === 0 ? session.up(details) : session.down({ ...details, problems });
  }
}
