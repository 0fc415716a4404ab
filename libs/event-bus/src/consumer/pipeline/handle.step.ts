import type { StorageTransaction } from '../../storage/unit-of-work';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type { HandlerDefinition } from '../../discovery/handler.registry';
import type { InterceptorChain } from '../../interceptors/interceptor-chain';
import { buildEventContext } from './event-context.factory';

/** One handler's attempt at one event, inside the transaction that claimed its inbox row. */
export interface HandleInput {
  readonly group: string;
  readonly handler: HandlerDefinition;
  readonly event: object;
  readonly envelope: EventEnvelope;
  readonly record: IncomingRecord;
  /** Attempts so far, this one included; waits for an unavailable dependency count too. */
  readonly attempt: number;
  /** The transaction that claimed the inbox row (the storage adapter's). */
  readonly transaction: StorageTransaction;
}

/**
 * Step 6, handle: the handler runs with its context, inside every interceptor's
 * `aroundProcess`. Its writes through `ctx.manager` commit with the inbox row (step 5,
 * deduplicate, is `InboxConsumer`: one row per event and handler).
 */
export function handle(interceptors: InterceptorChain, input: HandleInput): Promise<void> {
  const { group, handler, event } = input;
  const context = buildEventContext(
    input.envelope,
    input.record,
    handler,
    input.attempt,
    input.transaction,
  );
  return interceptors.aroundProcess({ handlerId: handler.id, group, event, context }, () =>
    handler.invoke(event, context),
  );
}
