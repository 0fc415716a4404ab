import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { invalidFailurePolicy, invalidHandlerRetry } from '../event-bus.messages';
import type { EventSubscribeOptions } from '../decorators/event-subscribe.decorator';
import type {
  ResolvedEventBusOptions,
  RetryOptions,
} from '../interfaces/event-bus-options.interface';
import type { FailurePolicy } from '../interfaces/failure-policy.interface';
import { FailurePolicies } from '../failure/failure-policies';
import { resolveHandlerRetry } from '../options/resolve-event-bus-options';

/** A handler's group, retries and failure policy: its own where it has them, else the module's. */
export interface HandlerSettings {
  group: string;
  retry: RetryOptions;
  onFailure: FailurePolicy;
}

/**
 * The settings of one handler from what its decorator says (`@EventSubscribe()` options or
 * `@EventPattern()` extras). A bad one fails startup naming the decorator and the handler.
 */
export function handlerSettings(
  consumer: ResolvedEventBusOptions['consumer'],
  decorator: string,
  id: string,
  own: Omit<EventSubscribeOptions, 'id'>,
): HandlerSettings {
  if (own.onFailure !== undefined && typeof own.onFailure !== 'function') {
    throw new EventBusConfigurationError(invalidFailurePolicy(decorator, id, own.onFailure));
  }
  let retry: RetryOptions;
  try {
    retry = resolveHandlerRetry(consumer.retry, own.retry);
  } catch (error) {
    if (!(error instanceof EventBusConfigurationError)) throw error;
    throw new EventBusConfigurationError(invalidHandlerRetry(decorator, id, error.message));
  }
  return {
    group: own.group ?? consumer.groupId,
    retry,
    onFailure: own.onFailure ?? FailurePolicies.default(),
  };
}
