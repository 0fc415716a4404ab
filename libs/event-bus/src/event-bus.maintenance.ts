import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from './event-bus.constants';
import type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
import { OutboxStore } from './outbox/outbox.store';
import { InboxConsumer } from './inbox/inbox.consumer';
import { EventTraceStore } from './observability/event-trace.store';
import { describeError } from './util/describe-error';

const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Keeps the tables bounded: deletes published outbox rows after `outbox.retentionMs` and inbox
 * rows after `inbox.retentionMs` (which must outlast the longest redelivery), and trace log rows
 * after `tracing.log.retentionMs`.
 */
@Injectable()
export class EventBusMaintenance {
  private readonly logger = new Logger(EventBusMaintenance.name);
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly outbox: OutboxStore,
    private readonly inbox: InboxConsumer,
    private readonly traces: EventTraceStore,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), INTERVAL_MS);
    this.timer.unref();
    const every = this.options.outbox.retryFailedEveryMs;
    if (every > 0) {
      this.retryTimer = setInterval(() => void this.retryFailed(), every);
      this.retryTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.retryTimer);
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= this.cleanUp().finally(() => (this.running = undefined));
    return this.running;
  }

  /** `outbox.retryFailedEveryMs`: failed rows get a fresh attempt budget. */
  async retryFailed(): Promise<number> {
    try {
      const retried = await this.outbox.retryFailed();
      if (retried > 0)
        this.logger.warn(
          `Put ${retried} failed outbox rows back in line (outbox.retryFailedEveryMs)`,
        );
      return retried;
    } catch (error) {
      this.logger.error(`Retrying failed outbox rows failed: ${describeError(error)}`);
      return 0;
    }
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
      const log = this.options.tracing.log;
      const traces = log.enabled
        ? await this.traces.deleteBefore(new Date(now - log.retentionMs))
        : 0;
      if (outbox + inbox + traces > 0)
        this.logger.log(
          `Removed ${outbox} published outbox rows, ${inbox} inbox rows and ${traces} trace rows past retention`,
        );
    } catch (error) {
      this.logger.error(
        `Retention clean-up failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
