import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from './event-bus.constants';
import type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
import { OutboxStore } from './outbox/outbox.store';
import { InboxConsumer } from './inbox/inbox.consumer';

const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Keeps the tables bounded: deletes published outbox rows after `outbox.retentionMs` and inbox
 * rows after `inbox.retentionMs` (which must outlast the longest redelivery).
 */
@Injectable()
export class EventBusMaintenance {
  private readonly logger = new Logger(EventBusMaintenance.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly outbox: OutboxStore,
    private readonly inbox: InboxConsumer,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= this.cleanUp().finally(() => (this.running = undefined));
    return this.running;
  }

  private async cleanUp(): Promise<void> {
    const now = Date.now();
    try {
      const outbox = await this.outbox.deletePublishedBefore(
        new Date(now - this.options.outbox.retentionMs),
      );
      const inbox = await this.inbox.deleteProcessedBefore(
        new Date(now - this.options.inbox.retentionMs),
      );
      if (outbox + inbox > 0)
        this.logger.log(
          `Removed ${outbox} published outbox rows and ${inbox} inbox rows past retention`,
        );
    } catch (error) {
      this.logger.error(
        `Retention clean-up failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
