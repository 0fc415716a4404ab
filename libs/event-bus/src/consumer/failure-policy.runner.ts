import { Injectable, Logger } from '@nestjs/common';
import type { HandlerDefinition } from '../discovery/handler.registry';
import type { FailureDecision, HandlerFailure } from '../interfaces/failure-policy.interface';
import type { IncomingRecord } from '../transports/event-transport.interface';
import type { EventEnvelope } from '../envelope/event-envelope.interface';
import { isNonRetriable } from '../errors/event-bus.error';
import { HandlerRefusedError } from '../errors/handler-refused.error';
import { describeError } from '../util/describe-error';
import { DependencyOutage } from './dependency-outage';
import {
  GUARD_REFUSED_REASON,
  failurePolicyFailed,
  policyAnsweredNoDecision,
  policyDiscardedWithoutReason,
  policyHeldPermanentFailure,
  policyRetryDelayOutOfRange,
  policyThrew,
} from '../event-bus.messages';

const DEAD_LETTER: FailureDecision = { action: 'dead-letter' };
/** The longest hold a policy may ask for: a day (a partition held longer is an outage). */
const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;
const ACTIONS = new Set(['wait', 'retry', 'dead-letter', 'park', 'discard']);

/** Where and how often a handler failed at an event; the runner classifies the error. */
export interface FailedAttempt {
  readonly group: string;
  readonly record: IncomingRecord;
  readonly envelope: EventEnvelope;
  readonly attempt: number;
  readonly waits: number;
  readonly error: unknown;
}

/**
 * Asks a handler's failure policy what follows a failed attempt, and holds it to the contract:
 * no answer, an answer it may not give, or a policy that throws all mean dead-letter (logged),
 * so a faulty policy can never drop or stall an event. Holding a partition (`retry`, `wait`) for
 * input that can never succeed is refused too: bad input never blocks a partition forever.
 */
@Injectable()
export class FailurePolicyRunner {
  private readonly logger = new Logger(FailurePolicyRunner.name);

  constructor(private readonly outage: DependencyOutage) {}

  async decide(handler: HandlerDefinition, at: FailedAttempt): Promise<FailureDecision> {
    const { record, envelope, error } = at;
    // A guard's refusal is the handler's answer, not a failure: no policy is asked.
    if (error instanceof HandlerRefusedError)
      return { action: 'discard', reason: GUARD_REFUSED_REASON };
    const failure: HandlerFailure = {
      handlerId: handler.id,
      group: at.group,
      eventId: envelope.id,
      type: envelope.type,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      attempt: at.attempt,
      waits: at.waits,
      error,
      transient: this.outage.isTransient(error),
      permanent: isNonRetriable(error),
      retry: handler.retry,
    };
    let decision: FailureDecision | undefined;
    try {
      decision = await handler.onFailure(failure);
    } catch (error) {
      this.logger.error(failurePolicyFailed(handler.id, policyThrew(describeError(error))));
      return DEAD_LETTER;
    }
    if (decision === undefined) return DEAD_LETTER;
    const problem = this.check(decision, failure);
    if (problem === undefined) return decision;
    this.logger.error(failurePolicyFailed(handler.id, problem));
    return DEAD_LETTER;
  }

  private check(decision: FailureDecision, failure: HandlerFailure): string | undefined {
    if (decision === null || typeof decision !== 'object' || !ACTIONS.has(decision.action)) {
      return policyAnsweredNoDecision();
    }
    const holds = decision.action === 'retry' || decision.action === 'wait';
    if (holds && failure.permanent && !failure.transient) {
      return policyHeldPermanentFailure(decision.action);
    }
    if (decision.action === 'retry') {
      const { delayMs } = decision;
      if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= MAX_RETRY_DELAY_MS)) {
        return policyRetryDelayOutOfRange(delayMs, MAX_RETRY_DELAY_MS);
      }
    }
    if (decision.action === 'discard' && typeof decision.reason !== 'string') {
      return policyDiscardedWithoutReason();
    }
    return undefined;
  }
}
