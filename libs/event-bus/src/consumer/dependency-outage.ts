import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { RecordBatch } from '../transports/event-transport.interface';
import { classifyTransient } from '../errors/transient-failure';
import { backoffDelay } from '../util/backoff';
import { describeError } from '../util/describe-error';
import { sleep } from '../util/sleep';
import {
  partitionMovesAgain,
  partitionStillWaiting,
  partitionWaitsForDependency,
} from '../event-bus.messages';

/** Heartbeats at least this often while a partition waits (well inside any session timeout). */
const HEARTBEAT_SLICE_MS = 1000;
/** While an outage lasts, one reminder in the log this often per partition. */
const REMIND_EVERY_MS = 30_000;

interface Outage {
  since: number;
  lastLogged: number;
}

/**
 * What the consumer does when the database or the broker is unavailable: the partition holds
 * its record, heart-beats, and tries again with capped backoff for as long as the outage lasts.
 * Such a failure never spends a retry and never dead-letters, because waiting is the only thing
 * that can fix it. One warning when the outage starts, a reminder every 30 s, and a line when
 * the partition moves again.
 */
@Injectable()
export class DependencyOutage {
  private readonly logger = new Logger(DependencyOutage.name);
  private readonly outages = new Map<string, Outage>();

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
  ) {}

  /** True when `error` means a dependency is unavailable (the user's classifier has first say). */
  isTransient(error: unknown): boolean {
    return classifyTransient(error, this.options.consumer.isTransient);
  }

  /**
   * Waits before the `wait`-th repeat (1-based) of work that met an outage. Resolves early when
   * the consumer stops or the partition is taken away; the caller checks which.
   */
  async wait(batch: RecordBatch, wait: number, error: unknown, signal: AbortSignal): Promise<void> {
    this.note(batch, error);
    const until = Date.now() + backoffDelay(wait, this.options.consumer.unavailableBackoff);
    for (;;) {
      await batch.heartbeat().catch(() => undefined);
      const left = until - Date.now();
      if (left <= 0 || signal.aborted || !batch.isActive()) return;
      await sleep(Math.min(HEARTBEAT_SLICE_MS, left), signal);
    }
  }

  /** The partition made progress: ends its outage, if it had one. */
  recovered(batch: Pick<RecordBatch, 'topic' | 'partition'>): void {
    if (this.outages.size === 0) return;
    const key = partitionKey(batch);
    const outage = this.outages.get(key);
    if (!outage) return;
    this.outages.delete(key);
    this.logger.log(partitionMovesAgain(key, Math.round((Date.now() - outage.since) / 1000)));
  }

  private note(batch: RecordBatch, error: unknown): void {
    const key = partitionKey(batch);
    const now = Date.now();
    const outage = this.outages.get(key);
    if (!outage) {
      this.outages.set(key, { since: now, lastLogged: now });
      this.logger.warn(partitionWaitsForDependency(key, describeError(error)));
    } else if (now - outage.lastLogged >= REMIND_EVERY_MS) {
      outage.lastLogged = now;
      this.logger.warn(
        partitionStillWaiting(key, Math.round((now - outage.since) / 1000), describeError(error)),
      );
    }
  }
}

function partitionKey(batch: Pick<RecordBatch, 'topic' | 'partition'>): string {
  return `${batch.topic}[${batch.partition}]`;
}
