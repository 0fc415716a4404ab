import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import {
  EVENT_BUS_JOBS,
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_BUS_SCHEDULER,
} from './event-bus.constants';
import type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
import { OutboxStore } from './storage/outbox.store';
import { InboxStore } from './storage/inbox.store';
import { EventTraceStore } from './storage/event-trace.store';
import { describeError } from './util/describe-error';
import {
  failedOutboxRowsRequeued,
  retentionCleaned,
  retentionCleanupFailed,
  retryFailedOutboxRowsFailed,
} from './event-bus.messages';

/**
 * Keeps the tables bounded: deletes published outbox rows after `outbox.retentionMs` and inbox
 * rows after `inbox.retentionMs` (which must outlast the longest redelivery), and trace log rows
 * after `tracing.log.retentionMs`; and, when `outbox.retryFailedEveryMs` is set, puts failed
 * outbox rows back in line. Both are intervals in @nestjs/schedule's SchedulerRegistry (names in
 * EVENT_BUS_JOBS), so the application sees them next to its own jobs.
 */
@Injectable()
export class EventBusMaintenance {
  private readonly logger = new Logger(EventBusMaintenance.name);
  /** Jobs this instance added, removed again by `stop()`. */
  private readonly jobs: string[] = [];
  private running?: Promise<void>;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_BUS_SCHEDULER) private readonly scheduler: SchedulerRegistry,
    private readonly outbox: OutboxStore,
    private readonly inbox: InboxStore,
    private readonly traces: EventTraceStore,
  ) {}

  start(): void {
    this.every(EVENT_BUS_JOBS.cleanup, this.options.maintenance.cleanupEveryMs, () =>
      this.runOnce(),
    );
    const retryEvery = this.options.outbox.retryFailedEveryMs;
    if (retryEvery > 0)
      this.every(EVENT_BUS_JOBS.retryFailed, retryEvery, () => this.retryFailed());
  }

  async stop(): Promise<void> {
    for (const name of this.jobs.splice(0)) {
      // ScheduleModule's own shutdown hook may have cleared the application's registry first.
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
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
      if (retried > 0) this.logger.warn(failedOutboxRowsRequeued(retried));
      return retried;
    } catch (error) {
      this.logger.error(retryFailedOutboxRowsFailed(describeError(error)));
      return 0;
    }
  }

  /** Both jobs catch and log their own errors, so a tick never rejects. */
  private every(name: string, ms: number, job: () => Promise<unknown>): void {
    const timer = setInterval(() => void job(), ms);
    // Housekeeping must not keep a process alive that has nothing else to do.
    timer.unref();
    try {
      this.scheduler.addInterval(name, timer);
    } catch (error) {
      // A name already taken (another bus in the process, an app job): no timer left running.
      clearInterval(timer);
      throw error;
    }
    this.jobs.push(name);
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
      if (outbox + inbox + traces > 0) this.logger.log(retentionCleaned(outbox, inbox, traces));
    } catch (error) {
      this.logger.error(
        retentionCleanupFailed(error instanceof Error ? error.message : String(error)),
      );
    }
  }
}
