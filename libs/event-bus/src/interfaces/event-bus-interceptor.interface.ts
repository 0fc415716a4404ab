import type { EventContext } from './event-context.interface';

/** An event about to be written to the outbox; `headers` may still be changed. */
export interface OutgoingEvent {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly key: string | null;
  readonly topic: string;
  readonly destination: string | null;
  readonly payload: object;
  headers: Record<string, string>;
}

/** Records the relay handed to the transport successfully. */
export interface SentEvent {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  /** Time from the outbox write to the broker's acknowledgement. */
  readonly latencyMs: number;
}

export type ProcessStatus = 'success' | 'duplicate' | 'retried' | 'dead_lettered' | 'skipped';

/** How one handler's processing of one event ended. */
export interface ProcessOutcome {
  readonly handlerId: string;
  readonly eventId: string;
  readonly type: string;
  readonly topic: string;
  readonly status: ProcessStatus;
  readonly attempt: number;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** The handler invocation wrapped by `aroundProcess`. */
export interface ProcessInvocation {
  readonly handlerId: string;
  readonly event: object;
  readonly context: EventContext;
}

/**
 * Hooks into publishing and processing. Order: `beforePublish` runs in registration order,
 * `afterPublish` in reverse; `aroundProcess` nests with the first interceptor outermost;
 * `onSent` and `onOutcome` observe only and run in registration order. A hook that throws in
 * `beforePublish` or `aroundProcess` fails the publish or the processing attempt; the others
 * are observers and their errors are logged, never propagated.
 */
export interface EventBusInterceptor {
  beforePublish?(event: OutgoingEvent): void | Promise<void>;
  /** After the outbox rows were written, before the transaction commits. */
  afterPublish?(events: readonly OutgoingEvent[]): void | Promise<void>;
  aroundProcess?(invocation: ProcessInvocation, next: () => Promise<void>): Promise<void>;
  onSent?(events: readonly SentEvent[]): void;
  onOutcome?(outcome: ProcessOutcome): void;
}
