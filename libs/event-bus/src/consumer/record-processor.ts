import { Injectable, Logger } from '@nestjs/common';
import type { ProcessStatus } from '../interfaces/event-bus-interceptor.interface';
import type { RecordBatch } from '../transports/event-transport.interface';
import { InboxConsumer } from '../inbox/inbox.consumer';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { sleep } from '../util/sleep';
import { describeError } from '../util/describe-error';
import {
  handlerDiscarded,
  handlerRefusedEvent,
  handlerRetrying,
  processingStopped,
} from '../event-bus.messages';
import { HandlerRefusedError } from '../errors/handler-refused.error';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { DependencyOutage } from './dependency-outage';
import { FailurePolicyRunner } from './failure-policy.runner';
import { handle } from './pipeline/handle.step';
import { processOutcome } from './pipeline/outcome';
import type { HandlerCall, PreparedRecord } from './pipeline/prepared-record';
import { RecordPreparer } from './pipeline/record-preparer';

/** Thrown when the consumer stops during a retry wait: the record stays uncommitted. */
export class ProcessingStoppedError extends Error {
  constructor() {
    super(processingStopped());
  }
}

type HandledRecord = Extract<PreparedRecord, { kind: 'handle' }>;

/**
 * The per-record path of the consume pipeline, for a record already prepared (decoded, routed,
 * upcast and validated): an invalid one is dead-lettered; otherwise, for each handler, the
 * inbox claim and the handler run in one transaction, and a failed attempt goes to the
 * handler's failure policy (by default: wait out an unavailable dependency without spending a
 * retry, retry in place with backoff, then dead-letter). It resolves only once the record is
 * fully dealt with, so the caller may commit its offset.
 */
@Injectable()
export class RecordProcessor {
  private readonly logger = new Logger(RecordProcessor.name);

  constructor(
    private readonly preparer: RecordPreparer,
    private readonly inbox: InboxConsumer,
    private readonly interceptors: InterceptorChain,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly outage: DependencyOutage,
    private readonly policies: FailurePolicyRunner,
  ) {}

  async process(
    group: string,
    prepared: PreparedRecord,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<void> {
    if (prepared.kind === 'invalid') {
      const reason = { error: prepared.error, attempts: 1, group };
      await this.deadLetters.send(prepared.record, reason, signal);
      return;
    }
    if (prepared.kind === 'skip') return;
    for (const call of prepared.calls) await this.runHandler(group, call, prepared, batch, signal);
  }

  private async runHandler(
    group: string,
    first: HandlerCall,
    prepared: HandledRecord,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<void> {
    const { handler } = first;
    const { envelope, record } = prepared;
    const report = (status: ProcessStatus, attempt: number, durationMs: number, error?: unknown) =>
      this.interceptors.outcome(
        processOutcome({
          group,
          record,
          envelope,
          handlerId: handler.id,
          status,
          attempt,
          durationMs,
          error,
        }),
      );
    const stopIfAsked = () => {
      if (signal.aborted || !batch.isActive()) throw new ProcessingStoppedError();
    };

    // `attempt` counts tries that spend the retry budget; `waits` those that met an outage.
    let call = first;
    let attempt = 1;
    let waits = 0;
    for (;;) {
      const started = performance.now();
      let error: unknown;
      if (call.event === undefined) {
        error = call.error;
      } else {
        const event = call.event;
        try {
          const result = await this.inbox.handleOnce(envelope.id, handler.id, (transaction) =>
            handle(this.interceptors, {
              group,
              handler,
              event,
              envelope,
              record,
              attempt: attempt + waits,
              transaction,
            }),
          );
          if (waits > 0) this.outage.recovered(batch);
          report(
            result === 'duplicate' ? 'duplicate' : 'success',
            attempt,
            performance.now() - started,
          );
          return;
        } catch (thrown) {
          error = thrown;
        }
      }
      // An event that could not be made (upcast or validate) never reached the handler.
      const elapsed = call.event === undefined ? 0 : performance.now() - started;
      if (signal.aborted) throw new ProcessingStoppedError();
      const at = { group, record, envelope, attempt, waits, error };
      const decision = await this.policies.decide(handler, at);
      const reason = { error, attempts: attempt, group, handlerId: handler.id, envelope };
      switch (decision.action) {
        case 'wait':
          report('unavailable', attempt, elapsed, error);
          if (waits === 0) this.paused(group, handler.id, prepared, 'unavailable');
          await this.outage.wait(batch, ++waits, error, signal);
          stopIfAsked();
          break;
        case 'retry':
          report('retried', attempt, elapsed, error);
          // The partition waits with this record: the consumer's backpressure under failure.
          this.paused(group, handler.id, prepared, 'retry');
          this.logger.warn(
            handlerRetrying(
              handler.id,
              envelope.id,
              attempt,
              decision.delayMs,
              describeError(error),
            ),
          );
          await batch.heartbeat().catch(() => undefined);
          await sleep(decision.delayMs, signal);
          stopIfAsked();
          attempt++;
          // An event that could not be made is made again: an upcaster may have met an outage.
          if (call.event === undefined) call = await this.preparer.prepareCall(envelope, handler);
          break;
        case 'dead-letter':
          report('failed', attempt, elapsed, error);
          await this.deadLetters.send(record, reason, signal);
          return;
        case 'park':
          report('failed', attempt, elapsed, error);
          await this.deadLetters.parkInstead(record, reason, signal);
          return;
        case 'discard':
          report('discarded', attempt, elapsed, error);
          if (error instanceof HandlerRefusedError) {
            this.logger.debug(handlerRefusedEvent(handler.id, envelope.id));
            return;
          }
          this.logger.warn(
            handlerDiscarded(
              handler.id,
              envelope.id,
              attempt,
              decision.reason,
              describeError(error),
            ),
          );
          return;
      }
    }
  }

  /** The partition holds this record while the handler waits to retry or for a dependency. */
  private paused(
    group: string,
    handlerId: string,
    { record }: HandledRecord,
    reason: 'retry' | 'unavailable',
  ): void {
    const { topic, partition } = record;
    this.interceptors.paused({ group, topic, partition, handlerId, reason });
  }
}
