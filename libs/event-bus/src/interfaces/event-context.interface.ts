import type { EntityManager } from 'typeorm';

/** What a handler knows about the event it is processing. */
export interface EventContext {
  /** The event id: stable across redeliveries, so it makes a good idempotency key. */
  readonly eventId: string;
  readonly type: string;
  /** Schema version as it arrived, before upcasting. */
  readonly version: number;
  readonly key: string | null;
  /** The service that published the event. */
  readonly source: string;
  /** When the event was published. */
  readonly time: Date;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** 1 on the first try, then 2, 3, … on retries of this handler. */
  readonly attempt: number;
  readonly handlerId: string;
  readonly correlationId: string | undefined;
  readonly traceparent: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The transaction that also records this event in the inbox: writes through it happen exactly
   * once per event id and handler.
   */
  readonly manager: EntityManager;
}
