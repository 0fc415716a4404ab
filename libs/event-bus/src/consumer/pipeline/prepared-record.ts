import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type { HandlerDefinition } from '../../discovery/handler.registry';

/** One handler's share of a record: the event as its class, or (no event) why it could not be made. */
export type HandlerCall =
  | { readonly handler: HandlerDefinition; readonly event: object }
  | { readonly handler: HandlerDefinition; readonly event?: undefined; readonly error: unknown };

/**
 * A record after the steps that need no transaction (decode → route → upcast → validate), ready
 * for the steps that do (deduplicate → handle). Made once per record: the batch path and the
 * per-record path it falls back to share it.
 */
export type PreparedRecord =
  /** Unusable for every handler (it does not decode, or nobody knows its type): dead-lettered. */
  | { readonly kind: 'invalid'; readonly record: IncomingRecord; readonly error: unknown }
  /** Addressed to another service, or of a type this group has no handler for. */
  | { readonly kind: 'skip'; readonly record: IncomingRecord; readonly envelope: EventEnvelope }
  | {
      readonly kind: 'handle';
      readonly record: IncomingRecord;
      readonly envelope: EventEnvelope;
      readonly calls: readonly HandlerCall[];
    };

/** Nothing about it needs the per-record path: skipped, or every handler's event was made. */
export function isRoutine(prepared: PreparedRecord): boolean {
  if (prepared.kind === 'invalid') return false;
  return prepared.kind === 'skip' || prepared.calls.every((call) => call.event !== undefined);
}
