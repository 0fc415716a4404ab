import { Injectable, Logger } from '@nestjs/common';
import type { ProcessStatus } from '../interfaces/event-bus-interceptor.interface';
import type { IncomingRecord, RecordBatch } from '../transports/event-transport.interface';
import type { EventEnvelope } from '../envelope/event-envelope.interface';
import { CloudEventCodec } from '../envelope/cloud-event.codec';
import type { HandlerDefinition } from '../discovery/handler.registry';
import { InboxConsumer } from '../inbox/inbox.consumer';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { isNonRetriable } from '../errors/event-bus.error';
import { backoffDelay } from '../util/backoff';
import { sleep } from '../util/sleep';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { DependencyOutage } from './dependency-outage';
import { RecordRouter } from './record-router';
import { buildEventContext } from './event-context.factory';
import { describeError } from '../util/describe-error';

/** Thrown when the consumer stops during a retry wait: the record stays uncommitted. */
export class ProcessingStoppedError extends Error {
  constructor() {
    super('The consumer stopped before the record was processed; it will be redelivered.');
  }
}

/**
 * One record's way through the consumer: decode → (skip if addressed elsewhere) → for each
 * handler: upcast, validate, run once through the inbox, retry in place with backoff, and
 * dead-letter when retries are spent or the input can never succeed. A failure that means the
 * database or broker is unavailable spends no retry: the record waits until it is back. It resolves only once the
 * record is fully dealt with, so the caller may commit its offset.
 */
@Injectable()
export class RecordProcessor {
  private readonly logger = new Logger(RecordProcessor.name);

  constructor(
    private readonly codec: CloudEventCodec,
    private readonly router: RecordRouter,
    private readonly inbox: InboxConsumer,
    private readonly interceptors: InterceptorChain,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly outage: DependencyOutage,
  ) {}

  async process(
    group: string,
    record: IncomingRecord,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<void> {
    const route = this.router.route(group, record);
    if (route.kind === 'invalid') {
      await this.deadLetters.send(record, { error: route.error, attempts: 1, group }, signal);
      return;
    }
    if (route.kind === 'skip') return;
    const { envelope, handlers } = route;
    for (const handler of handlers)
      await this.runHandler(group, handler, envelope, record, batch, signal);
  }

  private async runHandler(
    group: string,
    handler: HandlerDefinition,
    envelope: EventEnvelope,
    record: IncomingRecord,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<void> {
    let event: object;
    try {
      event = await this.codec.materialize(envelope, handler.event.target);
    } catch (error) {
      this.report(group, handler, envelope, record, 'failed', 1, 0, error);
      await this.deadLetters.send(
        record,
        { error, attempts: 1, group, handlerId: handler.id, envelope },
        signal,
      );
      return;
    }

    // `attempt` counts tries that spend the retry budget; `waits` those that met an outage.
    let attempt = 1;
    let waits = 0;
    for (;;) {
      const started = performance.now();
      try {
        const result = await this.inbox.handleOnce(envelope.id, handler.id, (manager) => {
          const context = buildEventContext(envelope, record, handler, attempt + waits, manager);
          return this.interceptors.aroundProcess(
            { handlerId: handler.id, group, event, context },
            () => handler.invoke(event, context),
          );
        });
        if (waits > 0) this.outage.recovered(batch);
        const status = result === 'duplicate' ? 'duplicate' : 'success';
        this.report(group, handler, envelope, record, status, attempt, performance.now() - started);
        return;
      } catch (error) {
        const elapsed = performance.now() - started;
        if (signal.aborted) throw new ProcessingStoppedError();
        if (this.outage.isTransient(error)) {
          // The database or broker is down: only waiting helps, so no retry is spent.
          this.report(group, handler, envelope, record, 'unavailable', attempt, elapsed, error);
          if (waits === 0) this.paused(group, handler, record, 'unavailable');
          await this.outage.wait(batch, ++waits, error, signal);
          if (signal.aborted || !batch.isActive()) throw new ProcessingStoppedError();
          continue;
        }
        if (isNonRetriable(error) || attempt > handler.retry.maxRetries) {
          this.report(group, handler, envelope, record, 'failed', attempt, elapsed, error);
          await this.deadLetters.send(
            record,
            { error, attempts: attempt, group, handlerId: handler.id, envelope },
            signal,
          );
          return;
        }
        this.report(group, handler, envelope, record, 'retried', attempt, elapsed, error);
        // The partition waits with this record: the consumer's backpressure under failure.
        this.paused(group, handler, record, 'retry');
        this.logger.warn(
          `${handler.id} failed on event ${envelope.id} (attempt ${attempt} of ${handler.retry.maxRetries + 1}); retrying: ${describeError(error)}`,
        );
        await batch.heartbeat().catch(() => undefined);
        await sleep(backoffDelay(attempt, handler.retry), signal);
        if (signal.aborted || !batch.isActive()) throw new ProcessingStoppedError();
        attempt++;
      }
    }
  }

  private report(
    group: string,
    handler: HandlerDefinition,
    envelope: EventEnvelope,
    record: IncomingRecord,
    status: ProcessStatus,
    attempt: number,
    durationMs: number,
    error?: unknown,
  ): void {
    this.interceptors.outcome({
      handlerId: handler.id,
      eventId: envelope.id,
      type: envelope.type,
      eventTime: envelope.time,
      group,
      topic: record.topic,
      status,
      attempt,
      durationMs,
      error,
    });
  }

  /** The partition holds this record while the handler waits to retry or for a dependency. */
  private paused(
    group: string,
    handler: HandlerDefinition,
    record: IncomingRecord,
    reason: 'retry' | 'unavailable',
  ): void {
    this.interceptors.paused({
      group,
      topic: record.topic,
      partition: record.partition,
      handlerId: handler.id,
      reason,
    });
  }
}
