import { Injectable, Logger } from '@nestjs/common';
import type { HandlerDefinition } from '../discovery/handler.registry';
import type { FailureDecision, HandlerFailure } from '../interfaces/failure-policy.interface';
import { describeError } from '../util/describe-error';
import {
  failurePolicyFailed,
  policyAnsweredNoDecision,
  policyDiscardedWithoutReason,
  policyRetryDelayOutOfRange,
  policyThrew,
} from '../event-bus.messages';

const DEAD_LETTER: FailureDecision = { action: 'dead-letter' };
/** The longest hold a policy may ask for: a day (a partition held longer is an outage). */
const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;
const ACTIONS = new Set(['wait', 'retry', 'dead-letter', 'park', 'discard']);

/**
 * Asks a handler's failure policy what follows a failed attempt, and holds it to the contract:
 * no answer, an answer it may not give, or a policy that throws all mean dead-letter (logged),
 * so a faulty policy can never drop or stall an event.
 */
@Injectable()
export class FailurePolicyRunner {
  private readonly logger = new Logger(FailurePolicyRunner.name);

  async decide(handler: HandlerDefinition, failure: HandlerFailure): Promise<FailureDecision> {
    let decision: FailureDecision | undefined;
    try {
      decision = await handler.onFailure(failure);
    } catch (error) {
      this.logger.error(failurePolicyFailed(handler.id, policyThrew(describeError(error))));
      return DEAD_LETTER;
    }
    if (decision === undefined) return DEAD_LETTER;
    const problem = this.check(decision);
    if (problem === undefined) return decision;
    this.logger.error(failurePolicyFailed(handler.id, problem));
    return DEAD_LETTER;
  }

  private check(decision: FailureDecision): string | undefined {
    if (decision === null || typeof decision !== 'object' || !ACTIONS.has(decision.action)) {
      return policyAnsweredNoDecision();
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
