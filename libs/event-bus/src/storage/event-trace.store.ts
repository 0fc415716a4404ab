/** A hop of an event through this service; the stages a trace can hold. */
export type EventTraceStage =
  | 'published'
  | 'sent'
  | 'received'
  | 'processed'
  | 'duplicate'
  | 'failed'
  | 'dead_lettered'
  | 'discarded';

/** One hop of an event as the trace log answers it. */
export interface EventTraceEntry {
  eventId: string;
  stage: EventTraceStage;
  service: string;
  handler: string | null;
  durationMs: number | null;
  error: string | null;
  at: Date;
}

/** One hop as written, with the row's own id (UUIDv7). */
export interface EventTraceRow extends EventTraceEntry {
  id: string;
}

/**
 * The storage port of the trace log (`event_trace`, `tracing.log`): written after the fact, in
 * batches and in transactions of its own, never an event's.
 */
export abstract class EventTraceStore {
  /** The hops this service recorded for one event, oldest first. */
  abstract findByEvent(eventId: string): Promise<EventTraceEntry[]>;

  abstract insert(rows: EventTraceRow[]): Promise<void>;

  abstract deleteBefore(cutoff: Date): Promise<number>;
}
