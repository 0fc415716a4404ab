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

/** An outbox row about to be handed to the transport; `headers` may still be changed. */
export interface SendingEvent {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly key: string | null;
  headers: Record<string, string>;
}

/** Records the relay handed to the transport successfully. */
export interface SentEvent {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  /** When the event was written to the outbox. */
  readonly publishedAt: Date;
  /** When the broker acknowledged it. */
  readonly sentAt: Date;
  /** Time from the outbox write to the broker's acknowledgement. */
  readonly latencyMs: number;
}

/** Outbox rows a send failed for; the relay tries them again later, up to `outbox.maxAttempts`. */
export interface SendFailure {
  readonly events: ReadonlyArray<Pick<SentEvent, 'id' | 'type' | 'topic'>>;
  readonly error: unknown;
}

/**
 * A partition holding its records: a handler waits to retry (`retry`, one per retry), or waits
 * for a database or broker to come back (`unavailable`, once per outage).
 */
export interface PartitionPause {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly handlerId: string;
  readonly reason: 'retry' | 'unavailable';
}

/**
 * `success` and `duplicate` end a handler's work on an event; `retried` is a failed attempt that
 * will be tried again; `unavailable` is an attempt that met an unavailable database or broker and
 * will be repeated once it is back, without spending a retry; `failed` means the handler gave up
 * (retries spent or the error can never succeed), and `dead_lettered` follows once the record is
 * safely on the dead-letter topic (or parked in `event_dead_letter`); `discarded` means the
 * handler's failure policy dropped the event, on purpose and logged.
 */
export type ProcessStatus =
  'success' | 'duplicate' | 'retried' | 'unavailable' | 'failed' | 'dead_lettered' | 'discarded';

/** How one handler's processing of one event ended. */
export interface ProcessOutcome {
  /** Null for a record dead-lettered before any handler saw it (it could not be decoded). */
  readonly handlerId: string | null;
  /** Null when the record could not be decoded. */
  readonly eventId: string | null;
  /** A registered event type, or null when the record could not be decoded. */
  readonly type: string | null;
  /** When the event was published (null when unknown). */
  readonly eventTime: Date | null;
  readonly group: string;
  readonly topic: string;
  readonly status: ProcessStatus;
  readonly attempt: number;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** The handler invocation wrapped by `aroundProcess`. */
export interface ProcessInvocation {
  readonly handlerId: string;
  /** The consumer group the handler reads in. */
  readonly group: string;
  readonly event: object;
  readonly context: EventContext;
}

/**
 * Hooks into publishing and processing. Order: `beforePublish` runs in registration order,
 * `afterPublish` in reverse; `aroundProcess` and `aroundSend` nest with the first interceptor outermost;
 * the `on*` hooks observe only and run in registration order. A hook that throws in
 * `beforePublish`, `aroundProcess` or `aroundSend` fails the publish, the processing attempt or
 * the send. An around-hook must call `next()` and may not hide its failure: the bus fails the
 * attempt when one returns without the work having run or succeeded; the others
 * are observers and their errors are logged, never propagated.
 */
export interface EventBusInterceptor {
  beforePublish?(event: OutgoingEvent): void | Promise<void>;
  /** After the outbox rows were written, before the transaction commits. */
  afterPublish?(events: readonly OutgoingEvent[]): void | Promise<void>;
  /** Once the transaction that published the events committed (never for a rollback). */
  onCommitted?(events: readonly OutgoingEvent[]): void;
  aroundProcess?(invocation: ProcessInvocation, next: () => Promise<void>): Promise<void>;
  /**
   * Wraps each transport send of outbox rows (a batch, or one row when a batch is retried one by
   * one). Header changes before `next()` travel with the records.
   */
  aroundSend?(events: readonly SendingEvent[], next: () => Promise<void>): Promise<void>;
  onSent?(events: readonly SentEvent[]): void;
  onSendFailed?(failure: SendFailure): void;
  onOutcome?(outcome: ProcessOutcome): void;
  onPaused?(pause: PartitionPause): void;
  /** Records taken from the transport and not finished yet, after each change. */
  onInFlight?(records: number): void;
  /**
   * A dead letter the broker refused for good was kept whole in `event_dead_letter`, and a
   * reduced one pointing at it went to the dead-letter topic of `topic`.
   */
  onDeadLetterParked?(topic: string): void;
}
